"""A small typed, read-only Microsoft Graph client for the school's directory (issue 21).

App-only: a client-credentials token from the tenant's token endpoint (a plain POST: msal is
synchronous and cannot be pointed at a local fake over http, and one POST is all this needs),
kept until five minutes before it expires and asked for again once when Graph answers 401.
Lists follow `@odata.nextLink` page by page; a next link that leaves the Graph address is
refused, so the token never goes anywhere else. A 429 (or a 503 or 504) waits for its
`Retry-After` and tries again, a few times, then fails loudly: a sync that cannot finish
applies nothing (handlers/directory_sync.py).
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import AsyncIterator, Awaitable, Callable
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

import aiohttp

from bots.teams.graph_settings import GraphSettings
from state.clock import Clock

log = logging.getLogger(__name__)
SCOPE = "https://graph.microsoft.com/.default"
THROTTLED = frozenset({429, 503, 504})
MAX_TRIES = 6
DEFAULT_WAIT_SECONDS = 10.0  # when a throttled answer gives no Retry-After
LONGEST_WAIT_SECONDS = 300.0
TOKEN_MARGIN = timedelta(minutes=5)
TIMEOUT = aiohttp.ClientTimeout(total=30)
USER_FIELDS = "id,displayName,userPrincipalName,mail,primaryRole"

Sleep = Callable[[float], Awaitable[None]]


class GraphError(RuntimeError):
    """Graph could not be read: the message says what failed (never the token or the secret)."""


@dataclass(frozen=True)
class DirectoryUser:
    """A person as the directory lists them; `primary_role` is the education role (student or
    teacher), empty for a plain directory user (a member of a role group)."""

    id: str
    name: str
    upn: str = ""
    mail: str = ""
    primary_role: str = ""


@dataclass(frozen=True)
class EducationClass:
    id: str  # the class's group id: a class team's Teams group id is this id
    name: str  # displayName, e.g. "5A"


class GraphClient:
    def __init__(self, settings: GraphSettings, clock: Clock, *, sleep: Sleep | None = None) -> None:
        self.settings = settings
        self.clock = clock
        self.sleep = sleep or asyncio.sleep  # tests and the demo wait on their own clock
        self._session: aiohttp.ClientSession | None = None
        self._token: tuple[str, datetime] | None = None

    async def close(self) -> None:
        if self._session is not None:
            await self._session.close()
            self._session = None

    async def classes(self) -> list[EducationClass]:
        return [EducationClass(item["id"], item.get("displayName") or item["id"])
                async for item in self._list("/education/classes", {"$select": "id,displayName"})]

    async def class_members(self, class_id: str) -> list[DirectoryUser]:
        return [_user(item) async for item in self._list(f"/education/classes/{class_id}/members", {"$select": USER_FIELDS})]

    async def class_teachers(self, class_id: str) -> list[DirectoryUser]:
        return [_user(item) async for item in self._list(f"/education/classes/{class_id}/teachers", {"$select": USER_FIELDS})]

    async def users(self) -> list[DirectoryUser]:
        """The tenant's education users: each with primaryRole student or teacher."""
        return [_user(item) async for item in self._list("/education/users", {"$select": USER_FIELDS})]

    async def group_members(self, group_id: str) -> list[DirectoryUser]:
        """The users in an Entra group, nested groups included (transitiveMembers); devices,
        service principals and the nested groups themselves are left out."""
        return [_user(item) async for item in self._list(f"/groups/{group_id}/transitiveMembers",
                                                          {"$select": "id,displayName,userPrincipalName,mail"})
                if item.get("@odata.type", "#microsoft.graph.user") == "#microsoft.graph.user"]

    async def _list(self, path: str, params: dict[str, str]) -> AsyncIterator[dict[str, Any]]:
        url: str | None = self.settings.base_url + path
        query: dict[str, str] | None = params
        while url is not None:
            page = await self._get(url, query)
            for item in page.get("value", []):
                yield item
            url, query = page.get("@odata.nextLink"), None
            if url is not None and not url.startswith(self.settings.base_url + "/"):
                raise GraphError(f"{path}: the next page is at another address ({url.split('?')[0]}): refused")

    async def _get(self, url: str, params: dict[str, str] | None) -> dict[str, Any]:
        session, refreshed = self._open(), False
        for _ in range(MAX_TRIES):
            headers = {"Authorization": f"Bearer {await self._access_token()}", "Accept": "application/json"}
            try:
                async with session.get(url, params=params, headers=headers) as response:
                    if response.status == 401 and not refreshed:
                        self._token, refreshed = None, True
                        continue
                    if response.status in THROTTLED:
                        wait = _retry_after(response.headers.get("Retry-After"))
                        log.warning("Graph throttled %s (%d): waiting %.0f s as it asks", url.split("?")[0], response.status, wait)
                        await self.sleep(wait)
                        continue
                    if response.status != 200:
                        raise GraphError(f"{url.split('?')[0]}: Graph answered {response.status}: {_error(await response.text())}")
                    body: dict[str, Any] = await response.json(content_type=None)
                    return body
            except (aiohttp.ClientError, TimeoutError) as error:
                raise GraphError(f"{url.split('?')[0]}: Graph could not be reached ({type(error).__name__})") from None
        raise GraphError(f"{url.split('?')[0]}: still throttled or refused after {MAX_TRIES} tries")

    async def _access_token(self) -> str:
        now = self.clock.now()
        if self._token is not None and now < self._token[1]:
            return self._token[0]
        settings = self.settings
        url = f"{settings.login_url}/{settings.tenant_id}/oauth2/v2.0/token"
        form = {"grant_type": "client_credentials", "client_id": settings.client_id, "client_secret": settings.client_secret,
                "scope": SCOPE}
        try:
            async with self._open().post(url, data=form) as response:
                body = await response.json(content_type=None)
                if response.status != 200 or "access_token" not in body:
                    raise GraphError(f"the token endpoint refused the app's credentials ({response.status}: "
                                     f"{body.get('error', '?')}): check ESAFETY_GRAPH_CLIENT_ID and its secret")
        except (aiohttp.ClientError, TimeoutError, ValueError) as error:
            raise GraphError(f"the token endpoint could not be reached ({type(error).__name__})") from None
        lifetime = timedelta(seconds=int(body.get("expires_in", 3599)))
        self._token = (body["access_token"], now + max(lifetime - TOKEN_MARGIN, timedelta(seconds=30)))
        return self._token[0]

    def _open(self) -> aiohttp.ClientSession:
        if self._session is None:
            self._session = aiohttp.ClientSession(timeout=TIMEOUT)
        return self._session


def _user(item: dict[str, Any]) -> DirectoryUser:
    return DirectoryUser(id=str(item["id"]), name=item.get("displayName") or "", upn=item.get("userPrincipalName") or "",
                         mail=item.get("mail") or "", primary_role=(item.get("primaryRole") or "").casefold())


def _retry_after(raw: str | None) -> float:
    try:
        seconds = float(raw) if raw else DEFAULT_WAIT_SECONDS
    except ValueError:
        seconds = DEFAULT_WAIT_SECONDS
    return min(max(seconds, 0.0), LONGEST_WAIT_SECONDS)


def _error(text: str) -> str:
    """Graph's error code and message, short: enough for IT, never a whole body."""
    return text[:200].replace("\n", " ")
