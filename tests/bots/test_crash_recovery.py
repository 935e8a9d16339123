"""A report stored, then the process killed (SIGKILL) before delivery finished: after a
restart the case still reaches the lead. Nothing durable lived only in memory."""

from __future__ import annotations

import asyncio
import os
import signal
import sqlite3
import sys
from pathlib import Path

import aiohttp

from bots.sockets import free_port
from bots.teams.fakes.activities import teams_activity
from bots.teams.fakes.bot_connector import FakeBotConnector

ROSTER = ("channel,user_id,name,role,class,consent\n"
          "teams,0f5a1c2e-1111-4a4a-9a9a-000000000001,Amira,student,5A,yes\n"
          "teams,0f5a1c2e-1111-4a4a-9a9a-000000000030,Dr Lead,dsl,,\n")


def environment(tmp_path: Path, port: int) -> dict[str, str]:
    env = {k: v for k, v in os.environ.items() if not k.startswith(("ESAFETY_", "REDIS_", "WECOM_", "Microsoft"))}
    return env | {"ESAFETY_DB": str(tmp_path / "crash.db"), "PORT": str(port), "ESAFETY_ALLOW_ANONYMOUS": "1",
                  "ESAFETY_WORK_LEASE_SECONDS": "2"}


async def start(env: dict[str, str], port: int) -> asyncio.subprocess.Process:
    process = await asyncio.create_subprocess_exec(sys.executable, "-m", "bots.cli", "serve", env=env,
                                                   stdout=asyncio.subprocess.DEVNULL, stderr=asyncio.subprocess.DEVNULL)
    async with aiohttp.ClientSession() as http:
        for _ in range(200):
            try:
                async with http.get(f"http://127.0.0.1:{port}/healthz") as response:
                    if response.status == 200:
                        return process
            except aiohttp.ClientError:
                await asyncio.sleep(0.05)
    raise AssertionError("server did not start")


def case_state(db: Path) -> str | None:
    with sqlite3.connect(db) as connection:
        row = connection.execute("SELECT state FROM cases").fetchone()
    return row[0] if row else None


async def test_sigkill_between_storing_and_delivering(tmp_path: Path, connector: FakeBotConnector) -> None:
    """Every send hangs, the process is SIGKILLed mid-delivery; the restarted process
    takes the work over when the lease runs out and the lead gets the card."""
    port = free_port()
    env = environment(tmp_path, port)
    (tmp_path / "roster.csv").write_text(ROSTER)
    importer = await asyncio.create_subprocess_exec(sys.executable, "-m", "bots.cli", "roster", "import", str(tmp_path / "roster.csv"),
                                                    env=env, stdout=asyncio.subprocess.DEVNULL)
    assert await importer.wait() == 0
    server = await start(env, port)
    url = f"http://127.0.0.1:{port}/api/messages"
    async with aiohttp.ClientSession() as http:
        await http.post(url, json=teams_activity("install_personal", connector.url))
        connector.slow_next(8, times=5)  # every send in flight hangs
        async with http.post(url, json=teams_activity("personal_message", connector.url, text="report someone took my password")) as r:
            assert r.status == 201
    for _ in range(200):  # the inbox worker turns the accepted message into the case
        if case_state(tmp_path / "crash.db") == "new":
            break
        await asyncio.sleep(0.02)
    assert case_state(tmp_path / "crash.db") == "new"
    await asyncio.sleep(0.8)  # the worker has claimed the first entry and is stuck sending it
    server.send_signal(signal.SIGKILL)
    await server.wait()
    assert connector.sent_to("a:personal-lead") == []
    connector.faults.clear()

    server = await start(env, port)
    try:
        for _ in range(200):  # the state is recorded just after the send returns: wait for both
            if len(connector.sent_to("a:personal-lead")) >= 2 and case_state(tmp_path / "crash.db") == "delivered":
                break
            await asyncio.sleep(0.05)
        card = [m for m in connector.sent_to("a:personal-lead") if m.get("attachments")]
        assert card, "the lead never got the card after the restart"
        assert case_state(tmp_path / "crash.db") == "delivered"
    finally:
        server.send_signal(signal.SIGTERM)
        await server.wait()
