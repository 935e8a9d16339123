"""The Teams inbound path, against a bare aiohttp handler measured in the same run.

1. **Acceptance**: what `POST /api/messages` costs before it answers: shape checks, the
   serviceUrl check, authentication (anonymous local mode), and the durable inbox write on the
   SQLite Store. Measured with the workers stopped, so the figure is the webhook's own; the
   cost ratio is the bare handler's answered-per-second over ours (1.0x = as cheap as bare).
   Closed loop (50 clients) for the rate, and open loop at a fixed offered rate for the p99.
2. **End to end**: a student's direct message in, the refusal delivered at the fake Bot
   Connector, with everything running (Teams' rate limits lifted: they would cap it at 30/s).

Servers run in their own process; the load generator and the fake connector run here.
"""

from __future__ import annotations

import time
from typing import Any

import aiohttp

from bench.load import HEADER, Load, closed_loop, open_loop
from bench.processes import in_process
from tests.fakes.bot_connector import FakeBotConnector
from tests.fakes.teams_activities import teams_activity
from tests.fakes.waiting import eventually

COUNT, CLIENTS = 3000, 50
RATE, SECONDS = 200, 10
END_TO_END = 1000
STUDENTS = 200  # senders: the refusals go to 200 private chats, as in a school
ENV = {"ESAFETY_ALLOW_ANONYMOUS": "1"}


def messages(service_url: str, run: str) -> Any:
    """The n-th direct message of a run: its own activity id, from one of STUDENTS students."""
    template = teams_activity("personal_message", service_url)

    def body(n: int) -> dict[str, Any]:
        student = n % STUDENTS
        return template | {"id": f"{run}-{n}", "from": {**template["from"], "id": f"29:bench-{student}", "aadObjectId": f"bench-{student}"},
                           "conversation": {**template["conversation"], "id": f"a:bench-{student}"}}

    return body


async def acceptance(url: str, name: str, body: Any) -> tuple[Load, Load]:
    rate = await closed_loop(f"{name}, {CLIENTS} clients", url, body, count=COUNT, clients=CLIENTS)
    latency = await open_loop(f"{name}, {RATE}/s offered", url, lambda n: body(COUNT + n), rate=RATE, seconds=SECONDS)
    return rate, latency


async def end_to_end(base: str, connector: FakeBotConnector, body: Any) -> float:
    """Direct messages in (50 clients) until every refusal has reached the connector; per second."""
    async with aiohttp.ClientSession() as http:  # warm up: the first message pays imports and the first connector client
        await http.post(f"{base}/api/messages", json=body(-1))
    assert await eventually(lambda: connector.all_sent(), seconds=30), "no refusal arrived"
    connector.received.clear()
    began = time.perf_counter()
    await closed_loop("end to end", f"{base}/api/messages", body, count=END_TO_END, clients=CLIENTS)
    if not await eventually(lambda: len(connector.all_sent()) >= END_TO_END, seconds=300, step=0.01):
        raise TimeoutError(f"only {len(connector.all_sent())} of {END_TO_END} refusals arrived")
    return END_TO_END / (time.perf_counter() - began)


async def main() -> None:
    connector = FakeBotConnector()
    await connector.start()
    try:
        with in_process("bare") as bare:
            baseline = await acceptance(f"{bare}/api/messages", "bare aiohttp: parse JSON, 200", messages(connector.url, "bare"))
        with in_process("bot", env=ENV, workers=False) as bot:
            accepted = await acceptance(f"{bot}/api/messages", "esafety-bot accepting", messages(connector.url, "accept"))
        with in_process("bot", env=ENV, unthrottled=True) as bot:
            flowing = await end_to_end(bot, connector, messages(connector.url, "flow"))
    finally:
        await connector.stop()
    print(f"\nTeams inbound: POST /api/messages, a student's direct message ({COUNT} closed-loop, {RATE}/s for {SECONDS} s open-loop)")
    print(HEADER)
    for ours, bare in zip(accepted, baseline, strict=True):
        print(bare.line(bare))
        print(ours.line(bare))
    print(f"  acceptance cost: {baseline[0].per_second / accepted[0].per_second:.2f}x the bare handler's (goal: at most 3x)")
    print(f"End to end: {END_TO_END} direct messages in, refusals delivered at the fake connector: {flowing:,.0f} per second")
