"""Concern delivery against the fake Bot Connector: how long from a child's `report` to the
first delivery attempt to the lead (p50/p99), and how many cases per second the outbox
delivers. The real server (anonymous local mode, SQLite) and the real Teams Messenger, with
Teams' rate limits lifted so the figure is our machinery's: with them on, one lead's chat
takes at most 60 messages per 30 s, i.e. one case (card + words) per second per lead. The
baseline: a chat message from the same student → its reply, timed the same way. Goals (none was
given) are ours: the lead's first message within AT_ONCE_SECONDS (004 strategy 9: a concern is
passed on straight away), and an outbox at least as fast as Teams lets three messages a case go."""

from __future__ import annotations

import statistics
import time
from collections.abc import Callable
from functools import partial

import aiohttp

from bench.results import Figure, Section
from bench.serving import serving
from bench.timing import p99
from bots.teams.channel import TeamsOptions
from bots.teams.delivery import APP_SENDS_PER_SECOND
from bots.teams.fakes.activities import teams_activity
from bots.teams.fakes.bot_connector import FakeBotConnector
from bots.waiting import eventually
from handlers.concerns import Report, receive_report
from state.models import Person, Role

REPORTS = 100
BULK = 300
LEAD = Person(channel="teams", user_id="0f5a1c2e-1111-4a4a-9a9a-000000000030", name="Lead", role=Role.DSL)
STUDENT = Person(channel="teams", user_id="0f5a1c2e-1111-4a4a-9a9a-000000000001", name="Student", role=Role.STUDENT)
LEAD_CHAT, STUDENT_CHAT = "a:personal-lead", "a:personal-s1"
AT_ONCE_SECONDS = 1.0
CASES_PER_SECOND = APP_SENDS_PER_SECOND / 3  # card + words to the lead, "received" to the child


async def until(done: Callable[[], bool], *, step: float) -> None:
    """Wait for the fake connector to have what we expect; bounded, so a bench stops by itself."""
    if not await eventually(done, seconds=120, step=step):
        raise TimeoutError("the expected deliveries did not arrive")


async def round_trips(http: aiohttp.ClientSession, url: str, connector: FakeBotConnector, text: str, to: str) -> list[float]:
    """REPORTS messages from the student, one at a time, each timed from its POST until the next
    message reaches conversation `to`; sorted seconds."""
    latencies = []
    for n in range(REPORTS):
        before, began = len(connector.sent_to(to)), time.perf_counter()
        await http.post(url, json=teams_activity("personal_message", connector.url, id=f"{to}-{n}", text=f"{text} {n}"))
        await until(partial(more_than, connector, to, before), step=0.001)
        latencies.append(time.perf_counter() - began)
    await connector.settled()  # what the last message still sends goes before anything else is timed
    return sorted(latencies)


def more_than(connector: FakeBotConnector, conversation: str, count: int) -> bool:
    return len(connector.sent_to(conversation)) > count


async def main() -> Section:
    connector = FakeBotConnector()
    await connector.start()
    env = {"ESAFETY_ALLOW_ANONYMOUS": "1", "ESAFETY_SCHOOL_HOURS": "MON-SUN 00:00-23:59"}
    try:
        async with serving(env, teams_options=TeamsOptions(unthrottled=True)) as (bot, base), aiohttp.ClientSession() as http:
            await bot.store.merge_roster([LEAD, STUDENT])
            url = f"{base}/api/messages"
            await http.post(url, json=teams_activity("install_personal", connector.url))
            await connector.settled()
            replies = await round_trips(http, url, connector, "hello can we chat", STUDENT_CHAT)
            latencies = await round_trips(http, url, connector, "report bench", LEAD_CHAT)
            print(f"\nReport → first delivery to the lead ({REPORTS} reports over HTTP, one at a time)")
            print(f"  p50 {1000 * statistics.median(latencies):.0f} ms   p99 {1000 * p99(latencies):.0f} ms   (baseline, a chat message → "
                  f"its reply: p50 {1000 * statistics.median(replies):.0f} ms   p99 {1000 * p99(replies):.0f} ms)")
            cards = len(connector.sent_to(LEAD_CHAT))
            began = time.perf_counter()
            for n in range(BULK):
                await receive_report(bot.deps, Report(reporter=STUDENT, text=f"bulk report {n}", origin=f"bench-bulk-{n}"))
            queued = time.perf_counter() - began
            await until(lambda: len(connector.sent_to(LEAD_CHAT)) >= cards + 2 * BULK, step=0.01)
            total = time.perf_counter() - began
            print(f"Outbox throughput: {BULK} cases stored in {queued:.2f}s; card + words for all delivered in {total:.2f}s "
                  f"→ {BULK / total:.0f} cases/s (each case: 2 messages to the lead + 1 reply to the child)")
    finally:
        await connector.stop()
    at_once = f"our goal: under {1000 * AT_ONCE_SECONDS:.0f} ms (004 strategy 9: straight away)"
    return Section("Report → first delivery to the lead (Teams)",
                   f"{REPORTS} reports over HTTP, one at a time, Teams' rate limits lifted. Baseline, same run: {REPORTS} chat messages "
                   f"from the same student → the reply in their chat, timed the same way. The outbox rate ({BULK} cases) has no "
                   "baseline: its goal is Teams' cap.", (
                       Figure("p50 report → first delivery", 1000 * statistics.median(latencies), "ms", 1000 * statistics.median(replies),
                              at_once, statistics.median(latencies) < AT_ONCE_SECONDS),
                       Figure("p99 report → first delivery", 1000 * p99(latencies), "ms", 1000 * p99(replies),
                              at_once, p99(latencies) < AT_ONCE_SECONDS),
                       Figure(f"outbox: cases delivered, {BULK} at once", BULK / total, "cases/s", None,
                              f"our goal: ≥ {CASES_PER_SECOND:.1f} cases/s (3 messages a case at Teams' {APP_SENDS_PER_SECOND}/s)",
                              BULK / total >= CASES_PER_SECOND)))
