"""The `esafety-bot` command as a person runs it: clear errors, non-zero exits, nothing half-done."""

from __future__ import annotations

import json
import os
import shutil
import sqlite3
import subprocess
import sys
from dataclasses import replace
from datetime import UTC, datetime
from pathlib import Path

from bots.sockets import free_port
from state.clock import SystemClock
from state.factory import open_store
from state.models import Group, GroupKey, Person, PersonRef, Role
from state.records import Lesson

ROSTER = "channel,user_id,name,role,class,consent\nteams,s1,Ann,student,5A,yes\nteams,lead,Lee,dsl,,\n"


def run(tmp_path: Path, *args: str, now: datetime | None = None, typed: str = "", **env: str) -> subprocess.CompletedProcess[str]:
    """Run the command as a person would. With `now` (a test's fixed clock), the process's wall
    clock stands still there, through libfaketime (its monotonic clock, which timeouts use, runs
    on), so what it stamps (a queued join) agrees with the test's server whatever the machine's
    date is. `typed` is what the person types (standard input): nothing, by default."""
    environment = {k: v for k, v in os.environ.items() if not k.startswith(("ESAFETY_", "REDIS_", "WECOM_", "Microsoft"))}
    environment |= {"ESAFETY_DB": str(tmp_path / "cli.db"), **env}
    command = [sys.executable, "-m", "bots.cli", *args]
    if now is not None:
        command = [_faketime(), "-f", now.astimezone(UTC).strftime("%Y-%m-%d %H:%M:%S"), *command]
        environment |= {"TZ": "UTC", "FAKETIME_DONT_FAKE_MONOTONIC": "1"}
    return subprocess.run(command, cwd=tmp_path, env=environment, capture_output=True, text=True, timeout=60, check=False, input=typed)


def _faketime() -> str:
    binary = shutil.which("faketime")
    if binary is None:
        raise RuntimeError("faketime is not installed: run `make test`, which installs it")
    return binary


def test_roster_import_list_and_audit_export(tmp_path: Path) -> None:
    """Import a roster, list it, and export the audit of the import."""
    (tmp_path / "roster.csv").write_text(ROSTER)
    imported = run(tmp_path, "roster", "import", "roster.csv")
    assert imported.returncode == 0, imported.stderr
    assert "2 added" in imported.stdout
    listing = run(tmp_path, "roster", "list")
    assert "teams:s1\tstudent\t5A\tconsent=yes\tAnn" in listing.stdout
    exported = run(tmp_path, "audit", "export", "--out", "audit.jsonl")
    assert exported.returncode == 0
    records = [json.loads(line) for line in (tmp_path / "audit.jsonl").read_text().splitlines()]
    assert records[-1]["action"] == "roster.imported"


def test_audit_verify_passes_an_intact_log_and_names_a_record_edited_in_the_file(tmp_path: Path) -> None:
    (tmp_path / "roster.csv").write_text(ROSTER)
    run(tmp_path, "roster", "import", "roster.csv")
    run(tmp_path, "roster", "import", "roster.csv", "--merge")
    intact = run(tmp_path, "audit", "verify")
    assert intact.returncode == 0, intact.stderr
    assert intact.stdout.startswith("audit log intact: 2 records, seq 1 to 2;")
    with sqlite3.connect(tmp_path / "cli.db") as raw:  # someone with the file changes what was recorded
        raw.execute("UPDATE audit SET data = replace(data, 'roster.imported', 'roster.viewed') WHERE seq = 1")
    tampered = run(tmp_path, "audit", "verify")
    assert tampered.returncode == 1
    assert tampered.stdout.splitlines() == ["AUDIT LOG TAMPERED WITH: 1 finding(s) in 2 records, seq 1 to 2",
                                            "record 1: edited: its text no longer gives its seal"]


