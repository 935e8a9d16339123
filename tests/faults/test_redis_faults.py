"""Redis failing under the running `serve` while children report (issue 17): a Redis with the
append-only file on (fsync always), started by the test on a free port, is crashed and started
again, paused (SIGSTOP) for longer than the client's 10 s timeout, or reached through a proxy
that adds latency, resets connections and black-holes traffic.

Every report sent in those windows is answered honestly: accepted (201), then 'received' and
delivered to the lead; or refused (503) with the 'not saved, send it again or tell an adult'
reply in the same turn. Never 'received' followed by a loss. The bot reconnects by itself (the
same process serves before and after), /readyz says 503 while Redis does not answer, and the
audit log has no gap."""

from __future__ import annotations

import asyncio
import contextlib
from collections import Counter
from collections.abc import AsyncIterator, Awaitable, Callable
from pathlib import Path

import aiohttp
import pytest

from bots.teams.fakes.bot_connector import FakeBotConnector
from policy_text.catalog import Catalog
from state.redis_server import RedisServer
from tests.faults.school import SETTINGS, School, post_once
from tests.faults.serving import ServedBot, environment
from tests.faults.tcp_proxy import FaultProxy, Weather

REPORT_GAP_SECONDS = 0.5
CLIENT_TIMEOUT_SECONDS = 10  # state/redis.py: socket_timeout
NOT_SAVED = Catalog.load().entry("inbound.not_saved", "en").text.split("{")[0]


@pytest.fixture
async def redis(tmp_path: Path) -> AsyncIterator[RedisServer]:
    (tmp_path / "redis").mkdir()
    server = RedisServer(tmp_path / "redis")
    server.start()
    yield server
    with contextlib.suppress(RuntimeError):
        server.resume()
    server.stop()


@pytest.fixture
async def proxy(redis: RedisServer) -> AsyncIterator[FaultProxy]:
    fake_network = FaultProxy(redis.port)
    await fake_network.start()
    yield fake_network
    await fake_network.stop()


async def crash_and_restart(redis: RedisServer, _: FaultProxy) -> None:
    await asyncio.sleep(1.5)
    redis.crash()
    await asyncio.sleep(3)
    redis.start()


async def pause_past_the_client_timeout(redis: RedisServer, _: FaultProxy) -> None:
    await asyncio.sleep(1.5)
    redis.pause()
    await asyncio.sleep(CLIENT_TIMEOUT_SECONDS + 3)
    redis.resume()


async def bad_network(_: RedisServer, proxy: FaultProxy) -> None:
    for weather, seconds in ((Weather.CLEAR, 1.0), (Weather.LATENCY, 2.0), (Weather.CLEAR, 1.0), (Weather.RESET, 2.0),
                             (Weather.CLEAR, 1.0), (Weather.BLACK_HOLE, CLIENT_TIMEOUT_SECONDS + 3.0)):
        proxy.set(weather)
        await asyncio.sleep(seconds)
    proxy.set(Weather.CLEAR)


Fault = Callable[[RedisServer, FaultProxy], Awaitable[None]]


async def watch_readiness(bot: ServedBot, seen: list[int]) -> None:
    async with aiohttp.ClientSession() as http:
        while True:
            try:
                async with http.get(f"http://127.0.0.1:{bot.port}/readyz", timeout=aiohttp.ClientTimeout(total=10)) as response:
                    seen.append(response.status)
            except (aiohttp.ClientError, TimeoutError):
                seen.append(0)
            await asyncio.sleep(0.2)


async def reports_during(fault: Awaitable[None], school: School, bot: ServedBot) -> list[int]:
    """Reports every REPORT_GAP_SECONDS from before the fault until 2 s after it healed, each
    posted once and concurrently (a stalled request does not hold the next child back)."""
    faulting = asyncio.ensure_future(fault)
    posts: list[asyncio.Task[int]] = []
    healed_at: float | None = None
    loop = asyncio.get_running_loop()
    while healed_at is None or loop.time() - healed_at < 2:
        posts.append(asyncio.create_task(post_once(bot, school.report(len(school.reports)))))
        await asyncio.sleep(REPORT_GAP_SECONDS)
        if healed_at is None and faulting.done():
            healed_at = loop.time()
    await faulting
    return list(await asyncio.gather(*posts))


@pytest.mark.timeout(300)
@pytest.mark.parametrize("fault", [crash_and_restart, pause_past_the_client_timeout, bad_network], ids=lambda f: f.__name__)
async def test_reports_while_redis_fails(fault: Fault, tmp_path: Path, connector: FakeBotConnector, redis: RedisServer,
                                         proxy: FaultProxy) -> None:
    bot = ServedBot(environment(tmp_path, **SETTINGS, REDIS_URL=proxy.url))
    school = School(connector, bot.env, students=120)
    await school.set_up(tmp_path)
    await bot.start()
    readiness: list[int] = []
    watcher = asyncio.create_task(watch_readiness(bot, readiness))
    try:
        statuses = await reports_during(fault(redis, proxy), school, bot)
        tally = await school.settle(bot, expected=statuses.count(201))
        assert bot.running, "the bot did not ride out the fault in the same process"
    finally:
        watcher.cancel()
        await bot.stop()
    answers = Counter(statuses)
    print(f"\n{fault.__name__}: answers {dict(answers)}; {tally.line()}")
    assert set(answers) <= {201, 503}, f"a report got neither 'accepted' nor an honest 503: {dict(answers)}"
    assert answers[503] > 0, "no report met the fault: the test checked nothing"
    assert answers[201] > 0, "no report was accepted: the bot never reconnected"
    refused = [a for a, status in zip(school.reports, statuses, strict=True) if status == 503]
    untold = [a["id"] for a in refused if not any(t.startswith(NOT_SAVED) for t in connector.texts_to(a["conversation"]["id"]))]
    assert not untold, f"refused reports whose child was not told 'not saved': {untold}"
    assert tally.received >= answers[201], f"an accepted report was never answered 'received': {tally.line()}"
    assert tally.delivered == tally.received, f"a 'received' report never reached the lead: {tally.line()}"
    assert tally.duplicates == 0, f"a message was sent twice with no kill: {tally.line()} {school.repeated()}"
    audit = await school.audit()
    assert [entry.seq for entry in audit] == list(range(1, len(audit) + 1)), "the audit log has a gap"
    assert 503 in readiness, f"/readyz never showed the outage: {readiness}"
    assert readiness[-1] == 200, f"/readyz did not recover: {readiness[-5:]}"
