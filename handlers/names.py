"""People and groups by name, never by id: a person reads "Lee Lead (safeguarding lead, 5A)",
not "teams:0f5a1c2e-…"; two groups both called "Class 5A" are told apart by channel and a short
id (the one `groups list` shows). Said in the reader's language (`words`), so a role is "学生"
to a Chinese-speaking lead (004 strategy 13: a record people can act on)."""

from __future__ import annotations

import hashlib
from collections.abc import Sequence
from typing import Any

from policy_text.catalog import words
from state.models import Group, GroupKey, Person


def person_words(person: Person | None, *, with_classes: bool = True) -> dict[str, Any]:
    """Name, role and classes; someone the roster does not list is said to be so."""
    if person is None:
        return words("name.unknown_person")
    name, role = person.name or words("name.no_name"), words(f"role.{person.role.value}")
    if person.classes and with_classes:
        return words("name.person_in_class", name=name, role=role, classes=", ".join(person.classes))
    return words("name.person", name=name, role=role)


def group_words(group: Group | None, others: Sequence[Group] = ()) -> dict[str, Any]:
    """The group's name with its class; with the channel and a short id too when another group
    in `others` has the same name."""
    if group is None:
        return words("name.unknown_group")
    twin = any(other.name == group.name and other.key != group.key for other in others)
    name = group.name or words("name.unnamed_group")
    if twin:
        channel = words(f"channel.{group.key.channel}")
        if group.class_name:
            return words("name.group_class_twin", name=name, class_name=group.class_name, channel=channel, short=short_id(group.key))
        return words("name.group_twin", name=name, channel=channel, short=short_id(group.key))
    if group.class_name and group.class_name not in group.name:
        return words("name.group_class", name=name, class_name=group.class_name)
    return words("name.group", name=name)


def class_of(group: Group | None, reporter: Person | None) -> str:
    """A case's class: its group's, else the reporter's classes from the roster ("" when neither says)."""
    return (group.class_name if group else "") or ", ".join(reporter.classes if reporter else ())


def short_id(key: GroupKey) -> str:
    """Four characters that tell groups apart in a message; `groups list` shows them too."""
    return hashlib.sha256(str(key).encode()).hexdigest()[:4]
