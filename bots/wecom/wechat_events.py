"""Typed wechatpy classes for the WeCom events this bot needs and wechatpy 1.8.18 does not know.

Unknown events parse as `UnknownMessage` (CHANNEL_NOTES.md W6). They are registered with
`wechatpy.enterprise.events.register_event` under lower-case keys: the enterprise parser reads
that registry, not `wechatpy.events`'. `parse_callback` is the only way callbacks are parsed,
so the registrations are always in place when one is.
"""

from __future__ import annotations

from typing import Any

from wechatpy.enterprise import parse_message
from wechatpy.enterprise.events import register_event
from wechatpy.events import BaseEvent
from wechatpy.fields import IntegerField, StringField


@register_event("change_external_chat")
class ChangeExternalChatEvent(BaseEvent):  # type: ignore[misc]
    """A customer group (客户群) was created, changed (members added / removed) or dismissed."""

    event = "change_external_chat"
    chat_id = StringField("ChatId")
    change_type = StringField("ChangeType")  # create | update | dismiss
    update_detail = StringField("UpdateDetail")  # add_member | del_member | change_owner | change_name | …
    join_scene = IntegerField("JoinScene", 0)
    quit_scene = IntegerField("QuitScene", 0)
    mem_change_cnt = IntegerField("MemChangeCnt", 0)


@register_event("change_contact")
class ChangeContactEvent(BaseEvent):  # type: ignore[misc]
    """The school's own directory changed (a member created, updated or deleted)."""

    event = "change_contact"
    change_type = StringField("ChangeType")
    user_id = StringField("UserID")


@register_event("change_school_contact")
class ChangeSchoolContactEvent(BaseEvent):  # type: ignore[misc]
    """The school contacts (家校通讯录) changed: a student, parent or department created, updated or
    deleted, or a parent (un)subscribed to 学校通知. `Id` names who or what; `NewId` a changed userid."""

    event = "change_school_contact"
    change_type = StringField("ChangeType")
    changed_id = StringField("Id")
    new_id = StringField("NewId")


@register_event("change_school_contact_batch")
class ChangeSchoolContactBatchEvent(BaseEvent):  # type: ignore[misc]
    """Many changes to the school contacts at once (WeCom merges a burst into one callback)."""

    event = "change_school_contact_batch"


@register_event("template_card_event")
class TemplateCardEvent(BaseEvent):  # type: ignore[misc]
    """A button on a template card was pressed. WeCom sends it once and drops it after 5 s;
    `ResponseCode` lets the card be updated once (message/update_template_card)."""

    event = "template_card_event"
    event_key = StringField("EventKey")
    task_id = StringField("TaskId")
    card_type = StringField("CardType")
    response_code = StringField("ResponseCode")
    agent = IntegerField("AgentID", 0)


def parse_callback(xml: str) -> Any:
    """A decrypted callback as a wechatpy message or event, our typed events included. (The
    endpoint already refused any XML with a DTD or entities before it was stored.)"""
    return parse_message(xml)
