"""The composed app: health, readiness against a real Store, off channels, request logs."""

from __future__ import annotations

import asyncio
import logging
from collections.abc import AsyncIterator
from pathlib import Path

import aiohttp
import pytest
from aiohttp.test_utils import TestClient, TestServer

from bots.app import background_workers, bootstrap, build_app
from bots.config import load_settings
from bots.server import run_bot
from bots.sockets import free_port
from bots.teams.fakes.graph import SCHOOL_ROLE_GROUPS, FakeGraph, small_school
from handlers.concerns import Report, receive_report
from handlers.cron import next_fire
from handlers.directory_schedule import SYNC
from state.clock import ManualClock
from state.due import Queue
from state.models import Person, Role
from state.redis_server import RedisServer
from tests.conftest import START


@pytest.fixture
async def client(tmp_path: Path) -> AsyncIterator[TestClient[object, object]]:
    bot = await bootstrap(load_settings({"ESAFETY_DB": str(tmp_path / "bot.db")}))
    async with TestClient(TestServer(build_app(bot))) as test_client:
        yield test_client


async def test_health_and_readiness_with_no_channel_on(client: TestClient[object, object]) -> None:
    """/healthz says the process is up. /readyz accepts work (200) but says nobody could be
    told anything: no channel is on."""
    assert (await client.get("/healthz")).status == 200
    ready = await client.get("/readyz")
    assert ready.status == 200
    assert (await ready.json())["status"] == "degraded"
    assert "no channel is on" in (await ready.json())["reasons"][0]


LEAD = Person(channel="teams", user_id="lead-1", name="Ms Lead", role=Role.DSL)
HEAD = Person(channel="teams", user_id="head-1", name="Mr Head", role=Role.HEAD)


@pytest.mark.parametrize(("roster", "status"), [((LEAD, HEAD), "ready"), ((HEAD,), "degraded")])
async def test_readiness_is_degraded_while_no_lead_can_receive(tmp_path: Path, roster: tuple[Person, ...], status: str) -> None:
    """Teams on: ready with a dsl on its roster; `degraded` (still 200) with the reason without one."""
    bot = await bootstrap(load_settings({"ESAFETY_DB": str(tmp_path / "bot.db"), "ESAFETY_ALLOW_ANONYMOUS": "1"}))
    await bot.store.replace_roster({"teams"}, roster)
    async with TestClient(TestServer(build_app(bot, workers=False))) as test_client:
        ready = await test_client.get("/readyz")
        body = await ready.json()
    assert (ready.status, body["status"]) == (200, status)
    if status == "degraded":
        assert body["reasons"] == ["no safeguarding lead (role dsl) is on the roster of teams: reports are stored, "
                                   "but nobody receives them (roster import a dsl)"]


@pytest.mark.fixed_clock
async def test_readiness_is_degraded_while_due_work_is_overdue(tmp_path: Path) -> None:
    """A worker that stopped shows on /readyz: still 200, `degraded`, with the auditor's finding."""
    clock = ManualClock(START)
    bot = await bootstrap(load_settings({"ESAFETY_DB": str(tmp_path / "bot.db"), "ESAFETY_ALLOW_ANONYMOUS": "1"}), clock=clock)
    await bot.store.replace_roster({"teams"}, (LEAD, HEAD))
    child = Person(channel="teams", user_id="child-1", name="Amira Pupil", role=Role.STUDENT)
    await receive_report(bot.deps, Report(reporter=child, text="someone keeps messaging me", origin="event-1"))
    async with TestClient(TestServer(build_app(bot, workers=False))) as test_client:
        clock.advance(120)
        assert (await (await test_client.get("/readyz")).json())["status"] == "ready"
        clock.advance(61)
        ready = await test_client.get("/readyz")
        body = await ready.json()
    assert (ready.status, body["status"]) == (200, "degraded")
    assert body["reasons"] == ["3 item(s) of due work overdue by more than 120 s (outbox_first: 1, outbox: 2); the oldest, "
                               "a message.send in outbox_first, has waited 3 min: a worker may have stopped"]
    assert "messaging" not in str(body)


async def test_off_channels_answer_503_with_a_reason(client: TestClient[object, object]) -> None:
    """A channel without credentials is off: its route explains, nothing is processed."""
    teams = await client.post("/api/messages", json={"type": "message", "text": "hello"})
    assert teams.status == 503
    assert await teams.json() == {"error": "the teams channel is off", "reason": "MicrosoftAppId is not set"}
    wecom = await client.get("/wecom/callback")
    assert wecom.status == 503
    assert "WECOM_CORP_ID" in (await wecom.json())["reason"]


async def test_the_console_answers_503_saying_how_to_turn_it_on(client: TestClient[object, object]) -> None:
    for path in ("/console", "/console/cases/C-2026-000001"):
        off = await client.get(path)
        assert off.status == 503
        assert "ESAFETY_OIDC_ISSUER" in await off.text()
        assert "default-src 'none'" in off.headers["Content-Security-Policy"]


async def test_both_configured_channels_are_on(tmp_path: Path) -> None:
    """With credentials for both, both adapters are built and both channels report on."""
    wecom = {"WECOM_CORP_ID": "ww1", "WECOM_AGENT_ID": "1", "WECOM_SECRET": "s", "WECOM_TOKEN": "t", "WECOM_ENCODING_AES_KEY": "a" * 43}
    bot = await bootstrap(load_settings({"ESAFETY_DB": str(tmp_path / "bot.db"), "MicrosoftAppId": "app", "MicrosoftAppPassword": "x",
                                         **wecom}))
    try:
        assert bot.channel_report() == {"teams": "on", "wecom": "on"}
        assert bot.messenger.channels == {"teams", "wecom"}
    finally:
        await bot.store.close()


