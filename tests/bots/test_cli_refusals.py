"""What the command line refuses, each as one `esafety-bot: error:` line saying what to do, exit
1, never a traceback; and every argument explains itself in `--help`."""

from __future__ import annotations

import argparse
import json
import socket
import sqlite3
import subprocess
from pathlib import Path

import pytest

from bots.cli_parser import build_parser
from bots.sockets import free_port
from tests.bots.test_cli import ROSTER, run


def one_error_line(result: subprocess.CompletedProcess[str], says: str) -> None:
    assert result.returncode == 1, result.stderr
    lines = result.stderr.strip().splitlines()
    assert lines[-1].startswith("esafety-bot: error: "), lines
    assert says in lines[-1]
    assert "Traceback" not in result.stderr


def with_group(tmp_path: Path, key: str) -> None:
    (tmp_path / "roster.csv").write_text(ROSTER)
    run(tmp_path, "roster", "import", "roster.csv")
    with sqlite3.connect(tmp_path / "cli.db") as db:
        db.execute("INSERT INTO groups (key, data) VALUES (?, ?)",
                   (key, json.dumps({"key": key, "name": "5A chat", "joined_at": "2026-11-23T09:00:00+00:00"})))


def test_a_port_in_use(tmp_path: Path) -> None:
    port = free_port()
    with socket.socket() as taken:
        taken.bind(("127.0.0.1", port))
        taken.listen()
        one_error_line(run(tmp_path, "serve", PORT=str(port), ESAFETY_HOST="127.0.0.1"), "port is already in use")


def test_a_folder_given_as_the_roster_file(tmp_path: Path) -> None:
    (tmp_path / "rosters").mkdir()
    one_error_line(run(tmp_path, "roster", "import", "rosters"), "rosters is a folder")


def test_reminders_more_often_than_hourly(tmp_path: Path) -> None:
    with_group(tmp_path, "teams:19:x")
    one_error_line(run(tmp_path, "schedule", "set", "teams:19:x", "--cron", "* * * * *"), "more than once an hour")
    assert run(tmp_path, "schedule", "set", "teams:19:x", "--cron", "0 * * * *").returncode == 0


def test_an_empty_class_name(tmp_path: Path) -> None:
    with_group(tmp_path, "teams:19:x")
    one_error_line(run(tmp_path, "groups", "set-class", "teams:19:x", "  "), "class name is empty")


def test_a_robot_webhook_on_a_teams_group(tmp_path: Path) -> None:
    with_group(tmp_path, "teams:19:x")
    one_error_line(run(tmp_path, "groups", "set-webhook", "teams:19:x", "https://qyapi.example/webhook/send?key=k"),
                   "for WeCom groups only")


@pytest.mark.parametrize(("option", "value", "says"), [("--website", "notaurl", "--website must be an https URL"),
                                                       ("--app-version", "2", "--app-version must be three numbers")])
def test_a_teams_package_teams_would_reject(tmp_path: Path, option: str, value: str, says: str) -> None:
    one_error_line(run(tmp_path, "teams-package", "--app-id", "00000000-0000-0000-0000-000000000001", option, value), says)
    assert not (tmp_path / "esafety-bot.zip").exists()


def test_a_teams_package_warns_of_placeholders(tmp_path: Path) -> None:
    done = run(tmp_path, "teams-package", "--app-id", "00000000-0000-0000-0000-000000000001", "--developer", "St Mary's",
               "--app-version", "1.0.1")
    assert done.returncode == 0, done.stderr
    assert "esafety-bot: warning: --website is still the placeholder" in done.stderr
    assert "--developer" not in done.stderr


def test_every_argument_explains_itself() -> None:
    """`--help` of every command describes every argument, positional ones included."""
    def parsers(parser: argparse.ArgumentParser) -> list[argparse.ArgumentParser]:
        found = [parser]
        for action in parser._actions:
            if isinstance(action, argparse._SubParsersAction):
                for child in action.choices.values():
                    found += parsers(child)
        return found

    silent = [f"{p.prog} {a.dest}" for p in parsers(build_parser()) for a in p._actions
              if not isinstance(a, argparse._SubParsersAction) and a.help in (None, "") and a.dest != "help"]
    assert silent == []
