"""Naming groups on the CLI and in staff commands, and knowing which class a group is.

A group is written `channel:conversation_id` (what `groups list` prints); a bare conversation
id is accepted when it matches exactly one group, because staff copy ids from the platform.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Sequence

from state.models import Group, GroupKey, Member, Person, Role
from state.store import Store


class GroupNotFound(LookupError):
    pass


async def resolve_group(store: Store, name: str) -> Group:
    """Find the group `name` refers to, or explain why not."""
    name = name.strip()
    try:
        key = GroupKey.parse(name)
    except ValueError:
        matches = [group for group in await store.list_groups() if group.key.conversation_id == name]
    else:
        found = await store.get_group(key)
        matches = [found] if found else []
    if len(matches) == 1:
        return matches[0]
    if not matches:
        raise GroupNotFound(f"no group {name!r}: see `esafety-bot groups list`")
    choices = ", ".join(str(group.key) for group in matches)
    raise GroupNotFound(f"{name!r} matches several groups ({choices}): write it as channel:conversation_id")


def infer_class(members: Sequence[Member], people: Sequence[Person]) -> str:
    """The class most of the group's students share, or '' when no student is known."""
    students = {p.user_id: p for p in people if p.role is Role.STUDENT}
    counts = Counter(cls for m in members if m.user_id in students for cls in students[m.user_id].classes)
    if not counts:
        return ""
    best = max(counts.values())
    return sorted(cls for cls, count in counts.items() if count == best)[0]