def test_an_import_that_loses_the_lead_is_refused_and_a_dry_run_writes_nothing(tmp_path: Path) -> None:
    """The dry run lists the changes by role and the refusal it would meet; the real import
    exits non-zero saying what would be lost; --force imports it."""
    (tmp_path / "roster.csv").write_text(ROSTER)
    run(tmp_path, "roster", "import", "roster.csv")
    (tmp_path / "class.csv").write_text("channel,user_id,name,role,class,consent\nteams,s1,Ann,student,5B,yes\n")
    dry = run(tmp_path, "roster", "import", "class.csv", "--dry-run")
    assert dry.returncode == 0, dry.stderr
    assert "updated student (1): Ann (teams:s1)" in dry.stdout
    assert "removed dsl (1): Lee (teams:lead)" in dry.stdout
    assert "would be refused: teams: no safeguarding lead (dsl) would be left" in dry.stdout
    assert "dry run, nothing written: 0 would be added, 1 updated, 1 removed" in dry.stdout
    refused = run(tmp_path, "roster", "import", "class.csv")
    assert refused.returncode == 1
    assert "teams: no safeguarding lead (dsl) would be left: removes Lee (teams:lead)" in refused.stderr
    assert "teams:lead\tdsl" in run(tmp_path, "roster", "list").stdout
    forced = run(tmp_path, "roster", "import", "class.csv", "--force")
    assert forced.returncode == 0, forced.stderr
    assert "teams:lead" not in run(tmp_path, "roster", "list").stdout


def test_bad_roster_is_refused_whole(tmp_path: Path) -> None:
    """A malformed file exits non-zero, lists the problem lines, and stores nothing."""
    (tmp_path / "bad.csv").write_text(ROSTER + "teams,s2,Bo,wizard,5A,\n")
    result = run(tmp_path, "roster", "import", "bad.csv")
    assert result.returncode == 1
    assert "line 4: role must be one of" in result.stderr
    assert run(tmp_path, "roster", "list").stdout == ""


def test_bad_setting_names_the_variable(tmp_path: Path) -> None:
    """A malformed setting is one clear line naming the variable, exit 1 (2 is argparse's, for the command line)."""
    result = run(tmp_path, "roster", "list", ESAFETY_TIMEZONE="Nowhere/Land")
    assert result.returncode == 1
    assert result.stderr.strip().startswith("esafety-bot: error: ESAFETY_TIMEZONE")


def test_unreachable_redis_is_a_clear_start_up_error(tmp_path: Path) -> None:
    """Nothing listens on the port: the command says so and exits 1, without a traceback."""
    result = run(tmp_path, "groups", "list", REDIS_URL=f"redis://:pw-SECRET@127.0.0.1:{free_port()}/0")
    assert result.returncode == 1
    assert "esafety-bot: error:" in result.stderr
    assert "Traceback" not in result.stderr
    assert "pw-SECRET" not in result.stderr


def test_corrupt_database_is_refused(tmp_path: Path) -> None:
    """A file that is not a SQLite database is a clear error, and the file is left untouched."""
    corrupt = b"this is not a database" * 100
    (tmp_path / "cli.db").write_bytes(corrupt)
    result = run(tmp_path, "roster", "list")
    assert result.returncode == 1
    assert "cannot open the SQLite database" in result.stderr
    assert (tmp_path / "cli.db").read_bytes() == corrupt


def test_groups_set_class_and_unknown_group(tmp_path: Path) -> None:
    """Setting a class needs a known group; an unknown one is a clear error."""
    (tmp_path / "roster.csv").write_text(ROSTER)
    run(tmp_path, "roster", "import", "roster.csv")
    with sqlite3.connect(tmp_path / "cli.db") as db:
        db.execute("INSERT INTO groups (key, data) VALUES (?, ?)", ("teams:19:x", json.dumps(
            {"key": "teams:19:x", "name": "5A chat", "joined_at": "2026-11-23T09:00:00+00:00"})))
    assert run(tmp_path, "groups", "set-class", "19:x", "5A").returncode == 0
    assert "teams:19:x\t5A chat\tclass=5A\tunchecked" in run(tmp_path, "groups", "list").stdout
    missing = run(tmp_path, "groups", "set-class", "teams:nope", "5A")
    assert missing.returncode == 1
    assert "no group" in missing.stderr


def test_backup_is_a_consistent_copy(tmp_path: Path) -> None:
    """`backup` copies the live database; it refuses to overwrite an existing file."""
    (tmp_path / "roster.csv").write_text(ROSTER)
    run(tmp_path, "roster", "import", "roster.csv")
    assert run(tmp_path, "backup", "copy.db").returncode == 0
    with sqlite3.connect(tmp_path / "copy.db") as copy:
        assert copy.execute("SELECT count(*) FROM people").fetchone() == (2,)
    again = run(tmp_path, "backup", "copy.db")
    assert again.returncode == 1
    assert "already exists" in again.stderr


