"""The composed app: health, readiness against a real Store, off channels, request logs."""

from __future__ import annotations

import asyncio
import logging
from collections.abc import AsyncIterator
from pathlib import Path

import aiohttp
import pytest
from aiohttp.test_utils import TestClient, TestServer

from bots.app import bootstrap, build_app
from bots.config import load_settings
from bots.server import run_bot
from bots.sockets import free_port
from state.redis_server import RedisServer


@pytest.fixture
async def client(tmp_path: Path) -> AsyncIterator[TestClient[object, object]]:
    bot = await bootstrap(load_settings({"ESAFETY_DB": str(tmp_path / "bot.db")}))
    async with TestClient(TestServer(build_app(bot))) as test_client:
        yield test_client


async def test_health_and_readiness(client: TestClient[object, object]) -> None:
    """/healthz says the process is up; /readyz that the Store answers."""
    assert (await client.get("/healthz")).status == 200
    ready = await client.get("/readyz")
    assert (ready.status, await ready.json()) == (200, {"status": "ready"})


async def test_off_channels_answer_503_with_a_reason(client: TestClient[object, object]) -> None:
    """A channel without credentials is off: its route explains, nothing is processed."""
    teams = await client.post("/api/messages", json={"type": "message", "text": "hello"})
    assert teams.status == 503
    assert await teams.json() == {"error": "the teams channel is off", "reason": "MicrosoftAppId is not set"}
    wecom = await client.get("/wecom/callback")
    assert wecom.status == 503
    assert "WECOM_CORP_ID" in (await wecom.json())["reason"]


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
