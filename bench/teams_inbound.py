"""The Teams inbound path, against a bare aiohttp handler measured in the same run.

1. **Acceptance**: what `POST /api/messages` costs before it answers: shape checks, the
   serviceUrl check, authentication (anonymous local mode), and the durable inbox write on the
   SQLite Store. Measured with the workers stopped, so the figure is the webhook's own. The rate
   comes from `wrk` (50 connections, on its own core); the cost is the bare handler's answered
   per second over ours (1.00x = as cheap as bare). The p99 comes from an open loop at a fixed
   offered rate (Python, latency counted from when each request was due).
2. **End to end**: a student's direct message in, the refusal delivered at the fake Bot
   Connector, with everything running (Teams' rate limits lifted: they would cap it at 50/s).

Servers run in their own process; the open loop, the end-to-end senders and the fake
connector run here. Goals: acceptance at most COST_GOAL times the bare handler's cost; ours (none
was given) for the open loop's p99, P99_GOAL_MS, and for end to end at least Teams' own 50
sends a second per app, so Microsoft's limit and not our machinery is what caps delivery.
"""

from __future__ import annotations

import json
import statistics
import time
from dataclasses import replace
from typing import Any

from bench import wrk
from bench.load import HEADER, Load, closed_loop, open_loop
from bench.processes import in_process
from bench.results import Figure, Section
from bots.teams.delivery import APP_SENDS_PER_SECOND
from bots.teams.fakes.activities import teams_activity
from bots.teams.fakes.bot_connector import FakeBotConnector
from bots.waiting import eventually

SECONDS, CLIENTS, ROUNDS = 10, 50, 3
RATE, OPEN_SECONDS = 200, 10
END_TO_END = 1000
STUDENTS = 200  # senders: the refusals go to 200 private chats, as in a school
ENV = {"ESAFETY_ALLOW_ANONYMOUS": "1"}
COST_GOAL, P99_GOAL_MS = 3.0, 100.0


def messages(service_url: str, run: str) -> Any:
    """The n-th direct message of a run: its own activity id, from one of STUDENTS students."""
    template = teams_activity("personal_message", service_url)

    def body(n: int) -> dict[str, Any]:
        student = n % STUDENTS
        return template | {"id": f"{run}-{n}", "from": {**template["from"], "id": f"29:bench-{student}", "aadObjectId": f"bench-{student}"},
                           "conversation": {**template["conversation"], "id": f"a:bench-{student}"}}

    return body


async def acceptance(bare: str, bot: str, service_url: str) -> tuple[list[Load], list[Load]]:
    """Closed loop: ROUNDS rounds, bare and bot alternately, so a slow moment of the machine
    falls on both; then the open loop on each."""
    rounds: list[Load] = []
    for n in range(ROUNDS):
        for name, url in (("bare aiohttp: parse JSON, 200", bare), ("esafety-bot accepting", bot)):
            template = json.dumps(teams_activity("personal_message", service_url, id=f"{name[:4]}-{n}-{{N}}"))
            rounds.append(await wrk.closed_loop(f"{name}, wrk {CLIENTS} connections", url, template, seconds=SECONDS, clients=CLIENTS))
    opened = [await open_loop(f"{name}, {RATE}/s offered", url, messages(service_url, f"{name[:4]}-open"), rate=RATE, seconds=OPEN_SECONDS)
              for name, url in (("bare aiohttp: parse JSON, 200", bare), ("esafety-bot accepting", bot))]
    return [median(rounds[0::2]), median(rounds[1::2])], opened


