"""The WeCom administrative commands: the app menu, and bringing class chats under the bot.

A WeCom app cannot read what is posted in groups (CHANNEL_NOTES.md W8), so the app menu is how a
child starts a private report from anywhere in WeCom (issue 5, item 4). An app-created chat sends
the app no "joined" event, so `wecom create-chat` / `add-chat` queue a join for the server, which
reads the roster and welcomes the group exactly as for a customer group WeCom told it about.
"""

from __future__ import annotations

from typing import Any

from bots.wecom.api import WecomApi
from bots.wecom.join_requests import join_request
from bots.wecom.roster import APPCHAT
from handlers.audit import record_decision
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


async def create_chat(api: WecomApi, store: Store, clock: Clock, *, name: str, owner: str, members: list[str]) -> str:
    """Create a class chat owned by the app (so it can post there: appchat/send), then join it.
    WeCom requires 2–500 members, all staff userids (W7)."""
    result = await api.call(lambda client: client.appchat.create(name=name, owner=owner, user_list=members))
    chat_id = str(result["chatid"])
    await add_chat(store, clock, chat_id, APPCHAT)
    return chat_id
