"""A local Bot Connector: the Bot Framework v3 REST routes that botbuilder 4.17.1 really calls.

It lets the real CloudAdapter and TeamsInfo code run with no cloud: activities and replies are
recorded, member lists are served a page at a time, and faults (429 with or without Retry-After,
500, a 504 that comes late as a timed-out gateway's does, a slow answer) can be injected. Route
shapes follow CHANNEL_NOTES.md T1c. Used by the Teams tests and by `make demo`.
"""

from __future__ import annotations

import asyncio
import itertools
import json
import time
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any

from aiohttp import web


@dataclass(frozen=True)
class Received:
    """One request the connector received: what the bot sent and where."""

    method: str
    conversation_id: str
    activity_id: str
    body: dict[str, Any]
    authorization: str | None
    at: float = 0.0  # when it arrived, by the connector's `now` (a test's fast clock, or real time)


@dataclass
class Fault:
    status: int
    retry_after: str | None = None
    delay_seconds: float = 0.0
    conversation_id: str = ""  # only a request to this conversation meets the fault ("": any)


_EVERY_CONNECTOR: list[FakeBotConnector] = []
STOP_GRACE_SECONDS = 1.0  # a request still hanging in an injected delay is cut off at stop, not awaited


def every_connector() -> list[FakeBotConnector]:
    """All connectors started in this process, for the suite-wide privacy scan."""
    return list(_EVERY_CONNECTOR)


