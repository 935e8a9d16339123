"""The Bot Connector client's HTTP, on the event loop instead of in a thread.

msrest's async client sends with `requests` in the default thread pool (msrest 0.7.1,
universal_http/async_requests.py): each send to Teams hops to a thread and back, and builds a
requests call (end to end went from about 100 to 120 messages a second without them,
bench/teams_inbound.py). Its own
aiohttp driver sends neither headers nor body, so it cannot stand in. This module gives each
kept connector client a pipeline with the same policies (user agent, the app's bearer token,
the JSON deserialiser, the HTTP logger) over one shared aiohttp session.

One retry layer: msrest's requests sender also retried failed connections inside urllib3, unseen
(its status retries never applied to the connector's POSTs). Here nothing retries:
`bots/teams/delivery.py` is the only place that does, with Teams' limits and the reasons logged.
Transport failures surface as msrest's `ClientRequestError`, the type that module catches.
"""

from __future__ import annotations

import os
from types import SimpleNamespace
from typing import Any

import aiohttp
from msrest.exceptions import ClientRequestError
from msrest.pipeline import Request, Response, SansIOHTTPPolicy
from msrest.pipeline.async_abc import AsyncHTTPSender, AsyncPipeline
from msrest.pipeline.universal import RawDeserializer
from msrest.universal_http.aiohttp import AioHttpClientResponse

SEND_TIMEOUT = aiohttp.ClientTimeout(total=100, connect=30)  # msrest's defaults for the same client
PROXY_VARIABLES = ("https_proxy", "http_proxy", "all_proxy")


def send_with(sender: AiohttpSender, client: Any) -> Any:
    """Give a botframework ConnectorClient a pipeline that sends through `sender`; returns the
    client. One sender (one session, pooling connections per host) serves every client.

    Client-side validation is turned off, as msrest allows: it re-checks every Activity we built
    against the schema's constraints before serialising it (a twentieth of a delivered
    message's CPU), and the connector validates what it receives anyway."""
    client._serialize.client_side_validation = False
    config = client.config
    policies = [config.user_agent_policy, _AppToken(config.credentials), RawDeserializer(), config.http_logger_policy]
    config.pipeline = AsyncPipeline(policies, sender)
    return client


class _AppToken(SansIOHTTPPolicy):  # type: ignore[type-arg]
    """The Authorization header exactly as the SDK's credentials would set it on a requests
    session: a bearer token with an app id, none in anonymous local mode. The credentials cache
    and refresh their own token (msal)."""

    def __init__(self, credentials: Any) -> None:
        self._credentials = credentials

    def on_request(self, request: Request[Any], **kwargs: Any) -> None:
        if self._credentials is None:
            return
        signed = self._credentials.signed_session(SimpleNamespace(headers={}))
        if "Authorization" in signed.headers:
            request.http_request.headers["Authorization"] = signed.headers["Authorization"]


class AiohttpSender(AsyncHTTPSender):  # type: ignore[type-arg]
    """Sends msrest's request with one aiohttp session, opened on first use (in the loop that
    sends) and reading the whole body, as the connector's operations expect."""

    def __init__(self) -> None:
        self._session: aiohttp.ClientSession | None = None

    async def __aenter__(self) -> AiohttpSender:
        return self

    async def __aexit__(self, *exc_details: object) -> None:
        return None

    async def send(self, request: Request[Any], **config: Any) -> Response[Any, Any]:
        http = request.http_request
        if self._session is None or self._session.closed:
            self._session = aiohttp.ClientSession(timeout=SEND_TIMEOUT, trust_env=_proxy_configured())
        try:
            async with self._session.request(http.method, http.url, headers=http.headers, data=http.data) as raw:
                response = _Answer(http, raw)
                await response.load_body()
        except aiohttp.ClientError as error:
            raise ClientRequestError(f"{type(error).__name__}: {error}") from error
        return Response(request, response)

    async def close(self) -> None:
        if self._session is not None:
            await self._session.close()


class _Answer(AioHttpClientResponse):
    """msrest's aiohttp response, except that an empty body is an empty body: msrest's own
    raises for it, which turned a bodiless 429 or 201 into an unexplained error."""

    def body(self) -> bytes:
        return self._body or b""


def _proxy_configured() -> bool:
    """Whether to read the environment's proxy settings, as requests did. Only when one is set:
    aiohttp's `trust_env` also reads ~/.netrc again on every request (aiohttp 3.9)."""
    return any(os.environ.get(name) or os.environ.get(name.upper()) for name in PROXY_VARIABLES)

