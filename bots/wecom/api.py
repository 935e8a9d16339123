"""Calling the WeCom server API: wechatpy's client, made safe to use from asyncio.

wechatpy 1.8.18 is synchronous, has no default timeout, hard-codes the public `gettoken` URL and,
with `auto_retry`, recurses without bound on repeated token errors (CHANNEL_NOTES.md W7). So:
every call runs in a thread with an explicit timeout, on one of a few clients (a requests Session
is not thread-safe), against the configured `WECOM_API_BASE_URL` for every endpoint including
`gettoken`; the access token is cached in the Store so all instances share one (one refresher at
a time); a token error refreshes once and retries once; 45009 (frequency limit) is raised as
`WecomRateLimited`, which the durable worker tries again in a minute (the worker's retry policy is
the only loop); anything else is raised as `WecomError` for the durable outbox to retry.
"""

from __future__ import annotations

import asyncio
import logging
import time
import uuid
from collections.abc import Callable
from typing import Any, TypeVar

import requests
from wechatpy.enterprise import WeChatClient
from wechatpy.exceptions import WeChatClientException

from bots.wecom.settings import WecomSettings
from handlers.runtime.retry import TryAgain, retry_after_seconds
from state.store import Store

log = logging.getLogger("esafety.wecom")
T = TypeVar("T")

TOKEN_ERRORS = frozenset({40014, 42001})  # invalid / expired access token: refresh once
FREQUENCY_LIMIT = 45009
FREQUENCY_LIMIT_WAIT_SECONDS = 60.0  # WeCom's limits are counted per minute
THROTTLED_STATUS = frozenset({429, 503})
TOKEN_MARGIN_SECONDS = 300  # refresh well before WeCom's expiry (W7)
TOKEN_LOCK_SECONDS = 30


class WecomError(Exception):
    """A WeCom call failed. Carries the errcode (None for HTTP or network failures) and WeCom's
    short errmsg; never a request body, so it is safe in an outbox's `last_error`."""

    def __init__(self, errcode: int | None, errmsg: str) -> None:
        super().__init__(f"WeCom error {errcode}: {errmsg}")
        self.errcode = errcode
        self.errmsg = errmsg


class WecomRateLimited(WecomError, TryAgain):
    """45009, WeCom's frequency limit: the durable worker tries the send again in a minute (this
    client never waits for it, so a limit never holds a worker's slot)."""

    def __init__(self, errmsg: str) -> None:
        WecomError.__init__(self, FREQUENCY_LIMIT, errmsg)
        self.after_seconds = FREQUENCY_LIMIT_WAIT_SECONDS


class WecomThrottled(WecomError, TryAgain):
    """WeCom's front door answered 429 or 503 before WeCom saw the call: tried again after its
    Retry-After when it names one, else after the policy's back-off."""

    def __init__(self, status: int, after_seconds: float | None) -> None:
        WecomError.__init__(self, None, f"HTTP {status}")
        self.after_seconds = after_seconds


class _Client(WeChatClient):  # type: ignore[misc]
    """wechatpy's enterprise client pointed at our base URL, using the token we hand it."""

    def __init__(self, settings: WecomSettings, timeout: float) -> None:
        super().__init__(settings.corp_id, settings.secret, timeout=timeout, auto_retry=False)
        self.API_BASE_URL = settings.api_base_url
        self.token = ""

    @property
    def access_token(self) -> str:
        return self.token

    def fetch_access_token(self) -> dict[str, Any]:
        """`gettoken` at the configured base URL, with a timeout (wechatpy's has neither)."""
        response = self._http.get(self.API_BASE_URL + "gettoken", params={"corpid": self.corp_id, "corpsecret": self.secret},
                                  timeout=self.timeout)
        response.raise_for_status()
        result: dict[str, Any] = self._handle_result(response)
        return result


