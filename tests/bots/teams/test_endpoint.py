"""The webhook's fixed answers to bad input, and the authenticated path's 401s."""

from __future__ import annotations

import base64
import json
import logging
from pathlib import Path

import pytest
from aiohttp.test_utils import TestClient, TestServer

from bots.app import bootstrap, build_app
from bots.config import load_settings
from state.clock import ManualClock
from tests.bots.teams.conftest import TeamsHarness, payload
from tests.fakes.bot_connector import FakeBotConnector


async def test_bad_input_gets_fixed_answers_and_processes_nothing(teams: TeamsHarness, caplog: pytest.LogCaptureFixture) -> None:
    """415 without JSON content type, 400 for malformed or incomplete activities, 413 when too
    large, 403 for a serviceUrl off the allow-list; nothing reaches the duties or the log body."""
    good = payload("personal_message", teams.connector)
    cases = [
        ({"data": json.dumps(good)}, 415),
        ({"data": json.dumps(good), "headers": {"Content-Type": "text/plain"}}, 415),
        ({"data": "{not json", "headers": {"Content-Type": "application/json"}}, 400),
        ({"json": {**good, "type": ""}}, 400),
        ({"json": {k: v for k, v in good.items() if k != "conversation"}}, 400),
        ({"json": {**good, "text": "x" * 300_000}}, 413),
        ({"json": {**good, "serviceUrl": "https://attacker.example/"}}, 403),
    ]
    with caplog.at_level(logging.DEBUG):
        for kwargs, status in cases:
            response = await teams.client.post("/api/messages", **kwargs)
            assert response.status == status, kwargs.get("headers")
    assert teams.events == []
    assert "hello can we chat" not in caplog.text
    assert (await teams.client.get("/healthz")).status == 200  # still serving


@pytest.fixture
async def authenticated(tmp_path: Path, connector: FakeBotConnector, clock: ManualClock) -> TestClient[object, object]:
    settings = load_settings({"ESAFETY_DB": str(tmp_path / "auth.db"), "MicrosoftAppId": "app-id", "MicrosoftAppPassword": "pw",
                              "ESAFETY_TEAMS_SERVICE_HOSTS": "127.0.0.1"})
    bot = await bootstrap(settings, clock=clock)
    client: TestClient[object, object] = TestClient(TestServer(build_app(bot)))
    await client.start_server()
    yield client  # type: ignore[misc]
    await client.close()


def _unsigned_jwt(claims: dict[str, str]) -> str:
    def part(data: dict[str, str]) -> str:
        return base64.urlsafe_b64encode(json.dumps(data).encode()).rstrip(b"=").decode()

    return f"{part({'alg': 'RS256', 'typ': 'JWT', 'kid': 'k1'})}.{part(claims)}.{base64.urlsafe_b64encode(b'sig').decode()}"


@pytest.mark.parametrize("authorization", [
    None,
    "Basic YWxhZGRpbjpvcGVuc2VzYW1l",
    "Bearer garbage",
    "Bearer " + _unsigned_jwt({"iss": "https://evil.example", "aud": "app-id", "serviceurl": "http://127.0.0.1/"}),
], ids=["no-header", "basic", "bearer-garbage", "foreign-issuer"])
async def test_with_an_app_id_every_unauthenticated_request_is_401(
    authenticated: TestClient[object, object], connector: FakeBotConnector, authorization: str | None
) -> None:
    """No header, Basic, a garbage bearer token or a foreign issuer: 401, nothing processed."""
    headers = {"Authorization": authorization} if authorization else {}
    response = await authenticated.post("/api/messages", json=payload("personal_message", connector), headers=headers)
    assert response.status == 401
    assert connector.all_sent() == []
