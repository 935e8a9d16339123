"""A class group's life with the bot: the welcome when it joins, the check whenever members
change, and the alarm when the bot is taken out (000 §5: a removed bot is a group nobody
is watching any more — a safeguarding event, not a goodbye)."""

from __future__ import annotations

import logging
from dataclasses import replace

from handlers.audit import decision
from handlers.duties import Deps
from handlers.events import BotRemoved, GroupJoined, MembersChanged
from handlers.messenger import Button, Message
from handlers.names import group_words, person_words
from handlers.outbox import outbox_item, send_durably
from handlers.redelivery import redeliver_to_members
from handlers.supervision import CLAUSE, check_group
from policy_text.catalog import words
from state.due import DueItem
from state.effects import Effects
from state.models import GroupKey, Role, Supervision

log = logging.getLogger(__name__)
WELCOME_BUTTONS = (Button(label_key="welcome.report_button", verb="report"),
                   Button(label_key="welcome.report_adult_button", verb="report_adult"))


async def welcome(event: GroupJoined, deps: Deps) -> None:
    """Once per group: what the bot is for, that lessons are recorded, and how to report privately."""
    message = Message(key="welcome.summary", lines=(("welcome.recording", {"retention_days": deps.supervision.recording_retention_days}),),
                      buttons=WELCOME_BUTTONS)
    await send_durably(deps, event.group, message, key=f"{event.group}|welcome")


async def on_members_changed(event: MembersChanged, deps: Deps) -> None:
    await check_group(deps, event.group)


async def recheck(item: DueItem, deps: Deps) -> None:
    """The periodic re-check reads the roster from the channel first: a member can be added or
    removed without an event reaching the bot (000 §5). If the channel cannot be read just now,
    the group is checked on the members last seen, and read again next time."""
    key = GroupKey.parse(item.payload["group"])
    group = await deps.store.get_group(key)
    if group is None or group.supervision is Supervision.UNMONITORED:
        return
    try:
        members = await deps.messenger.read_members(group)
    except Exception as error:
        log.warning("could not read the members of %s for the re-check: %s", key, type(error).__name__)
        members = None
    if members is not None:
        await deps.store.set_group_members(key, members)
        await redeliver_to_members(deps, key.channel, members)
    await check_group(deps, key)


async def on_bot_removed(event: BotRemoved, deps: Deps) -> None:
    """The group becomes unmonitored with the leads' alerts, the disarmed re-check and the audit
    row in one compare-and-set, keyed by the removal event: retried, it changes nothing."""
    remover = await deps.store.get_person(event.by.channel, event.by.user_id) if event.by else None
    removed_by = person_words(remover) if remover else words("supervision.removed_by_unknown")
    groups = await deps.store.list_groups()
    leads = [p for p in await deps.store.list_people(event.group.channel) if p.role is Role.DSL]
    now = deps.clock.now()
    while (group := await deps.store.get_group(event.group)) is not None and group.supervision is not Supervision.UNMONITORED:
        alert = Message(key="supervision.alert_bot_removed", fields={"group": group_words(group, groups), "removed_by": removed_by})
        removed = decision(deps.clock, action="supervision.bot_removed", actor=str(event.by or "unknown"), group=str(event.group),
                           clause=CLAUSE, outcome="unmonitored")
        effects = Effects(messages=tuple(outbox_item(lead.ref, alert, key=f"{event.group}|removed|{event.event_id}|{lead.ref}", due_at=now)
                                         for lead in leads), disarmed=(f"{event.group}|recheck",), audit=(removed,))
        if await deps.store.replace_group(group, replace(group, supervision=Supervision.UNMONITORED, supervision_since=event.at), effects):
            return