async def test_one_log_line_per_request_without_bodies(tmp_path: Path, caplog: pytest.LogCaptureFixture) -> None:
    """Each request logs method, path, status and time, as `serve` runs it: never a body or query string."""
    bot = await bootstrap(load_settings({"ESAFETY_DB": str(tmp_path / "bot.db")}))
    port, stop, started = free_port(), asyncio.Event(), asyncio.Event()
    with caplog.at_level(logging.DEBUG):
        server = asyncio.create_task(run_bot(bot, host="127.0.0.1", port=port, stop=stop, started=started))
        await started.wait()
        async with aiohttp.ClientSession() as http:
            await http.post(f"http://127.0.0.1:{port}/api/messages?msg_signature=abc123", json={"text": "BODY-MARKER"})
        stop.set()
        await server
    lines = [r.getMessage() for r in caplog.records if r.name == "esafety.http"]
    assert len(lines) == 1
    assert lines[0].startswith("POST /api/messages 503 ")
    assert "BODY-MARKER" not in caplog.text
    assert "abc123" not in caplog.text


async def test_readiness_answers_within_a_second_while_redis_is_paused(tmp_path: Path) -> None:
    """A stalled Redis (SIGSTOP: connections stay open, nothing answers) is a prompt 503, not a
    hanging probe; once it answers again, so does /readyz."""
    server = RedisServer(tmp_path)
    server.start()
    try:
        bot = await bootstrap(load_settings({"REDIS_URL": server.url}))
        async with TestClient(TestServer(build_app(bot, workers=False))) as test_client:
            server.pause()
            try:
                answered = await asyncio.wait_for(test_client.get("/readyz"), timeout=3)
                assert answered.status == 503
                assert (await answered.json())["store"] == "no answer within 1 s"
            finally:
                server.resume()
            assert (await test_client.get("/readyz")).status == 200
    finally:
        server.stop()


async def test_readiness_fails_while_redis_is_down(tmp_path: Path) -> None:
    """With Redis as the Store, /readyz answers 503 while it is down and 200 once it is back."""
    server = RedisServer(tmp_path)
    server.start()
    try:
        bot = await bootstrap(load_settings({"REDIS_URL": server.url}))
        async with TestClient(TestServer(build_app(bot))) as test_client:
            server.stop()
            assert (await test_client.get("/readyz")).status == 503
            server.start()
            assert (await test_client.get("/readyz")).status == 200
    finally:
        server.stop()


async def test_serve_says_loudly_at_start_up_that_nobody_would_receive_reports(tmp_path: Path, caplog: pytest.LogCaptureFixture) -> None:
    bot = await bootstrap(load_settings({"ESAFETY_DB": str(tmp_path / "bot.db"), "ESAFETY_ALLOW_ANONYMOUS": "1"}))
    stop, started = asyncio.Event(), asyncio.Event()
    with caplog.at_level(logging.INFO):
        server = asyncio.create_task(run_bot(bot, host="127.0.0.1", port=free_port(), stop=stop, started=started, workers=False))
        await started.wait()
        stop.set()
        await server
    (loud,) = [r for r in caplog.records if "NOBODY WILL RECEIVE REPORTS" in r.getMessage()]
    assert loud.levelno == logging.ERROR
    assert "no safeguarding lead (role dsl) is on the roster of teams" in loud.getMessage()


async def test_serve_arms_the_nightly_directory_sync_and_its_worker_applies_it(tmp_path: Path) -> None:
    """With a directory set up, `serve` arms the sync at the school's 02:00 and the timers' worker
    runs it: the roster arrives from Microsoft 365 with no CSV."""
    graph = FakeGraph(tenant_id="tenant-1", client_id="reader", client_secret="reader-secret")
    small_school(graph)
    await graph.start()
    clock = ManualClock(START)
    env = {"ESAFETY_DB": str(tmp_path / "bot.db"), "ESAFETY_ROLE_GROUPS": SCHOOL_ROLE_GROUPS, "ESAFETY_GRAPH_TENANT_ID": "tenant-1",
           "ESAFETY_GRAPH_CLIENT_ID": "reader", "ESAFETY_GRAPH_CLIENT_SECRET": "reader-secret", "ESAFETY_GRAPH_BASE_URL": graph.base_url,
           "ESAFETY_GRAPH_LOGIN_URL": graph.url}
    bot = await bootstrap(load_settings(env), clock=clock)
    try:
        async with TestClient(TestServer(build_app(bot, workers=False))):
            due = next_fire("0 2 * * *", bot.settings.timezone, START)
            item = await bot.store.get_due(Queue.TIMERS, f"directory-sync|{due.isoformat()}")
            assert item is not None
            assert item.kind == SYNC
            clock.advance((due - START).total_seconds())
            claimed = [await worker.run_once() for worker in background_workers(bot, "test")]
            assert sum(claimed) == 1  # the timers' worker takes it, as serve's would at 02:00
            people = {person.name: person.role for person in await bot.store.list_people()}
            assert people["Lee Lead"] is Role.DSL
            assert people["Amira Pupil"] is Role.STUDENT
            assert len(people) == 11
    finally:
        await graph.stop()
