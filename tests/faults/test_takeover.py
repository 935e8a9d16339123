"""Two instances on one Redis; one is SIGKILLed in the middle of delivering a lead's card. The
other takes the card over as soon as the dead one's heartbeat is old (15 s), not when its
five-minute lease runs out (handlers/heartbeat.py)."""

from __future__ import annotations

import asyncio
from pathlib import Path

import aiohttp

from bots.teams.fakes.activities import teams_activity
from bots.teams.fakes.bot_connector import FakeBotConnector
from bots.waiting import eventually
from handlers.heartbeat import DEAD_AFTER_SECONDS
from state.redis_server import RedisServer
from tests.conftest import empty_redis
from tests.faults.serving import ServedBot, environment, run_cli
from tests.faults.test_crash_recovery import ROSTER

LEASE_SECONDS = 300  # the default: the test shows the card does not wait for it


async def test_a_live_instance_takes_over_a_killed_ones_delivery_within_seconds(tmp_path: Path, connector: FakeBotConnector,
                                                                                 redis_server: RedisServer) -> None:
    await empty_redis(redis_server)
    first, second = (ServedBot(environment(tmp_path, REDIS_URL=redis_server.url, ESAFETY_WORK_LEASE_SECONDS=str(LEASE_SECONDS)))
                     for _ in range(2))
    (tmp_path / "roster.csv").write_text(ROSTER)
    await run_cli(first.env, "roster", "import", str(tmp_path / "roster.csv"))
    await first.start()
    try:
        async with aiohttp.ClientSession() as http:
            await http.post(first.url, json=teams_activity("install_personal", connector.url))
            await asyncio.sleep(1)  # the lead's personal chat is remembered
            connector.slow_next(LEASE_SECONDS, conversation_id="a:personal-lead")  # the lead's card hangs: the instance is stuck in it
            await http.post(first.url, json=teams_activity("personal_message", connector.url, text="report someone took my password"))
        assert await eventually(lambda: not connector.faults, seconds=10), "the first instance never started sending"
        await second.start()

        def card() -> list[object]:
            return [m for m in connector.sent_to("a:personal-lead") if m.get("attachments")]

        assert not card()  # still held up in the first instance
        await first.kill()

        # waited for far less than the lease: only the heartbeat can have handed the card on
        assert await eventually(card, seconds=DEAD_AFTER_SECONDS + 30, step=0.1), "the live instance never took the card over"
        assert len(card()) == 1
    finally:
        for bot in (first, second):
            await bot.stop()
