"""Teams activities → neutral events: pure functions, no network, no policy.

People are identified by their Entra (AAD) object id — what a school's directory export has —
falling back to the user principal name or email, never only by the `29:` id (issue 4, item 3).
"""

from __future__ import annotations

import hashlib
from datetime import UTC, datetime
from typing import Any

from botbuilder.core import TurnContext
from botbuilder.schema import Activity, ChannelAccount
from botbuilder.schema.teams import TeamsChannelAccount

from bots.teams.ids import spell_user_id
from handlers.events import BotRemoved, CardAction, DirectMessage, GroupJoined, GroupMessage, MembersChanged, PersonReachable
from state.models import GroupKey, Member, PersonRef

CHANNEL = "teams"


def dedup_key(conversation_id: str, activity_id: str) -> str:
    """What tells two activities apart: Teams' activity ids are unique within a conversation."""
    return f"teams:{conversation_id}|{activity_id}"


def event_id_of(key: str) -> str:
    """An event's id in logs and idempotency keys: a digest of its dedup key, which names a
    conversation (and so, in a 1:1, a person)."""
    return "teams-" + hashlib.sha256(key.encode()).hexdigest()[:16]


def group_of(activity: Activity) -> GroupKey:
    return GroupKey(CHANNEL, activity.conversation.id)


def is_personal(activity: Activity) -> bool:
    return (activity.conversation.conversation_type or "") == "personal"


def roster_id(account: ChannelAccount) -> str:
    """The id the roster knows: Entra object id, else UPN / email, else the platform id."""
    upn = getattr(account, "user_principal_name", None) or getattr(account, "email", None)
    return spell_user_id(account.aad_object_id or upn or account.id or "")


def person_of(account: ChannelAccount) -> PersonRef:
    return PersonRef(CHANNEL, roster_id(account))


def member_of(account: ChannelAccount | TeamsChannelAccount) -> Member:
    return Member(user_id=roster_id(account), display_name=account.name or "", platform_id=account.id or "",
                  platform_guest=(getattr(account, "user_role", None) or "").casefold() == "guest")


def address_of(activity: Activity) -> dict[str, Any]:
    """The conversation reference, as JSON, so proactive sends work after a restart. The tenant
    is taken from `channelData.tenant.id`: Teams sends `conversation.tenantId`, which botbuilder's
    ConversationAccount (key `tenantID`) does not read. The activity's own id is left out: a
    later message is a new post in the conversation, not a reply to that activity, and the
    address stays the same from one message to the next (so it is written only when it changes)."""
    reference = TurnContext.get_conversation_reference(activity)
    reference.conversation.tenant_id = reference.conversation.tenant_id or tenant_of(activity)
    reference.activity_id = None
    return dict(reference.serialize())


def tenant_of(activity: Activity) -> str | None:
    channel_data: dict[str, Any] = activity.channel_data if isinstance(activity.channel_data, dict) else {}
    tenant = channel_data.get("tenant")
    return str(tenant["id"]) if isinstance(tenant, dict) and tenant.get("id") else None


def _common(activity: Activity) -> dict[str, Any]:
    """The webhook stamps every accepted activity with a timestamp (the sender's, else when it
    was accepted), so no event reads the machine's clock here."""
    at: datetime = activity.timestamp
    return {"event_id": event_id_of(dedup_key(activity.conversation.id, activity.id)),
            "at": at if at.tzinfo else at.replace(tzinfo=UTC), "locale": activity.locale or ""}


def joined(activity: Activity) -> GroupJoined:
    return GroupJoined(**_common(activity), group=group_of(activity), name=activity.conversation.name or _team_name(activity),
                       address=address_of(activity), kind=activity.conversation.conversation_type or "",
                       by=person_of(activity.from_property) if activity.from_property else None,
                       directory_id=str(_team(activity).get("aadGroupId") or "").casefold())


def _team(activity: Activity) -> dict[str, Any]:
    """A team channel's `channelData.team`: its id, name and Microsoft 365 group id (`aadGroupId`,
    a class team's education class id); empty for a group chat."""
    channel_data: dict[str, Any] = activity.channel_data if isinstance(activity.channel_data, dict) else {}
    team = channel_data.get("team")
    return team if isinstance(team, dict) else {}


def _team_name(activity: Activity) -> str:
    return str(_team(activity).get("name") or "")


def bot_removed(activity: Activity) -> BotRemoved:
    return BotRemoved(**_common(activity), group=group_of(activity),
                      by=person_of(activity.from_property) if activity.from_property else None)


def members_changed(activity: Activity, added: list[Member], removed: list[Member], *, complete: bool = False) -> MembersChanged:
    return MembersChanged(**_common(activity), group=group_of(activity), added=tuple(added), removed=tuple(removed), complete=complete)


def direct_message(activity: Activity) -> DirectMessage:
    return DirectMessage(**_common(activity), sender=person_of(activity.from_property), text=(activity.text or "").strip())


def group_message(activity: Activity) -> GroupMessage:
    """A group message addressed to the bot, with the @mention of the bot removed."""
    text = (TurnContext.remove_recipient_mention(activity) or "") if activity.text else ""  # an activity may carry no text
    return GroupMessage(**_common(activity), group=group_of(activity), sender=person_of(activity.from_property), text=text.strip())


def reachable(activity: Activity) -> PersonReachable:
    """The sender's personal chat with the bot is known now: what waits for them can go."""
    return PersonReachable(**_common(activity), person=person_of(activity.from_property))


def card_action(activity: Activity, verb: str, data: dict[str, Any]) -> CardAction:
    group = None if is_personal(activity) else group_of(activity)
    return CardAction(**_common(activity), sender=person_of(activity.from_property), verb=verb, data=data, group=group)