@dataclass
class FakeBotConnector:
    page_size_cap: int = 3
    now: Callable[[], float] = time.monotonic
    received: list[Received] = field(default_factory=list)
    reads: list[str] = field(default_factory=list)
    members: dict[str, list[dict[str, Any]]] = field(default_factory=dict)
    faults: list[Fault] = field(default_factory=list)
    refused: list[tuple[str, int, float]] = field(default_factory=list)  # conversation, status, when: each fault met
    _ids: itertools.count[int] = field(default_factory=lambda: itertools.count(1))
    _runner: web.AppRunner | None = None
    url: str = ""

    # -- what a test sets up -------------------------------------------------------------
    def set_members(self, conversation_id: str, members: Sequence[Mapping[str, Any]]) -> None:
        """The conversation's roster, as TeamsChannelAccount JSON (id, name, aadObjectId, …)."""
        self.members[conversation_id] = [dict(member) for member in members]

    def fail_next(self, status: int, *, times: int = 1, retry_after: str | None = None, after_seconds: float = 0.0) -> None:
        """The next `times` requests fail with `status` (after `after_seconds`: a gateway that
        timed out answers 504 late), taking nothing: the activity is not delivered."""
        self.faults.extend(Fault(status, retry_after, delay_seconds=after_seconds) for _ in range(times))

    def slow_next(self, seconds: float, *, times: int = 1, conversation_id: str = "") -> None:
        self.faults.extend(Fault(200, delay_seconds=seconds, conversation_id=conversation_id) for _ in range(times))

    async def settled(self, *, quiet_seconds: float = 0.3, at_most_seconds: float = 10.0) -> None:
        """Wait until nothing has arrived for `quiet_seconds`: the bot's background deliveries
        (welcome, alerts) are done, so what a test or demo step sends next is on its own."""
        loop = asyncio.get_running_loop()
        deadline, seen, since = loop.time() + at_most_seconds, len(self.received), loop.time()
        while loop.time() < deadline and loop.time() - since < quiet_seconds:
            await asyncio.sleep(0.05)
            if len(self.received) != seen:
                seen, since = len(self.received), loop.time()

    # -- what a test reads -----------------------------------------------------------------
    def sent_to(self, conversation_id: str) -> list[dict[str, Any]]:
        """Activities the bot sent or replied into a conversation, in order."""
        return [r.body for r in self.received if r.conversation_id == conversation_id and r.method == "POST" and r.activity_id != "-"]

    def texts_to(self, conversation_id: str) -> list[str]:
        return [body.get("text") or "" for body in self.sent_to(conversation_id)]

    def all_sent(self) -> list[Received]:
        return [r for r in self.received if r.method in {"POST", "PUT"}]

    def group_messages(self) -> list[dict[str, Any]]:
        """Everything sent into group chats and channels (not personal `a:` conversations)."""
        return [r.body for r in self.all_sent() if r.conversation_id and not r.conversation_id.startswith("a:")]

    # -- lifecycle -------------------------------------------------------------------------
    async def start(self, host: str = "127.0.0.1", port: int = 0) -> str:
        app = web.Application()
        app.router.add_post("/v3/conversations", self._create_conversation)
        app.router.add_post("/v3/conversations/{cid}/activities", self._send)
        app.router.add_post("/v3/conversations/{cid}/activities/{aid}", self._send)
        app.router.add_put("/v3/conversations/{cid}/activities/{aid}", self._update)
        app.router.add_get("/v3/conversations/{cid}/pagedmembers", self._paged_members)
        app.router.add_get("/v3/conversations/{cid}/members/{mid}", self._member)
        _EVERY_CONNECTOR.append(self)
        self._runner = web.AppRunner(app, access_log=None, shutdown_timeout=STOP_GRACE_SECONDS)
        await self._runner.setup()
        site = web.TCPSite(self._runner, host, port)
        await site.start()
        bound = self._runner.addresses[0]
        self.url = f"http://{host}:{bound[1]}/"
        return self.url

    async def stop(self) -> None:
        if self._runner is not None:
            await self._runner.cleanup()
            self._runner = None

    # -- routes ----------------------------------------------------------------------------
    async def _fault(self, request: web.Request) -> web.Response | None:
        await request.read()  # take the whole request first, as a real server does before answering
        meets = [f for f in self.faults if f.conversation_id in ("", request.match_info.get("cid", ""))]
        if not meets:
            return None
        fault = meets[0]
        self.faults.remove(fault)
        if fault.delay_seconds:
            await asyncio.sleep(fault.delay_seconds)
        if fault.status < 300:
            return None
        self.refused.append((request.match_info.get("cid", ""), fault.status, self.now()))
        headers = {"Retry-After": fault.retry_after} if fault.retry_after else {}
        body = {"error": {"code": "TooManyRequests" if fault.status == 429 else "ServiceError", "message": f"injected {fault.status}"}}
        return web.json_response(body, status=fault.status, headers=headers)

    async def _record(self, request: web.Request, activity_id: str) -> dict[str, Any]:
        body = await request.json()
        self.received.append(Received(request.method, request.match_info.get("cid", ""), activity_id, body,
                                      request.headers.get("Authorization"), self.now()))
        return dict(body)

    async def _send(self, request: web.Request) -> web.Response:
        if (fault := await self._fault(request)) is not None:
            return fault
        await self._record(request, request.match_info.get("aid", "new"))
        return web.json_response({"id": f"activity-{next(self._ids)}"}, status=201)

    async def _update(self, request: web.Request) -> web.Response:
        if (fault := await self._fault(request)) is not None:
            return fault
        await self._record(request, request.match_info["aid"])
        return web.json_response({"id": request.match_info["aid"]})

    async def _create_conversation(self, request: web.Request) -> web.Response:
        if (fault := await self._fault(request)) is not None:
            return fault
        body = await self._record(request, "-")
        member = (body.get("members") or [{}])[0].get("id", "unknown")
        return web.json_response({"id": f"a:personal-{member}", "activityId": f"activity-{next(self._ids)}", "serviceUrl": self.url},
                                 status=201)

    async def _paged_members(self, request: web.Request) -> web.Response:
        self.reads.append(request.path_qs)
        members = self.members.get(request.match_info["cid"])
        if members is None:
            return _not_found(request.match_info["cid"])
        size = min(int(request.query.get("pageSize") or self.page_size_cap), self.page_size_cap)
        start = int(request.query.get("continuationToken") or 0)
        page = members[start:start + size]
        token = str(start + size) if start + size < len(members) else None
        return web.json_response({"members": page, "continuationToken": token})

    async def _member(self, request: web.Request) -> web.Response:
        self.reads.append(request.path_qs)
        wanted = request.match_info["mid"]
        for member in self.members.get(request.match_info["cid"], []):
            if wanted in (member.get("id"), member.get("aadObjectId")):
                return web.json_response(member)
        return _not_found(wanted)


def _not_found(what: str) -> web.Response:
    return web.Response(status=404, content_type="application/json",
                        text=json.dumps({"error": {"code": "ConversationNotFound", "message": f"{what} not found"}}))
