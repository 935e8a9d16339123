"""`POST /api/messages`: the Teams webhook. It only accepts; the inbox worker does the work.

Like WeCom's callback (DESIGN.md, data flow): the activity's shape is checked, its `serviceUrl`
allow-listed, the request authenticated, and the activity stored in the durable inbox with its
dedup key in one atomic write; then it is answered at once. One slow recipient or a Store
hiccup while a duty runs can no longer hold the HTTP answer, and a crash after answering
leaves the activity in the inbox for the next start.

Answers: malformed JSON or a bad field → 400 with the reason; no JSON Content-Type → 415; over
256 KiB → 413; any authentication failure → 401 (botbuilder answers 500 for `Bearer garbage`,
CHANNEL_NOTES.md T2); a serviceUrl off the allow-list → 403; accepted → 201; a replay → 200, not
processed again; a type the bot does not handle → 200, ignored. A card's `Action.Execute`
(invoke `adaptiveCard/action`) needs its answer in the response: it is stored like any activity
and answered with a "recorded" card. If the Store cannot take the activity, its sender is told
so in the same turn (text that needs no Store) and the answer is 503. Each refusal is one log
line with the reason, never the body.
"""

from __future__ import annotations

import asyncio
import logging
from dataclasses import dataclass
from datetime import datetime
from types import SimpleNamespace
from typing import Any

from aiohttp import web
from botbuilder.core import TurnContext
from botbuilder.integration.aiohttp import CloudAdapter
from botbuilder.schema import Activity
from botframework.connector.auth import AuthenticateRequestResult

from bots.http import Refused
from bots.teams import activity_shape
from bots.teams.render import ADAPTIVE_CARD, card, render
from bots.teams.service_url import ServiceUrls
from bots.teams.translate import dedup_key, event_id_of
from handlers.messenger import Message
from handlers.not_saved import NotSaved
from handlers.runtime.doorbell import Doorbell
from policy_text.catalog import Catalog
from state.clock import Clock
from state.due import DueItem, Queue
from state.store import Store

log = logging.getLogger("esafety.teams")
TEAMS_ACTIVITY = "teams.activity"
REPLAY_MEMORY_SECONDS = 7 * 86_400
NOT_SAVED_REPLY_SECONDS = 10.0
RETRY_AFTER_SECONDS = "30"
ACCEPTED, ALREADY_ACCEPTED = b'{"status": "accepted"}', b'{"status": "already accepted"}'


def inbox_item(activity: dict[str, Any], now: datetime) -> DueItem:
    """The inbox entry of an accepted activity. Its id is the dedup key (conversation and
    activity id: Teams' ids are unique within a conversation); one sender's activities share a
    partition, so they are worked one at a time, in the order they came. An activity without a
    timestamp is stamped with when it was accepted: every event needs its time."""
    conversation = activity["conversation"]["id"]
    return DueItem(queue=Queue.INBOX, item_id=dedup_key(conversation, activity["id"]), kind=TEAMS_ACTIVITY, due_at=now,
                   payload={"activity": {"timestamp": now.isoformat(), **activity}}, partition=f"teams:{conversation}")


@dataclass(frozen=True)
class TeamsEndpoint:
    adapter: CloudAdapter
    store: Store
    catalog: Catalog
    clock: Clock
    doorbell: Doorbell
    service_urls: ServiceUrls
    not_saved: NotSaved

    async def handle(self, request: web.Request) -> web.Response:
        try:
            activity = await _read(request)
            self.service_urls.check(activity["serviceUrl"])
            authenticated = await self._authenticate(request.headers.get("Authorization", ""), activity)
        except Refused as refusal:
            log.warning("teams activity refused: %d %s", refusal.status, refusal.reason)
            return web.json_response({"error": refusal.reason}, status=refusal.status)
        card_action = activity.get("name") == activity_shape.CARD_ACTION_INVOKE
        if activity["type"] not in activity_shape.HANDLED or (activity["type"] == "invoke" and not card_action):
            return web.json_response({"status": "ignored"}, status=200)
        now = self.clock.now()
        item = inbox_item(activity, now)
        try:
            fresh = await self.store.accept_inbound(f"teams:activity:{item.item_id}", item, REPLAY_MEMORY_SECONDS)
        except Exception as error:  # the Store is down: the sender hears it now, never silence
            log.error("a teams activity could not be stored (%s): its sender is told to send it again", type(error).__name__)
            return await self._not_saved(authenticated, activity, card_action)
        if fresh:
            self.doorbell.ring(Queue.INBOX)
        else:
            log.info("teams activity %s replayed: ignored", event_id_of(item.item_id))
        if card_action:
            return self._card_answer(Message(key="card.action_received"), activity)
        return web.Response(body=ACCEPTED, status=201, content_type="application/json") if fresh \
            else web.Response(body=ALREADY_ACCEPTED, content_type="application/json")

    async def _authenticate(self, header: str, activity: dict[str, Any]) -> AuthenticateRequestResult:
        """What botbuilder's check reads (channel, serviceUrl, recipient role), without
        deserialising the whole activity on the hot path."""
        recipient = SimpleNamespace(role=(activity.get("recipient") or {}).get("role"))
        minimal = SimpleNamespace(channel_id=activity.get("channelId"), service_url=activity["serviceUrl"], recipient=recipient)
        try:
            return await self.adapter.bot_framework_authentication.authenticate_request(minimal, header)
        except Exception as error:  # any failure to authenticate is a 401, never a 500 (T2)
            raise Refused(401, f"authentication failed ({type(error).__name__})") from None

    def _card_answer(self, message: Message, activity: dict[str, Any]) -> web.Response:
        body = {"statusCode": 200, "type": ADAPTIVE_CARD, "value": card(message, self.catalog, activity.get("locale") or "")}
        return web.json_response(body, status=200)

    async def _not_saved(self, authenticated: AuthenticateRequestResult, activity: dict[str, Any], card_action: bool) -> web.Response:
        """A person's message or card action is answered in this turn, through the connector
        (or, for a card, in the answer itself); the status says it was not accepted."""
        message = self.not_saved(activity.get("locale") or "")
        if card_action:
            return self._card_answer(message, activity)
        if activity["type"] == "message":
            reply = render(message, self.catalog, activity.get("locale") or "")

            async def answer(turn_context: TurnContext) -> None:
                await turn_context.send_activity(reply)

            try:
                await asyncio.wait_for(self.adapter.process_activity(authenticated, Activity().deserialize(activity), answer),
                                       NOT_SAVED_REPLY_SECONDS)
            except Exception as error:
                log.error("the sender of an unsaved teams activity could not be told either (%s)", type(error).__name__)
        return web.json_response({"error": "the activity could not be stored; send it again"}, status=503,
                                 headers={"Retry-After": RETRY_AFTER_SECONDS})


async def _read(request: web.Request) -> dict[str, Any]:
    if "application/json" not in request.headers.get("Content-Type", ""):
        raise Refused(415, "Content-Type must be application/json")
    try:
        body = await request.read()
    except web.HTTPRequestEntityTooLarge:
        raise Refused(413, "body too large") from None
    return activity_shape.checked(activity_shape.parse(body))
