"""The webhook's fixed answers to bad input, and the authenticated path's 401s."""

from __future__ import annotations

import asyncio
import base64
import json
import logging
from collections.abc import AsyncIterator
from pathlib import Path
from typing import Any

import pytest
from aiohttp.test_utils import TestClient, TestServer

from bots.app import bootstrap, build_app
from bots.config import load_settings
from bots.teams.channel import TeamsOptions
from bots.teams.fakes.activities import teams_activity
from bots.teams.fakes.bot_connector import FakeBotConnector
from bots.waiting import eventually
from state.clock import ManualClock
from state.due import Queue
from state.models import Person, Role
from state.redis_server import RedisServer
from tests.bots.teams.conftest import TeamsHarness, payload, start_harness
from tests.conftest import empty_redis

STUDENT = Person(channel="teams", user_id="0f5a1c2e-1111-4a4a-9a9a-000000000001", name="Amira Example", role=Role.STUDENT)
LEAD = Person(channel="teams", user_id="0f5a1c2e-1111-4a4a-9a9a-000000000030", name="Dr Lead", role=Role.DSL)


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
    settings = load_settings({"ESAFETY_DB": str(tmp_path / "auth.db"), "MicrosoftAppId": "app-id", "MicrosoftAppPassword": "pw"})
    bot = await bootstrap(settings, clock=clock, teams_options=TeamsOptions(extra_service_origins=(connector.url,)))
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


def _with(changes: dict[str, Any], drop: str = "") -> bytes:
    return json.dumps({k: v for k, v in {**GOOD, **changes}.items() if k != drop}).encode()


GOOD = teams_activity("personal_message", "{SERVICE}")
DEEP_JSON = b'{"type": "message", "value": ' + b"[" * 1500 + b"]" * 1500 + b"}"
HOSTILE = {
    "nested-1000": b"[" * 1000 + b"]" * 1000,
    "nested-100000": b"[" * 100_000 + b"]" * 100_000,
    "nested-in-value": DEEP_JSON,
    "entities-string": _with({"entities": "x"}),
    "members-added-number": _with({"type": "conversationUpdate", "membersAdded": [1]}),
    "garbage-timestamp": _with({"timestamp": "yesterday-ish"}),
    "from-missing": _with({}, drop="from"),
    "from-null": _with({"from": None}),
    "invoke-value-string": _with({"type": "invoke", "name": "adaptiveCard/action", "value": "x"}),
    "lone-surrogate-conversation": _with({}).replace(b'"a:personal-s1"', b'"a:personal-\\ud800"'),
    "lone-surrogate-user": _with({}).replace(b'"29:s1"', b'"29:\\udc00"'),
    "array-body": b"[]",
    "number-type": _with({"type": 5}),
    "recipient-missing": _with({}, drop="recipient"),
    "conversation-string": _with({"conversation": "a:personal-s1"}),
}


@pytest.mark.parametrize("name", list(HOSTILE))
async def test_hostile_input_gets_a_4xx_and_reaches_nothing(teams: TeamsHarness, name: str) -> None:
    """Deep nesting, wrong field types, a missing or null `from`, a string invoke value, lone
    surrogates in ids: 400 with a reason, nothing stored or processed, and the server serves on."""
    body = HOSTILE[name].replace(b"{SERVICE}", teams.connector.url.encode())
    response = await teams.client.post("/api/messages", data=body, headers={"Content-Type": "application/json"})
    assert response.status == 400, await response.text()
    assert (await response.json())["error"]
    assert await teams.bot.store.claim_due(Queue.INBOX, limit=10, lease_seconds=1) == []
    assert teams.events == []
    assert (await teams.client.get("/healthz")).status == 200


@pytest.fixture
async def outsider() -> AsyncIterator[FakeBotConnector]:
    """A listener on a loopback address the allow-list does not name: it must hear nothing."""
    fake = FakeBotConnector()
    await fake.start(host="127.0.0.2")
    yield fake
    await fake.stop()


