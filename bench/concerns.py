"""Concern delivery against the fake Bot Connector: how long from a child's `report` to the
first delivery attempt to the lead (p50/p99), and how many cases per second the outbox
delivers. The real server (anonymous local mode, SQLite) and the real Teams Messenger, with
Teams' rate limits lifted so the figure is our machinery's: with them on, one lead's chat
takes at most 60 messages per 30 s, i.e. one case (card + words) per second per lead."""

from __future__ import annotations

import statistics
import time
from collections.abc import Callable

import aiohttp

from bench.serving import serving
from bots.teams.channel import TeamsOptions
from bots.teams.fakes.activities import teams_activity
from bots.teams.fakes.bot_connector import FakeBotConnector
from bots.waiting import eventually
from handlers.concerns import Report, receive_report
from state.models import Person, Role

REPORTS = 100
BULK = 300
LEAD = Person(channel="teams", user_id="0f5a1c2e-1111-4a4a-9a9a-000000000030", name="Lead", role=Role.DSL)
STUDENT = Person(channel="teams", user_id="0f5a1c2e-1111-4a4a-9a9a-000000000001", name="Student", role=Role.STUDENT)


async def until(done: Callable[[], bool], *, step: float) -> None:
    """Wait for the fake connector to have what we expect; bounded, so a bench stops by itself."""
    if not await eventually(done, seconds=120, step=step):
        raise TimeoutError("the expected deliveries did not arrive")


async def main() -> None:
    connector = FakeBotConnector()
    await connector.start()
    env = {"ESAFETY_ALLOW_ANONYMOUS": "1", "ESAFETY_SCHOOL_HOURS": "MON-SUN 00:00-23:59"}
    try:
        async with serving(env, teams_options=TeamsOptions(unthrottled=True)) as (bot, base), aiohttp.ClientSession() as http:
            await bot.store.merge_roster([LEAD, STUDENT])
            url = f"{base}/api/messages"
            await http.post(url, json=teams_activity("install_personal", connector.url))
            latencies = []
            for n in range(REPORTS):
                before, began = len(connector.sent_to("a:personal-lead")), time.perf_counter()
                await http.post(url, json=teams_activity("personal_message", connector.url, id=f"r{n}", text=f"report bench {n}"))
                await until(lambda count=before: len(connector.sent_to("a:personal-lead")) > count, step=0.001)
                latencies.append(time.perf_counter() - began)
            latencies.sort()
            print(f"\nReport → first delivery to the lead ({REPORTS} reports over HTTP, one at a time)")
            print(f"  p50 {1000 * statistics.median(latencies):.0f} ms   p99 {1000 * latencies[int(len(latencies) * 0.99) - 1]:.0f} ms")
            cards = len(connector.sent_to("a:personal-lead"))
            began = time.perf_counter()
            for n in range(BULK):
                await receive_report(bot.deps, Report(reporter=STUDENT, text=f"bulk report {n}", origin=f"bench-bulk-{n}"))
            queued = time.perf_counter() - began
            await until(lambda: len(connector.sent_to("a:personal-lead")) >= cards + 2 * BULK, step=0.01)
            total = time.perf_counter() - began
            print(f"Outbox throughput: {BULK} cases stored in {queued:.2f}s; card + words for all delivered in {total:.2f}s "
                  f"→ {BULK / total:.0f} cases/s (each case: 2 messages to the lead + 1 reply to the child)")
    finally:
        await connector.stop()