def test_cases_export_keeps_words_out_unless_asked_and_audits_the_read(tmp_path: Path) -> None:
    """`cases export` has the chronology but not the words; `--include-text` has them and is audited."""
    import asyncio

    from handlers.concerns import Report, receive_report
    from handlers.duties import Deps
    from policy_text.catalog import Catalog
    from state.clock import SystemClock
    from state.models import Person, Role
    from state.sqlite import SqliteStore
    from tests.fakes.recording_messenger import RecordingMessenger

    async def file_a_report() -> None:
        store = await SqliteStore.open(tmp_path / "cli.db")
        deps = Deps(store=store, messenger=RecordingMessenger(), clock=SystemClock(), catalog=Catalog.load())
        student = Person(channel="teams", user_id="s1", name="Ann", role=Role.STUDENT)
        await store.merge_roster([student, Person(channel="teams", user_id="lead", name="Lee", role=Role.DSL)])
        await receive_report(deps, Report(reporter=student, text="CLI-REPORT-WORDS are private", origin="cli-test"))
        await store.close()

    asyncio.run(file_a_report())
    listing = run(tmp_path, "cases", "list")
    assert listing.stdout.startswith("C-")
    plain = run(tmp_path, "cases", "export", "--format", "json")
    row = json.loads(plain.stdout.splitlines()[0])
    assert (row["text"], row["chronology"].split()[1]) == ("", "received")
    assert "CLI-REPORT-WORDS" not in run(tmp_path, "cases", "show", row["reference"]).stdout
    nobody = run(tmp_path, "cases", "export", "--format", "csv", "--include-text")
    assert (nobody.returncode, "name who reads them with --as PERSON" in nobody.stderr) == (1, True)
    with_text = run(tmp_path, "cases", "export", "--format", "csv", "--include-text", "--as", "Lee")
    assert "CLI-REPORT-WORDS" in with_text.stdout
    exported = run(tmp_path, "audit", "export").stdout
    assert '"case.text_read"' in exported
    assert "CLI-REPORT-WORDS" not in exported
    shown = run(tmp_path, "cases", "show", row["reference"]).stdout
    assert "seen by: Lee (safeguarding lead) (cli_export, " in shown  # the read trail: who, how, when


async def test_schedule_set_show_off_and_bad_input(tmp_path: Path) -> None:
    """Staff without chat access set a group's reminders from the command line; every change audited."""
    store = await open_store(redis_url=None, sqlite_path=str(tmp_path / "cli.db"), clock=SystemClock())
    await store.register_group(Group(key=GroupKey("teams", "19:class6b"), name="Class 6B", joined_at=datetime(2026, 11, 23, tzinfo=UTC)))
    await store.close()
    done = run(tmp_path, "schedule", "set", "teams:19:class6b", "--cron", "0 9 * * MON,THU", "--tz", "Asia/Shanghai")
    assert done.returncode == 0, done.stderr
    assert "0 9 * * MON,THU (Asia/Shanghai), next 20" in done.stdout
    assert "(Asia/Shanghai)" in run(tmp_path, "schedule", "show", "19:class6b").stdout
    assert run(tmp_path, "schedule", "off", "teams:19:class6b").stdout.strip() == "teams:19:class6b: reminders off"
    assert "reminders off" in run(tmp_path, "schedule", "show", "teams:19:class6b").stdout
    bad = run(tmp_path, "schedule", "set", "teams:19:class6b", "--cron", "every monday")
    assert bad.returncode == 1
    assert "five fields" in bad.stderr
    records = [json.loads(line) for line in run(tmp_path, "audit", "export").stdout.splitlines()]
    assert [r["action"] for r in records if r["action"].startswith("schedule.")] == ["schedule.set", "schedule.off"]