def median(loads: list[Load]) -> Load:
    """The round with the median rate, named as such."""
    middle = sorted(loads, key=lambda load: load.per_second)[len(loads) // 2]
    return replace(middle, name=f"{middle.name} (median of {len(loads)})")


async def end_to_end(base: str, connector: FakeBotConnector, body: Any) -> float:
    """Direct messages in (50 clients) until every refusal has reached the connector; per
    second, the median of ROUNDS rounds."""
    await closed_loop("warm-up", f"{base}/api/messages", lambda n: body(-1 - n), count=1, clients=1)
    assert await eventually(lambda: connector.all_sent(), seconds=30), "no refusal arrived"
    rates = []
    for n in range(ROUNDS):
        connector.received.clear()
        began = time.perf_counter()
        await closed_loop("end to end", f"{base}/api/messages", shifted(body, n * END_TO_END), count=END_TO_END, clients=CLIENTS)
        if not await eventually(lambda: len(connector.all_sent()) >= END_TO_END, seconds=300, step=0.01):
            raise TimeoutError(f"only {len(connector.all_sent())} of {END_TO_END} refusals arrived")
        rates.append(END_TO_END / (time.perf_counter() - began))
    return statistics.median(rates)


def shifted(body: Any, first: int) -> Any:
    """Bodies numbered from `first`, so each round's activities are new."""
    return lambda n: body(first + n)


async def main() -> tuple[Section, Section]:
    """Print the tables; return the acceptance section and the end-to-end one."""
    connector = FakeBotConnector()
    await connector.start()
    try:
        with in_process("bare") as bare, in_process("bot", env=ENV, workers=False) as bot:
            closed, opened = await acceptance(f"{bare}/api/messages", f"{bot}/api/messages", connector.url)
        with in_process("bot", env=ENV, unthrottled=True) as bot:
            flowing = await end_to_end(bot, connector, messages(connector.url, "flow"))
    finally:
        await connector.stop()
    print(f"\nTeams inbound: POST /api/messages, a student's direct message "
          f"(wrk {SECONDS} s x {ROUNDS}; {RATE}/s offered for {OPEN_SECONDS} s)")
    print(HEADER)
    print(closed[0].line(closed[0]))
    print(closed[1].line(closed[0]))
    for load in opened:
        print(load.line())
    print(f"  acceptance cost: {closed[0].per_second / closed[1].per_second:.2f}x the bare handler's per request "
          f"(goal: at most {COST_GOAL:.0f}x)")
    print(f"End to end: {END_TO_END} direct messages in (50 clients), refusals delivered at the fake connector: "
          f"{flowing:,.0f} per second (median of {ROUNDS}), {closed[0].per_second / flowing:,.0f}x the bare handler's cost per message")
    return sections(closed, opened, flowing)


def sections(closed: list[Load], opened: list[Load], flowing: float) -> tuple[Section, Section]:
    """Acceptance, and end to end; each against the bare handler (first in `closed` and `opened`)."""
    (bare, ours), (bare_open, ours_open) = closed, opened
    accepted = Figure(f"answered, wrk {CLIENTS} connections × {SECONDS} s (median of {ROUNDS})", ours.per_second, "req/s",
                      bare.per_second, f"cost ≤ {COST_GOAL:.0f}x the bare handler's", bare.per_second / ours.per_second <= COST_GOAL)
    answered = Figure(f"p99 answer, {RATE}/s offered for {OPEN_SECONDS} s", ours_open.p99_ms, "ms", bare_open.p99_ms,
                      f"our goal: ≤ {P99_GOAL_MS:.0f} ms", ours_open.p99_ms <= P99_GOAL_MS)
    delivered = Figure(f"refusals delivered (median of {ROUNDS})", flowing, "msg/s", bare.per_second,
                       f"our goal: ≥ {APP_SENDS_PER_SECOND} msg/s, Teams' own cap per app", flowing >= APP_SENDS_PER_SECOND)
    return (Section("Webhook acceptance: Teams", "`POST /api/messages`, a student's direct message, workers stopped. Baseline, same "
                    "run: a bare aiohttp handler (parse the JSON, answer 200) in its own process, measured alternately.",
                    (accepted, answered)),
            Section("End to end: a student's direct message → the refusal delivered (Teams)",
                    f"{END_TO_END} direct messages from {STUDENTS} students (50 clients) until every refusal reached the fake Bot "
                    "Connector, Teams' rate limits lifted. Baseline: the bare handler's acceptance rate above (wrk).", (delivered,)))
