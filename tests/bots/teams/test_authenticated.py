"""The authenticated path, offline: tokens signed by a local authority are accepted, and every
forged or mismatched one is refused with 401 before anything is processed."""

from __future__ import annotations

from collections.abc import AsyncIterator, Iterator
from pathlib import Path
from typing import Any

import pytest
from aiohttp.test_utils import TestClient, TestServer

from bots.app import bootstrap, build_app
from bots.config import load_settings
from bots.teams.channel import TeamsOptions
from bots.teams.fakes.bot_connector import FakeBotConnector
from bots.teams.fakes.openid import FakeTokenAuthority, StaticTokenCredentialsFactory, new_key
from bots.waiting import eventually
from handlers.messenger import Message
from state.clock import ManualClock
from state.models import PersonRef
from tests.bots.teams.conftest import payload

APP_ID = "6f1c2a3b-4d5e-4f60-8a7b-9c0d1e2f3a4b"
STUDENT = PersonRef("teams", "0f5a1c2e-1111-4a4a-9a9a-000000000001")


@pytest.fixture
def authority() -> Iterator[FakeTokenAuthority]:
    fake = FakeTokenAuthority()
    fake.start()
    yield fake
    fake.stop()


@pytest.fixture
async def signed_client(tmp_path: Path, authority: FakeTokenAuthority, clock: ManualClock,
                        connector: FakeBotConnector) -> AsyncIterator[Any]:
    settings = load_settings({"ESAFETY_DB": str(tmp_path / "auth.db"), "MicrosoftAppId": APP_ID, "MicrosoftAppPassword": "pw"})
    options = TeamsOptions(auth_overrides={"TO_BOT_FROM_CHANNEL_OPENID_METADATA_URL": authority.metadata_url,
                                           "TO_BOT_FROM_CHANNEL_TOKEN_ISSUER": "https://api.botframework.com"},
                           credentials_factory=StaticTokenCredentialsFactory(APP_ID), extra_service_origins=(connector.url,))
    bot = await bootstrap(settings, clock=clock, teams_options=options)
    client = TestClient(TestServer(build_app(bot)))
    await client.start_server()
    yield client, bot
    await client.close()


async def test_a_correctly_signed_token_is_accepted(signed_client: Any, authority: FakeTokenAuthority,
                                                    connector: FakeBotConnector) -> None:
    """Signed by the authority's key, for our app id and this serviceUrl: processed (201)."""
    client, bot = signed_client
    token = authority.token(app_id=APP_ID, service_url=connector.url)
    response = await client.post("/api/messages", json=payload("personal_message", connector),
                                 headers={"Authorization": f"Bearer {token}"})
    assert response.status == 201
    assert await eventually(lambda: bot.store.get_person_address(STUDENT)), "the accepted activity was not processed"


@pytest.mark.parametrize("forgery", ["foreign-key", "wrong-audience", "wrong-service-url", "expired", "wrong-issuer"])
async def test_forged_tokens_are_refused(signed_client: Any, authority: FakeTokenAuthority, connector: FakeBotConnector,
                                         forgery: str) -> None:
    """Any forgery — another key, another app, another serviceUrl, expired, another issuer — is 401."""
    client, bot = signed_client
    claims: dict[str, Any] = {"app_id": APP_ID, "service_url": connector.url}
    if forgery == "foreign-key":
        claims["key"] = new_key()
    elif forgery == "wrong-audience":
        claims["app_id"] = "00000000-0000-0000-0000-000000000000"
    elif forgery == "wrong-service-url":
        claims["service_url"] = "http://127.0.0.1:1/"
    elif forgery == "expired":
        claims["lifetime"] = -3600
    else:
        claims["issuer"] = "https://sts.windows.net/evil/"
    response = await client.post("/api/messages", json=payload("personal_message", connector),
                                 headers={"Authorization": f"Bearer {authority.token(**claims)}"})
    assert response.status == 401
    assert await bot.store.get_person_address(STUDENT) is None


async def test_outbound_sends_carry_the_bots_token(signed_client: Any, authority: FakeTokenAuthority,
                                                   connector: FakeBotConnector) -> None:
    """With an app id, a proactive send passes the bot's app id and is signed (Bearer token)."""
    client, bot = signed_client
    token = authority.token(app_id=APP_ID, service_url=connector.url)
    await client.post("/api/messages", json=payload("personal_message", connector), headers={"Authorization": f"Bearer {token}"})
    assert await eventually(lambda: connector.all_sent()), "the refusal was not sent"
    await bot.messenger.send_to_person(STUDENT, Message(key="report.prompt"))
    assert [sent.authorization for sent in connector.all_sent()] == ["Bearer local-outbound-token"] * 2
