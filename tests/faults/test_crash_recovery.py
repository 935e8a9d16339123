"""A report stored, then the process killed (SIGKILL) before delivery finished: after a
restart the case still reaches the lead. Nothing durable lived only in memory."""

from __future__ import annotations

import asyncio
import sqlite3
from pathlib import Path

import aiohttp

from bots.teams.fakes.activities import teams_activity
from bots.teams.fakes.bot_connector import FakeBotConnector
from tests.faults.serving import ServedBot, environment, run_cli

ROSTER = ("channel,user_id,name,role,class,consent\n"
          "teams,0f5a1c2e-1111-4a4a-9a9a-000000000001,Amira,student,5A,yes\n"
          "teams,0f5a1c2e-1111-4a4a-9a9a-000000000030,Dr Lead,dsl,,\n")


def case_state(db: Path) -> str | None:
    with sqlite3.connect(db) as connection:
        row = connection.execute("SELECT state FROM cases").fetchone()
    return row[0] if row else None


async def test_sigkill_between_storing_and_delivering(tmp_path: Path, connector: FakeBotConnector) -> None:
    """Every send hangs, the process is SIGKILLed mid-delivery; the restarted process
    takes the work over when the lease runs out and the lead gets the card."""
    bot = ServedBot(environment(tmp_path))
    (tmp_path / "roster.csv").write_text(ROSTER)
    await run_cli(bot.env, "roster", "import", str(tmp_path / "roster.csv"))
    await bot.start()
    url, db = bot.url, Path(bot.env["ESAFETY_DB"])
    async with aiohttp.ClientSession() as http:
        await http.post(url, json=teams_activity("install_personal", connector.url))
        connector.slow_next(8, times=5)  # every send in flight hangs
        async with http.post(url, json=teams_activity("personal_message", connector.url, text="report someone took my password")) as r:
            assert r.status == 201
    for _ in range(200):  # the inbox worker turns the accepted message into the case
        if case_state(db) == "new":
            break
        await asyncio.sleep(0.02)
    assert case_state(db) == "new"
    await asyncio.sleep(0.8)  # the worker has claimed the first entry and is stuck sending it
    await bot.kill()
    assert connector.sent_to("a:personal-lead") == []
    connector.faults.clear()

    await bot.start()
    try:
        for _ in range(200):  # the state is recorded just after the send returns: wait for both
            if len(connector.sent_to("a:personal-lead")) >= 2 and case_state(db) == "delivered":
                break
            await asyncio.sleep(0.05)
        card = [m for m in connector.sent_to("a:personal-lead") if m.get("attachments")]
        assert card, "the lead never got the card after the restart"
        assert case_state(db) == "delivered"
    finally:
        await bot.stop()