def _tricks(port: int) -> list[str]:
    return [f"http://127.0.0.2:{port}\\@127.0.0.1/", f"http://127.0.0.1@127.0.0.2:{port}/", f"http://127.0.0.2:{port}/",
            f"http://127.0.0.1:{port}@127.0.0.2:{port}/", f"http://127.0.0.2:{port}#@127.0.0.1/", f"http://127.0.0.2:{port}%5C@127.0.0.1/",
            f"http://2130706434:{port}/", f"http://[::ffff:127.0.0.2]:{port}/", f"https://127.0.0.2:{port}/"]


async def test_service_url_tricks_are_refused_in_anonymous_mode(teams: TeamsHarness, outsider: FakeBotConnector) -> None:
    """Every way of dressing 127.0.0.2 up as loopback's allowed host is refused; it gets nothing."""
    port = int(outsider.url.rsplit(":", 1)[1].strip("/"))
    for trick in _tricks(port):
        response = await teams.client.post("/api/messages", json=payload("personal_message", teams.connector, serviceUrl=trick))
        assert response.status == 403, trick
    await asyncio.sleep(0.5)  # anything accepted would have been processed and answered by now
    assert outsider.received == []
    assert teams.events == []


async def test_service_url_tricks_are_refused_with_an_app_id(authenticated: TestClient[object, object], connector: FakeBotConnector,
                                                             outsider: FakeBotConnector) -> None:
    """With an app id only https on port 443 to Microsoft's connector passes (before any token is read)."""
    port = int(outsider.url.rsplit(":", 1)[1].strip("/"))
    tricks = ["https://evil\\@smba.trafficmanager.net/", "https://evil@smba.trafficmanager.net/", "http://smba.trafficmanager.net/",
              "https://smba.trafficmanager.net:8443/", "https://smba.trafficmanager.net.evil.example/", *_tricks(port)]
    for trick in tricks:
        response = await authenticated.post("/api/messages", json=payload("personal_message", connector, serviceUrl=trick))
        assert response.status == 403, trick
    assert outsider.received == []
    assert connector.all_sent() == []


async def test_a_report_while_the_store_is_down_is_answered_honestly_and_nothing_is_lost(
        tmp_path: Path, connector: FakeBotConnector, clock: ManualClock, redis_server: RedisServer) -> None:
    """Redis stopped: the child hears at once, from text that needs no Store, that the report was
    not saved, with the emergency numbers (503, never a crash). Redis back: the same words sent
    again become a case and the child hears 'received'; what was accepted before is still there."""
    await empty_redis(redis_server)
    teams = await start_harness(tmp_path / "unused.db", connector, clock, REDIS_URL=redis_server.url)
    try:
        await teams.bot.store.merge_roster([STUDENT, LEAD])
        assert (await teams.post("install_personal")).status == 201
        redis_server.stop()
        down = await teams.client.post("/api/messages", json=payload("personal_message", connector, id="down-1", text="report he hit me"))
        assert down.status == 503
        assert down.headers["Retry-After"]
        not_saved = teams.bot.catalog.say("inbound.not_saved", "en", contacts=teams.bot.catalog.say("emergency.contacts_gb", "en"))
        assert connector.texts_to("a:personal-s1") == [not_saved]
        assert "999" in not_saved
    finally:
        redis_server.start()
    try:
        assert await teams.bot.store.get_person_address(LEAD.ref) is not None, "what was stored before the outage is still there"
        again = await teams.client.post("/api/messages", json=payload("personal_message", connector, id="again-1", text="report he hit me"))
        assert again.status == 201

        async def received() -> bool:
            cases = await teams.bot.store.list_cases()
            if cases and any(cases[0].reference in text for text in connector.texts_to("a:personal-s1")):
                return True
            clock.advance(5)  # a first use of a connection broken by the restart fails and is retried after a back-off
            return False

        assert await eventually(received, seconds=30, step=0.2), "the report sent again did not become a case"
        assert len(await teams.bot.store.list_cases()) == 1
        assert await teams.bot.store.list_parked(Queue.INBOX) == []
    finally:
        await teams.client.close()
