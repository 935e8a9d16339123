"""The WeCom administrative commands: the app menu, and bringing class chats under the bot.

A WeCom app cannot read what is posted in groups (CHANNEL_NOTES.md W8), so the app menu is how a
child starts a private report from anywhere in WeCom (issue 5, item 4). An app-created chat sends
the app no "joined" event, so `wecom create-chat` / `add-chat` queue a join for the server, which
reads the roster and welcomes the group exactly as for a customer group WeCom told it about.
"""

from __future__ import annotations

from dataclasses import replace
from typing import Any

from bots.cli_operations import CommandRefused
from bots.wecom.api import WecomApi
from bots.wecom.class_delivery import GROUP_SEND, MODES, SCHOOL_NOTICE, sender_of
from bots.wecom.join_requests import join_request
from bots.wecom.roster import APPCHAT, CLASS_CHAT, CUSTOMER
from handlers.audit import record_decision
from handlers.groups import resolve_group
from policy_text.catalog import Catalog
from state.clock import Clock
from state.store import Store

CLI_ACTOR = "cli"


def menu_definition(catalog: Catalog, locale: str) -> dict[str, Any]:
    """One top-level "Safety" menu whose items start a private report (the keys are the same
    verbs as the Teams welcome card's buttons)."""
    items = [("welcome.report_button", "report"), ("welcome.report_adult_button", "report_adult")]
    return {"button": [{"name": catalog.say("wecom.menu_title", locale), "sub_button": [
        {"type": "click", "name": catalog.say(label, locale), "key": verb} for label, verb in items]}]}


async def create_menu(api: WecomApi, catalog: Catalog, locale: str) -> dict[str, Any]:
    menu = menu_definition(catalog, locale)
    await api.call(lambda client: client.menu.create(api.agent_id, menu))
    return menu


async def add_chat(store: Store, clock: Clock, chat_id: str, kind: str) -> None:
    """Queue a join for the server: it reads the members from WeCom and runs the join duties."""
    await store.schedule_due(join_request(chat_id, kind, clock.now()))
    await record_decision(store, clock, action="wecom.chat_added", actor=CLI_ACTOR, group=f"wecom:{chat_id}", clause="000 §5",
                          outcome=kind)


async def set_delivery(store: Store, clock: Clock, name: str, mode: str) -> str:
    """How a 班级群 gets its reminders and recording notices (bots/wecom/class_delivery.py): refused,
    with what to do, for a group that mode cannot reach."""
    group = await resolve_group(store, name)
    delivery = MODES[mode]
    if group.key.channel != "wecom":
        raise CommandRefused(f"{group.key} is a {group.key.channel} group: delivery modes are for WeCom class chats")
    if delivery == GROUP_SEND and (group.kind not in (CUSTOMER, CLASS_CHAT) or not sender_of(group)):
        raise CommandRefused(f"{group.key}: a group send goes into a customer group or 班级群 from its 班主任 or owner, and this "
                             f"group has none the bot knows")
    if delivery == SCHOOL_NOTICE and not group.address.get("department"):
        raise CommandRefused(f"{group.key}: a 学校通知 goes to a class of the school contacts, and this group has none: only a "
                             f"班级群 that `directory sync` joined has one")
    await store.save_group(replace(group, delivery=delivery))
    await record_decision(store, clock, action="group.delivery_set", actor=CLI_ACTOR, group=str(group.key), clause="000 §5.5",
                          outcome=mode)
    return str(group.key)


async def create_chat(api: WecomApi, store: Store, clock: Clock, *, name: str, owner: str, members: list[str]) -> str:
    """Create a class chat owned by the app (so it can post there: appchat/send), then join it.
    WeCom requires 2–500 members, all staff userids (W7)."""
    result = await api.call(lambda client: client.appchat.create(name=name, owner=owner, user_list=members))
    chat_id = str(result["chatid"])
    await add_chat(store, clock, chat_id, APPCHAT)
    return chat_id
