"""Keeping the Store's picture of each group current: where it is and who is in it.

The group's address is stored the moment the bot joins, so proactive messages (reminders,
warnings) still reach it after a restart; membership is kept for the periodic supervision
re-check, since a roster can change without an event reaching the bot (000 §5).
"""

from __future__ import annotations

from dataclasses import replace

from handlers.directory_classes import directory_class
from handlers.duties import Deps
from handlers.events import GroupJoined, MembersChanged
from policy_text.catalog import normalise_locale
from state.models import Group, Supervision


async def remember_group(event: GroupJoined, deps: Deps) -> None:
    """Register a newly joined group; a rejoin refreshes its address and marks it watched. A
    class team takes its class from the school's directory (handlers/directory_classes.py)."""
    linked = await directory_class(deps.store, event.group.channel, event.directory_id)
    group = Group(
        key=event.group, name=event.name, joined_at=event.at, address=event.address, kind=event.kind,
        locale=normalise_locale(event.locale, deps.school_locale), timezone=deps.school_timezone, added_by=event.by,
        directory_id=event.directory_id, class_name=linked, members_from_roster=event.members_from_roster,
        joined_from_directory=event.from_directory,
    )
    if await deps.store.register_group(group):
        return
    known = await deps.store.get_group(event.group)
    if known is not None:
        supervision = Supervision.UNCHECKED if known.supervision is Supervision.UNMONITORED else known.supervision
        await deps.store.save_group(replace(known, name=event.name or known.name, address=event.address or known.address,
                                            supervision=supervision, added_by=event.by or known.added_by,
                                            directory_id=event.directory_id or known.directory_id,
                                            class_name=linked or known.class_name,
                                            members_from_roster=event.members_from_roster))


async def remember_members(event: MembersChanged, deps: Deps) -> None:
    """Apply who joined and who left to the group's stored member list (or replace it)."""
    if event.complete:
        await deps.store.set_group_members(event.group, list(event.added))
        return
    leaving = {m.user_id or m.platform_id for m in event.removed} | {m.user_id or m.platform_id for m in event.added}
    kept = [m for m in await deps.store.group_members(event.group) if (m.user_id or m.platform_id) not in leaving]
    await deps.store.set_group_members(event.group, [*kept, *event.added])
