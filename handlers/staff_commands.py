"""`status` and `recheck` for staff, in the group (Teams @mention) or in a 1:1 naming the group
(`status GROUP`), since a WeCom app cannot read group messages. Staff only: handlers/chat_verbs.py
refuses anyone else, in private, audited. In a group the answer says only supervised or
not and which role is missing; names (guests, consent gaps) go to staff in the 1:1 only (000 §5;
004 objectives 12–13)."""

from __future__ import annotations

from typing import Any

from handlers.audit import record_decision
from handlers.duties import Deps
from handlers.group_warning import GROUP_MISSING
from handlers.groups import GroupNotFound, resolve_group
from handlers.messenger import Message
from handlers.names import group_words
from handlers.outbox import send_durably
from handlers.supervision import CLAUSE, check_group
from policy_text.catalog import words
from state.models import GroupKey, Person


async def staff_command(deps: Deps, person: Person, verb: str, group_name: str, *, in_group: GroupKey | None, event_id: str) -> None:
    try:
        key = in_group or (await resolve_group(deps.store, group_name)).key
    except GroupNotFound:
        await send_durably(deps, person.ref, Message(key="help.unknown_command"), key=f"reply:{event_id}")
        return
    result = await check_group(deps, key)
    if result is None:  # the bot is no longer in that group
        await send_durably(deps, person.ref, Message(key="help.unknown_command"), key=f"reply:{event_id}")
        return
    group = await deps.store.get_group(key)
    missing = GROUP_MISSING.get(result.missing_key, result.missing_key) if in_group is not None else result.missing_key
    from_roster = group is not None and group.members_from_roster
    read_from_roster: tuple[tuple[str, dict[str, Any]], ...] = (("supervision.members_from_roster", {}),) if from_roster else ()
    status = (Message(key="supervision.status_ok", lines=read_from_roster) if result.supervised else
              Message(key="supervision.status_missing", fields={"missing": words(missing)},  # in the group, a parent's words
                      lines=read_from_roster))
    await record_decision(deps.store, deps.clock, key=f"{event_id}|{verb}", action=f"staff_command.{verb}", actor=str(person.ref),
                          actor_role=person.role.value, group=str(key), clause=CLAUSE,
                          outcome="supervised" if result.supervised else "unsupervised")
    if in_group is not None:
        await send_durably(deps, key, status, key=f"reply:{event_id}")
        return
    await send_durably(deps, person.ref, status, key=f"reply:{event_id}")
    name = group_words(group, await deps.store.list_groups())
    if result.guests:
        guests = ", ".join(sorted(m.display_name or m.user_id or m.platform_id for m in result.guests))
        await send_durably(deps, person.ref, Message(key="supervision.alert_guest", fields={"group": name, "guests": guests}),
                           key=f"reply:{event_id}:guests")
    if result.consent_gaps:
        students = ", ".join(sorted(p.name for p in result.consent_gaps))
        await send_durably(deps, person.ref, Message(key="supervision.alert_consent_gap", fields={"group": name, "students": students}),
                           key=f"reply:{event_id}:consent")
