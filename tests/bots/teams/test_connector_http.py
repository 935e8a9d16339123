"""The connector client's HTTP on the event loop: the SDK's own operations, sent with aiohttp."""

from __future__ import annotations

import pytest
from botbuilder.schema import Activity
from botframework.connector.aio import ConnectorClient
from botframework.connector.auth import MicrosoftAppCredentials
from botframework.connector.models import ErrorResponseException
from msrest.exceptions import ClientRequestError

from bots.sockets import free_port
from bots.teams.connector_http import AiohttpSender, send_with
from bots.teams.fakes.bot_connector import FakeBotConnector


def client_for(url: str, sender: AiohttpSender, app_id: str | None = None) -> ConnectorClient:
    return send_with(sender, ConnectorClient(MicrosoftAppCredentials(app_id, None), base_url=url))


async def test_the_sdk_operation_arrives_whole_and_its_answer_is_read(connector: FakeBotConnector) -> None:
    sender = AiohttpSender()
    try:
        client = client_for(connector.url, sender)
        response = await client.conversations.send_to_conversation("a:chat", Activity(type="message", text="héllo"))
        (received,) = connector.all_sent()
        assert (received.conversation_id, received.body["text"], received.authorization) == ("a:chat", "héllo", None)
        assert response.id.startswith("activity-")  # the id the connector answered with
    finally:
        await sender.close()


async def test_a_refusal_is_the_sdks_error_with_the_status_and_retry_after(connector: FakeBotConnector) -> None:
    """What bots/teams/delivery.py reads to decide on a retry."""
    sender = AiohttpSender()
    connector.fail_next(429, retry_after="7")
    try:
        with pytest.raises(ErrorResponseException) as raised:
            await client_for(connector.url, sender).conversations.send_to_conversation("a:chat", Activity(type="message", text="x"))
        assert (raised.value.response.status, raised.value.response.headers["Retry-After"]) == (429, "7")
    finally:
        await sender.close()


async def test_nobody_listening_is_a_client_request_error() -> None:
    """The transport failure type delivery retries, not aiohttp's own."""
    sender = AiohttpSender()
    try:
        with pytest.raises(ClientRequestError, match="ClientConnectorError"):
            await client_for(f"http://127.0.0.1:{free_port()}", sender).conversations.send_to_conversation(
                "a:chat", Activity(type="message", text="x"))
    finally:
        await sender.close()


async def test_one_session_serves_every_client_and_reopens_after_close(connector: FakeBotConnector) -> None:
    sender = AiohttpSender()
    first, second = client_for(connector.url, sender), client_for(connector.url, sender)
    await first.conversations.send_to_conversation("a:one", Activity(type="message", text="1"))
    await sender.close()
    await second.conversations.send_to_conversation("a:two", Activity(type="message", text="2"))
    await sender.close()
    assert [received.conversation_id for received in connector.all_sent()] == ["a:one", "a:two"]


async def test_an_empty_answer_is_read_as_empty_not_as_an_error() -> None:
    """A 429 without a body must stay a 429 (retried with Retry-After), not become a ValueError."""
    from aiohttp import web

    async def limited(request: web.Request) -> web.Response:
        return web.Response(status=429, headers={"Retry-After": "2"})

    app = web.Application()
    app.router.add_post("/v3/conversations/{cid}/activities", limited)
    runner = web.AppRunner(app)
    await runner.setup()
    site = web.TCPSite(runner, "127.0.0.1", port := free_port())
    await site.start()
    sender = AiohttpSender()
    try:
        with pytest.raises(ErrorResponseException) as raised:
            await client_for(f"http://127.0.0.1:{port}", sender).conversations.send_to_conversation(
                "a:chat", Activity(type="message", text="x"))
        assert raised.value.response.status == 429
    finally:
        await sender.close()
        await runner.cleanup()