class WecomApi:
    """One app's API access, shared by the messenger, the roster reader and the CLI."""

    def __init__(self, settings: WecomSettings, store: Store, *, timeout_seconds: float = 10.0, clients: int = 4) -> None:
        self.settings = settings
        self._store = store
        self._timeout = timeout_seconds
        self._idle: asyncio.Queue[_Client] = asyncio.Queue()
        for _ in range(clients):
            self._idle.put_nowait(_Client(settings, timeout_seconds))
        self._token_key = f"wecom:token:{settings.corp_id}:{settings.agent_id}"
        self._own: tuple[str, float] | None = None  # (token, monotonic expiry) while the Store is down
        # urllib3 logs every URL at DEBUG, and WeCom's carry the secret (gettoken) or the token.
        logging.getLogger("urllib3.connectionpool").setLevel(max(logging.INFO, logging.getLogger("urllib3.connectionpool").level))

    @property
    def agent_id(self) -> int:
        return self.settings.agent_id

    async def call(self, operation: Callable[[WeChatClient], T]) -> T:
        """Run `operation(client)` with a valid token: a token error refreshes it and retries
        once (never more: W7); 45009 is raised as `WecomRateLimited` for the worker to retry."""
        token = await self.token()
        try:
            return await self._in_thread(lambda client: operation(_with_token(client, token)))
        except WecomError as error:
            if error.errcode not in TOKEN_ERRORS:
                raise
            log.info("wecom token rejected (%s): refreshing once", error.errcode)
            await self._forget_token(token)
        token = await self.token()
        return await self._in_thread(lambda client: operation(_with_token(client, token)))

    async def post_webhook(self, url: str, body: dict[str, Any]) -> dict[str, Any]:
        """A group robot's webhook (群机器人): a full URL with its own key, no access token."""

        def post(client: _Client) -> dict[str, Any]:
            response = client._http.post(url, json=body, timeout=self._timeout)
            response.raise_for_status()
            return _check_result(response.json())

        return await self._in_thread(post)

    async def token(self) -> str:
        """The shared access token: from the Store, or fetched by exactly one instance at a time.
        With the Store unreachable, this instance fetches and keeps its own, so a person can
        still be told their message was not saved (never silence)."""
        try:
            return await self._shared_token()
        except WecomError:
            raise
        except Exception as error:  # the Store is down
            log.warning("wecom token: the Store is unreachable (%s); using this instance's own token", type(error).__name__)
            return await self._own_token()

    async def _own_token(self) -> str:
        if self._own is not None and time.monotonic() < self._own[1]:
            return self._own[0]
        result = await self._in_thread(lambda client: client.fetch_access_token())
        lifetime = max(60, int(result.get("expires_in", 7200)) - TOKEN_MARGIN_SECONDS)
        self._own = (str(result["access_token"]), time.monotonic() + lifetime)
        return self._own[0]

    async def _shared_token(self) -> str:
        for _ in range(int(self._timeout / 0.05) + 1):
            cached = await self._store.cache_get(self._token_key)
            if cached:
                return cached
            owner = uuid.uuid4().hex
            if await self._store.take_lock(self._token_key, owner, TOKEN_LOCK_SECONDS):
                try:
                    result = await self._in_thread(lambda client: client.fetch_access_token())
                    token = str(result["access_token"])
                    lifetime = int(result.get("expires_in", 7200))
                    await self._store.cache_set(self._token_key, token, max(60, lifetime - TOKEN_MARGIN_SECONDS))
                    return token
                finally:
                    await self._store.release_lock(self._token_key, owner)  # never another instance's, taken after ours ran out
            await asyncio.sleep(0.05)
        raise WecomError(None, "timed out waiting for another instance to fetch the access token")

    async def _forget_token(self, token: str) -> None:
        if self._own is not None and self._own[0] == token:
            self._own = None
        try:
            if await self._store.cache_get(self._token_key) == token:
                await self._store.cache_delete(self._token_key)
        except Exception as error:  # the Store is down: only this instance's copy can be forgotten
            log.warning("wecom token: the Store is unreachable (%s)", type(error).__name__)

    async def _in_thread(self, operation: Callable[[_Client], T]) -> T:
        client = await self._idle.get()
        try:
            return await asyncio.wait_for(asyncio.to_thread(_translated, operation, client), self._timeout + 1)
        except TimeoutError:
            raise WecomError(None, "timed out") from None
        finally:
            self._idle.put_nowait(client)


def _with_token(client: _Client, token: str) -> _Client:
    client.token = token
    return client


def _translated(operation: Callable[[_Client], T], client: _Client) -> T:
    """Run in the worker thread; wechatpy's and requests' errors become `WecomError`."""
    try:
        return operation(client)
    except WeChatClientException as error:
        if error.errcode is None:
            raise _http_failure(getattr(error, "response", None)) from None
        raise _wecom_error(int(error.errcode), str(error.errmsg)) from None
    except requests.HTTPError as error:
        raise _http_failure(error.response) from None
    except requests.RequestException as error:
        raise WecomError(None, type(error).__name__) from None


def _http_failure(response: requests.Response | None) -> WecomError:
    status = getattr(response, "status_code", None)
    if response is not None and status in THROTTLED_STATUS:
        return WecomThrottled(response.status_code, retry_after_seconds(response.headers.get("Retry-After")))
    return WecomError(None, f"HTTP {status}")


def _check_result(result: dict[str, Any]) -> dict[str, Any]:
    errcode = int(result.get("errcode", 0) or 0)
    if errcode:
        raise _wecom_error(errcode, str(result.get("errmsg", "")))
    return result


def _wecom_error(errcode: int, errmsg: str) -> WecomError:
    return WecomRateLimited(errmsg) if errcode == FREQUENCY_LIMIT else WecomError(errcode, errmsg)
