"""Class teams linked to their classes through the school's directory (issue 21).

A class team's Microsoft 365 group is its education class (the team's group id is the class's
id), so a class team's channels get their class from the directory, with no CSV and no
`groups set-class`: supervision then knows the class's students and teachers (000 §5; 004
strategy 18). A group chat has no such id; it keeps getting its class from its members or from
`groups set-class`. The directory's classes are kept after each sync, so a team the bot joins
later is linked at once.
"""

from __future__ import annotations

import json
from collections.abc import Mapping
from dataclasses import replace

from handlers.audit import record_decision
from handlers.roster import ROSTER_CLAUSE
from state.clock import Clock
from state.models import Group
from state.store import Store

CLASSES = "directory:classes:{channel}"
KEEP_SECONDS = 400 * 86_400  # refreshed by every sync


async def keep_classes(store: Store, channel: str, classes: Mapping[str, str]) -> None:
    await store.cache_set(CLASSES.format(channel=channel), json.dumps({key.casefold(): name for key, name in classes.items()}),
                          KEEP_SECONDS)


async def directory_class(store: Store, channel: str, directory_id: str) -> str:
    """The class of a team whose group id is `directory_id`, or '' when the directory has none."""
    if not directory_id:
        return ""
    raw = await store.cache_get(CLASSES.format(channel=channel))
    return str(json.loads(raw).get(directory_id.casefold(), "")) if raw else ""


async def link_class_teams(store: Store, clock: Clock, channel: str, classes: Mapping[str, str]) -> list[Group]:
    """Keep the directory's classes and give each class team of `channel` its class; audited."""
    await keep_classes(store, channel, classes)
    linked = []
    for group in await store.list_groups():
        class_name = await directory_class(store, channel, group.directory_id) if group.key.channel == channel else ""
        if class_name and class_name != group.class_name:
            linked.append(replace(group, class_name=class_name))
            await store.save_group(linked[-1])
            await record_decision(store, clock, action="group.class_linked", actor="directory", group=str(group.key),
                                  clause=ROSTER_CLAUSE, outcome=class_name)
    return linked
