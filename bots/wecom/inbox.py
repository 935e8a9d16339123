"""Processing accepted WeCom callbacks from the durable inbox, and join requests from the CLI.

The endpoint has already answered WeCom; here each stored callback is parsed, translated and
dispatched. A failure (WeCom's API down while reading a roster, a critical duty failing) raises,
so the worker retries the item with back-off and, in the end, parks it where a person sees it:
a child's message accepted by the endpoint is never dropped here.
"""

from __future__ import annotations

import hashlib
import logging
from collections.abc import Mapping
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from bots.wecom import translate
from bots.wecom.api import WecomApi
from bots.wecom.callbacks import CALLBACK
from bots.wecom.join_requests import JOIN
from bots.wecom.messenger import response_code_key
from bots.wecom.roster import CUSTOMER, place_of, read_group
from bots.wecom.school_changes import change_item
from bots.wecom.wechat_events import parse_callback
from handlers.dispatch import Dispatcher
from handlers.events import Event
from state.clock import Clock
from state.due import DueItem
from state.store import Store

log = logging.getLogger("esafety.wecom")
RESPONSE_CODE_SECONDS = 72 * 3600  # a card's response code is good for 72 hours
MEMBER_CHANGES = frozenset({"add_member", "del_member"})
SCHOOL_CHANGES = frozenset({"change_school_contact", "change_school_contact_batch"})


DIRECTORY_ADDITIONS = frozenset({"create_user", "update_user"})
"""change_contact kinds after which a member may now be in the app's range (WeCom sends them for
members the app can see)."""


@dataclass(frozen=True)
class WecomInbox:
    api: WecomApi
    store: Store
    dispatcher: Dispatcher
    clock: Clock
    school_contacts: bool = False

    def handlers(self) -> dict[str, Any]:
        return {CALLBACK: self.process_callback, JOIN: self.process_join}

    async def process_join(self, item: DueItem) -> None:
        await self._join(item.payload["chat_id"], item.payload["kind"], event_id=_short(item.item_id), at=self.clock.now(),
                         place=item.payload.get("place") or {})

    async def process_callback(self, item: DueItem) -> None:
        message = parse_callback(item.payload["xml"])
        event_id = _short(item.item_id)
        if message.type == "unknown":  # an event or message kind wechatpy and we do not know
            log.info("wecom callback of an unknown kind ignored")
            return
        if message.type != "event":
            await self.dispatcher.dispatch(translate.direct_message(message, event_id))
            return
        kind = getattr(message, "event", "")
        if kind == "click":
            await self._dispatch(translate.menu_click(message, event_id))
        elif kind == "template_card_event":
            await self.store.cache_set(response_code_key(str(message.task_id or "")), str(message.response_code or ""),
                                       RESPONSE_CODE_SECONDS)
            await self.dispatcher.dispatch(translate.card_click(message, event_id))
        elif kind == "enter_agent":  # they opened the app's 1:1 session: they can be messaged there
            await self.store.save_person_address(translate.person(message.source), {"userid": message.source})
            await self.dispatcher.dispatch(translate.reachable(message, str(message.source), event_id))
        elif kind == "change_contact" and str(message.change_type or "") in DIRECTORY_ADDITIONS:
            await self.dispatcher.dispatch(translate.reachable(message, str(message.user_id or ""), event_id))
        elif kind == "change_external_chat":
            await self._group_changed(message, event_id)
        elif kind in SCHOOL_CHANGES:
            await self._school_changed(message, event_id)
        else:
            log.info("wecom event %s ignored", kind or "unknown")

    async def _school_changed(self, message: Any, event_id: str) -> None:
        """A change to the school contacts, applied by the timers' worker (bots/wecom/school_changes.py)."""
        if not self.school_contacts:
            log.info("a school contacts change is ignored: the roster does not follow them (ESAFETY_ROLE_GROUPS has no WeCom group)")
            return
        await self.store.schedule_due(change_item(message, event_id, self.clock.now()))

    async def _group_changed(self, message: Any, event_id: str) -> None:
        chat_id, change = str(message.chat_id), str(message.change_type or "")
        at = translate.sent_at(message)
        known = await self.store.get_group(translate.group_of(chat_id))
        if change == "dismiss":
            if known is not None:
                await self.dispatcher.dispatch(translate.dismissed(message, event_id))
        elif change == "create" or known is None:  # a 班级群 the bot knows stays one
            kind, place = (known.kind or CUSTOMER, place_of(known)) if known else (CUSTOMER, {})
            await self._join(chat_id, kind, event_id=event_id, at=at, place=place)
        elif str(message.update_detail or "") in MEMBER_CHANGES:
            snapshot = await read_group(self.api, self.store, chat_id, known.kind or CUSTOMER, place_of(known))
            await self.dispatcher.dispatch(translate.members_now(chat_id, snapshot, event_id=event_id, at=at))

    async def _join(self, chat_id: str, kind: str, *, event_id: str, at: datetime, place: Mapping[str, str]) -> None:
        """WeCom says nothing of a group's language: it takes its owner's (the class teacher's)."""
        snapshot = await read_group(self.api, self.store, chat_id, kind, place)
        owner = await self.store.get_person(translate.CHANNEL, snapshot.owner) if snapshot.owner else None
        joined = translate.joined(chat_id, kind, snapshot, event_id=event_id, at=at, locale=(owner.locale if owner else None) or "",
                                  place=place)
        await self.dispatcher.dispatch(joined)
        await self.dispatcher.dispatch(translate.members_now(chat_id, snapshot, event_id=event_id, at=at))

    async def _dispatch(self, event: Event | None) -> None:
        if event is not None:
            await self.dispatcher.dispatch(event)


def _short(item_id: str) -> str:
    """Event ids in log lines: a digest of the dedup key, which names a user."""
    return "wecom-" + hashlib.sha256(item_id.encode()).hexdigest()[:16]
