"""WeCom callbacks → neutral events: pure functions, no network, no policy.

The same events the Teams adapter produces (handlers/events.py), so one rule serves both. A
person is `wecom:<userid>` (staff) or `wecom:<external_userid>` (a parent or student outside the
school), exactly as WeCom spells it. Group events carry no member list: the inbox reads it.
"""

from __future__ import annotations

from collections.abc import Mapping
from datetime import UTC, datetime
from typing import Any

from bots.wecom import render
from bots.wecom.ids import spell_user_id
from bots.wecom.roster import GroupSnapshot
from handlers.events import BotRemoved, CardAction, DirectMessage, GroupJoined, MembersChanged, PersonReachable
from state.models import GroupKey, PersonRef

CHANNEL = "wecom"
MENU_VERBS = frozenset({"report", "report_adult"})


def person(userid: str) -> PersonRef:
    return PersonRef(CHANNEL, spell_user_id(userid))


def group_of(chat_id: str) -> GroupKey:
    return GroupKey(CHANNEL, chat_id)


def _common(message: Any, event_id: str) -> dict[str, Any]:
    return {"event_id": event_id, "at": sent_at(message)}


def sent_at(message: Any) -> datetime:
    return datetime.fromtimestamp(int(message._data.get("CreateTime") or 0), UTC)


def direct_message(message: Any, event_id: str) -> DirectMessage:
    """A message someone sent the app in its 1:1 session. Only text carries words; a picture or
    voice note becomes an empty message, which is answered with how to report in words."""
    text = message.content if message.type == "text" else ""
    return DirectMessage(**_common(message, event_id), sender=person(message.source), text=(text or "").strip())


def reachable(message: Any, userid: str, event_id: str) -> PersonReachable:
    """`userid` can be messaged by the app now: they opened its 1:1 session, or the directory
    says they were added or changed (e.g. brought into the app's visible range)."""
    return PersonReachable(**_common(message, event_id), person=person(userid))


def menu_click(message: Any, event_id: str) -> CardAction | None:
    """The app menu's "report a worry" items start the same private report as Teams' buttons."""
    verb = str(message.key or "")
    if verb not in MENU_VERBS:
        return None
    return CardAction(**_common(message, event_id), sender=person(message.source), verb=verb)


def card_click(message: Any, event_id: str) -> CardAction:
    verb, data = render.decode_button(str(message.event_key or ""))
    return CardAction(**_common(message, event_id), sender=person(message.source), verb=verb, data=data)


def joined(chat_id: str, kind: str, snapshot: GroupSnapshot, *, event_id: str, at: datetime, locale: str,
           place: Mapping[str, str]) -> GroupJoined:
    """A customer group created with the app's staff in it, a chat the app created, or a class's
    班级群 (`place`: its class and 班主任, who is told first, privately; the chat id is the class's
    id in the school contacts, so the group takes its class from the directory)."""
    head_teacher = place.get("head_teacher") or snapshot.owner
    return GroupJoined(event_id=event_id, at=at, locale=locale, group=group_of(chat_id), name=snapshot.name,
                       address={"chat_id": chat_id, "kind": kind, "owner": snapshot.owner, **place}, kind=kind,
                       by=person(head_teacher) if head_teacher else None, directory_id=chat_id if place else "",
                       members_from_roster=snapshot.from_class_roster, from_directory=bool(place))


def members_now(chat_id: str, snapshot: GroupSnapshot, *, event_id: str, at: datetime) -> MembersChanged:
    """Everyone in the group now (WeCom's change event says only how many changed)."""
    return MembersChanged(event_id=event_id, at=at, group=group_of(chat_id), added=snapshot.members, complete=True)


def dismissed(message: Any, event_id: str) -> BotRemoved:
    """A dismissed class group can no longer be watched: told to the lead like a removal."""
    return BotRemoved(**_common(message, event_id), group=group_of(str(message.chat_id)))
