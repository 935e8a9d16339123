"""Two instances on one Redis; one is SIGKILLed in the middle of delivering a lead's card. The
other takes the card over as soon as the dead one's heartbeat is old (15 s), not when its
five-minute lease runs out (handlers/heartbeat.py)."""

from __future__ import annotations

import asyncio
import signal
import sys
from pathlib import Path

import aiohttp

from bots.sockets import free_port
from bots.teams.fakes.activities import teams_activity
from bots.teams.fakes.bot_connector import FakeBotConnector
from bots.waiting import eventually
from handlers.heartbeat import DEAD_AFTER_SECONDS
from state.redis_server import RedisServer
from tests.bots.test_crash_recovery import ROSTER, environment, start
from tests.conftest import empty_redis

LEASE_SECONDS = 300  # the default: the test shows the card does not wait for it


async def test_a_live_instance_takes_over_a_killed_ones_delivery_within_seconds(tmp_path: Path, connector: FakeBotConnector,
                                                                                 redis_server: RedisServer) -> None:
    await empty_redis(redis_server)
    ports = free_port(), free_port()
    envs = [environment(tmp_path, port) | {"REDIS_URL": redis_server.url, "ESAFETY_WORK_LEASE_SECONDS": str(LEASE_SECONDS)}
            for port in ports]
    (tmp_path / "roster.csv").write_text(ROSTER)
    importer = await asyncio.create_subprocess_exec(sys.executable, "-m", "bots.cli", "roster", "import", str(tmp_path / "roster.csv"),
                                                    env=envs[0], stdout=asyncio.subprocess.DEVNULL)
    assert await importer.wait() == 0
    first = await start(envs[0], ports[0])
    second = None
    try:
        async with aiohttp.ClientSession() as http:
            url = f"http://127.0.0.1:{ports[0]}/api/messages"
            await http.post(url, json=teams_activity("install_personal", connector.url))
            await asyncio.sleep(1)  # the lead's personal chat is remembered
            connector.slow_next(LEASE_SECONDS, conversation_id="a:personal-lead")  # the lead's card hangs: the instance is stuck in it
            await http.post(url, json=teams_activity("personal_message", connector.url, text="report someone took my password"))
        assert await eventually(lambda: not connector.faults, seconds=10), "the first instance never started sending"
        second = await start(envs[1], ports[1])

        def card() -> list[object]:
            return [m for m in connector.sent_to("a:personal-lead") if m.get("attachments")]

        assert not card()  # still held up in the first instance
        first.send_signal(signal.SIGKILL)
        await first.wait()

        # waited for far less than the lease: only the heartbeat can have handed the card on
        assert await eventually(card, seconds=DEAD_AFTER_SECONDS + 30, step=0.1), "the live instance never took the card over"
        assert len(card()) == 1
    finally:
        for process in (first, second):
            if process is not None and process.returncode is None:
                process.send_signal(signal.SIGTERM)
                await process.wait()
