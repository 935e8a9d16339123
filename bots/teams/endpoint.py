"""`POST /api/messages`: the Teams webhook, hardened around botbuilder's adapter.

Answers are fixed (issue 4): malformed JSON, a missing `type` or conversation → 400; a missing
or wrong Content-Type → 415; a body over 256 KiB → 413; any authentication failure → 401
(botbuilder 4.17.1 answers 500 for `Bearer garbage`, CHANNEL_NOTES.md T2, so we map it); a
serviceUrl outside the allow-list → 403; a replayed activity → 200, not processed again; an
accepted activity → what the SDK answers. Each refusal is one log line, never the body.
"""

from __future__ import annotations

import json
import logging
from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from typing import Any
from urllib.parse import urlsplit

from aiohttp import web
from botbuilder.core import TurnContext, serializer_helper
from botbuilder.integration.aiohttp import CloudAdapter
from botbuilder.schema import Activity, ActivityTypes
from msrest.serialization import Model

from bots.http import Refused
from state.store import Store

log = logging.getLogger("esafety.teams")
REPLAY_MEMORY_SECONDS = 24 * 3600
KNOWN_TYPES = frozenset(kind.value for kind in ActivityTypes)

TurnLogic = Callable[[TurnContext], Awaitable[Any]]


@dataclass(frozen=True)
class TeamsEndpoint:
    adapter: CloudAdapter
    on_turn: TurnLogic
    store: Store
    allowed_hosts: tuple[str, ...]

    async def handle(self, request: web.Request) -> web.Response:
        try:
            activity = await self._read(request)
            self._check_service_url(activity)
            return await self._process(request.headers.get("Authorization", ""), activity)
        except Refused as refusal:
            log.warning("teams activity refused: %d %s", refusal.status, refusal.reason)
            return web.json_response({"error": refusal.reason}, status=refusal.status)

    async def _read(self, request: web.Request) -> Activity:
        if "application/json" not in request.headers.get("Content-Type", ""):
            raise Refused(415, "Content-Type must be application/json")
        try:
            body = json.loads(await request.read())
        except web.HTTPRequestEntityTooLarge:
            raise Refused(413, "body too large") from None
        except (UnicodeDecodeError, json.JSONDecodeError):
            raise Refused(400, "body is not JSON") from None
        if not isinstance(body, dict) or not body.get("type"):
            raise Refused(400, "an activity needs a type")
        if not isinstance(body.get("conversation"), dict) or not body["conversation"].get("id"):
            raise Refused(400, "an activity needs a conversation")
        return Activity().deserialize(body)

    def _check_service_url(self, activity: Activity) -> None:
        host = (urlsplit(activity.service_url or "").hostname or "").casefold()
        if not any(host == allowed or host.endswith("." + allowed) for allowed in self.allowed_hosts):
            raise Refused(403, "serviceUrl host is not allowed")

    async def _process(self, auth_header: str, activity: Activity) -> web.Response:
        replayed = False

        async def logic(turn_context: TurnContext) -> None:
            nonlocal replayed
            key = f"teams:activity:{activity.conversation.id}:{activity.id}"
            if activity.id and not await self.store.cache_add(key, "seen", REPLAY_MEMORY_SECONDS):
                replayed = True
                log.info("teams activity %s replayed: ignored", activity.id)
                return
            try:
                await self.on_turn(turn_context)
            except Exception:
                if activity.id:  # not processed after all: Teams' redelivery must be let in
                    await self.store.cache_delete(key)
                raise

        try:
            authenticated = await self.adapter.bot_framework_authentication.authenticate_request(activity, auth_header)
        except Exception as error:  # any failure to authenticate is a 401, never a 500 (T2)
            raise Refused(401, f"authentication failed ({type(error).__name__})") from None
        if activity.type not in KNOWN_TYPES:
            log.info("teams activity type %s ignored", activity.type)
            return web.json_response({"status": "ignored"}, status=200)
        invoke_response = await self.adapter.process_activity(authenticated, activity, logic)
        if replayed:
            return web.json_response({"status": "already processed"}, status=200)
        if invoke_response:
            body = invoke_response.body
            data = serializer_helper(body) if isinstance(body, Model) else body
            return web.json_response(data, status=invoke_response.status)
        return web.Response(status=201)