def test_calendar_import_and_show(tmp_path: Path) -> None:
    (tmp_path / "term.ics").write_bytes(b"BEGIN:VCALENDAR\r\nVERSION:2.0\r\nPRODID:x\r\nBEGIN:VEVENT\r\nUID:1\r\nSUMMARY:Spring Term\r\n"
                                         b"DTSTART;VALUE=DATE:20270104\r\nDTEND;VALUE=DATE:20270327\r\nEND:VEVENT\r\nBEGIN:VEVENT\r\n"
                                         b"UID:2\r\nSUMMARY:February half term\r\nDTSTART;VALUE=DATE:20270215\r\n"
                                         b"DTEND;VALUE=DATE:20270220\r\nEND:VEVENT\r\nEND:VCALENDAR\r\n")
    done = run(tmp_path, "calendar", "import", "term.ics")
    assert done.returncode == 0, done.stderr
    assert "1 terms, 1 holidays" in done.stdout
    assert run(tmp_path, "calendar", "show").stdout.splitlines() == ["term\t2027-01-04\t2027-03-26\tSpring Term",
                                                                     "holiday\t2027-02-15\t2027-02-19\tFebruary half term"]
    (tmp_path / "bad.ics").write_text("not a calendar")
    bad = run(tmp_path, "calendar", "import", "bad.ics")
    assert bad.returncode == 1
    assert "iCalendar" in bad.stderr


async def test_lessons_export_lists_present_and_absent(tmp_path: Path) -> None:
    store = await open_store(redis_url=None, sqlite_path=str(tmp_path / "cli.db"), clock=SystemClock())
    start = datetime(2026, 11, 23, 9, tzinfo=UTC)
    lesson = Lesson(lesson_id="L1", group=GroupKey("teams", "19:c"), started_by=PersonRef("teams", "t1"), started_at=start)
    await store.start_lesson(lesson)
    await store.save_lesson(replace(lesson, ended_at=start, roll=("s1", "s2", "s3"), present=("s1", "s3"), register_by="teams:t1",
                                    register_at=start))
    await store.close()
    done = run(tmp_path, "lessons", "export")
    assert done.returncode == 0, done.stderr
    header, row = done.stdout.splitlines()
    assert header.split(",")[-2:] == ["present", "absent"]
    assert row.startswith("L1,teams:19:c,teams:t1,")
    assert row.endswith(",s1;s3,s2")
    assert "1 lessons exported" in done.stderr


async def test_outbox_list_shows_what_waits_and_why_and_retry_sends_it_again(tmp_path: Path) -> None:
    """A lead's alert waiting for her (she never installed the bot) is listed by name, role, what
    and why, never its words; retried by its short id it is due now, and the retry is audited."""
    from handlers.messenger import Message
    from handlers.outbox import outbox_item
    from handlers.outbox_view import short_id
    from state.due import Queue

    store = await open_store(redis_url=None, sqlite_path=str(tmp_path / "cli.db"), clock=SystemClock())
    await store.merge_roster([Person(channel="teams", user_id="lead", name="Lee Lead", role=Role.DSL)])
    lead, now = PersonRef("teams", "lead"), SystemClock().now()
    words = Message(key="case.report_text", fields={"text": "CLI-SECRET-WORDS"})
    await store.schedule_due(outbox_item(lead, words, key="c1|text", due_at=now))
    (claim,) = await store.claim_due(Queue.OUTBOX, limit=1, lease_seconds=60)
    await store.retry_due(claim, delay_seconds=3600, error="unreachable: teams:lead has no personal chat with the bot")
    await store.close()
    listing = run(tmp_path, "outbox", "list")
    assert listing.returncode == 0, listing.stderr
    (line,) = listing.stdout.splitlines()
    assert line.startswith(f"{short_id('c1|text')}\tLee Lead (dsl)\tcase.report_text\tnext try ")
    assert line.endswith("\tunreachable: teams:lead has no personal chat with the bot")
    assert "CLI-SECRET-WORDS" not in listing.stdout
    assert run(tmp_path, "outbox", "retry").returncode == 2  # neither ids nor --all
    unknown = run(tmp_path, "outbox", "retry", "deadbeef")
    assert (unknown.returncode, "no undelivered message with id deadbeef" in unknown.stderr) == (1, True)
    retried = run(tmp_path, "outbox", "retry", short_id("c1|text"))
    assert retried.stdout.strip() == "1 message(s) will be sent again now"
    store = await open_store(redis_url=None, sqlite_path=str(tmp_path / "cli.db"), clock=SystemClock())
    try:
        (due_now,) = await store.list_undelivered(Queue.OUTBOX)
        assert due_now.next_attempt is not None
        assert due_now.next_attempt <= SystemClock().now()
    finally:
        await store.close()
    assert '"outbox.retried"' in run(tmp_path, "audit", "export").stdout
