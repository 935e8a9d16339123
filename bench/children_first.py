"""Children first: a burst of 100 reports from 100 children to one lead, with Teams' rate limits on.

Each child must hear "received" promptly although the lead's chat takes at most 60 messages per
30 s (two per case: 200 messages, about 100 s). The figure is each child's time from their
report's POST to their reply at the fake Bot Connector, against one child reporting alone in the
same run (the baseline). The real server (`run_bot` on SQLite, anonymous local mode, in its own
process: the load and the fake connector run here) and the real Teams Messenger; goal: p99
under GOAL_SECONDS.
"""

from __future__ import annotations

import asyncio
import statistics
import tempfile
import time
from pathlib import Path
from typing import Any

import aiohttp

from bench.processes import in_process
from bench.results import Figure, Section
from bench.timing import p99
from bots.teams.fakes.activities import teams_activity
from bots.teams.fakes.bot_connector import FakeBotConnector
from bots.waiting import eventually
from state.models import Person, Role
from state.sqlite import SqliteStore

CHILDREN = 100
GOAL_SECONDS = 2.0
LEAD = Person(channel="teams", user_id="0f5a1c2e-1111-4a4a-9a9a-000000000030", name="Lead", role=Role.DSL)


def child(n: int) -> Person:
    return Person(channel="teams", user_id=f"bench-child-{n}", name=f"Child {n}", role=Role.STUDENT)


def report(connector: FakeBotConnector, n: int) -> dict[str, Any]:
    template = teams_activity("personal_message", connector.url)
    return template | {"id": f"burst-{n}", "text": f"report something happened to child {n}",
                       "from": {**template["from"], "id": f"29:bench-child-{n}", "aadObjectId": f"bench-child-{n}"},
                       "conversation": {**template["conversation"], "id": f"a:bench-child-{n}"}}


async def reply_seconds(http: aiohttp.ClientSession, url: str, connector: FakeBotConnector, children: range) -> list[float]:
    """POST the children's reports at once; for each, seconds until their first message arrived
    (one poll for all, so the measuring costs the server's process little)."""

    async def post(n: int) -> float:
        posted = time.monotonic()
        async with http.post(url, json=report(connector, n)) as response:
            assert response.status == 201, response.status
        return posted

    posted = await asyncio.gather(*(post(n) for n in children))
    chats = {f"a:bench-child-{n}" for n in children}

    def answered() -> dict[str, float]:
        first: dict[str, float] = {}
        for received in connector.all_sent():
            if received.conversation_id in chats:
                first.setdefault(received.conversation_id, received.at)
        return first

    if not await eventually(lambda: len(answered()) == len(chats), seconds=300, step=0.02):
        raise TimeoutError(f"{len(chats) - len(answered())} children never heard back")
    arrived = answered()
    return sorted(arrived[f"a:bench-child-{n}"] - at for n, at in zip(children, posted, strict=True))


async def main() -> Section:
    connector = FakeBotConnector()
    await connector.start()
    try:
        with tempfile.TemporaryDirectory(prefix="esafety-bench-") as scratch:
            database = str(Path(scratch) / "children.db")
            store = await SqliteStore.open(database)
            await store.merge_roster([LEAD, *(child(n) for n in range(CHILDREN + 1))])
            await store.close()
            env = {"ESAFETY_DB": database, "ESAFETY_ALLOW_ANONYMOUS": "1", "ESAFETY_SCHOOL_HOURS": "MON-SUN 00:00-23:59"}
            with in_process("bot", env=env) as base:
                return await burst(f"{base}/api/messages", connector)
    finally:
        await connector.stop()


async def burst(url: str, connector: FakeBotConnector) -> Section:
    async with aiohttp.ClientSession() as http:
        await http.post(url, json=teams_activity("install_personal", connector.url))
        (alone,) = await reply_seconds(http, url, connector, range(CHILDREN, CHILDREN + 1))
        began = time.monotonic()
        waits = await reply_seconds(http, url, connector, range(CHILDREN))
        cards = sum(1 for r in connector.sent_to("a:personal-lead") if r.get("attachments"))
        print(f"\nChildren first: {CHILDREN} children report at once to one lead (Teams' rate limits on)")
        print(f"  one child alone (baseline): reply after {1000 * alone:.0f} ms")
        print(f"  in the burst: p50 {1000 * statistics.median(waits):.0f} ms, p99 {1000 * p99(waits):.0f} ms, "
              f"max {1000 * waits[-1]:.0f} ms (goal: p99 under {GOAL_SECONDS:.0f} s); every child answered "
              f"{time.monotonic() - began:.1f} s after the burst began, while the lead had {cards} of {CHILDREN + 1} cards")
    return Section("A child's \"received\" under a burst of reports (Teams)",
                   f"{CHILDREN} children report at once to one lead, Teams' rate limits on (the lead's chat takes 60 messages per 30 s). "
                   "Each child's wait: from their POST to their reply at the fake Bot Connector. Baseline, same run: one child "
                   "reporting alone.",
                   (Figure(f"p99 wait in a burst of {CHILDREN}", 1000 * p99(waits), "ms", 1000 * alone,
                           f"p99 under {GOAL_SECONDS:.0f} s", p99(waits) < GOAL_SECONDS),))


if __name__ == "__main__":
    asyncio.run(main())
