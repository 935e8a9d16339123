"""Group names on the CLI, and a group's class inferred from its students."""

from __future__ import annotations

import pytest

from handlers.groups import GroupNotFound, infer_class, resolve_group
from state.models import Group, GroupKey, Member, Person, Role
from state.store import Store
from tests.conftest import START


def person(user_id: str, role: Role, *classes: str) -> Person:
    return Person(channel="teams", user_id=user_id, name=user_id, role=role, classes=classes)


async def test_resolves_full_and_bare_ids(store: Store) -> None:
    """`channel:id` always works; a bare id works when it names exactly one group."""
    for key in (GroupKey("teams", "19:a"), GroupKey("wecom", "19:a"), GroupKey("wecom", "wrO1")):
        await store.register_group(Group(key=key, name=str(key), joined_at=START))
    assert (await resolve_group(store, "wecom:19:a")).key == GroupKey("wecom", "19:a")
    assert (await resolve_group(store, "wrO1")).key == GroupKey("wecom", "wrO1")
    with pytest.raises(GroupNotFound, match="several"):
        await resolve_group(store, "19:a")
    with pytest.raises(GroupNotFound, match="no group"):
        await resolve_group(store, "teams:missing")


def test_class_is_the_one_most_students_share() -> None:
    """Teachers' classes do not count; ties go to the first class alphabetically."""
    people = [person("s1", Role.STUDENT, "5A"), person("s2", Role.STUDENT, "5A", "5B"), person("t", Role.TEACHER, "9Z", "9Z")]
    members = [Member(user_id=u) for u in ("s1", "s2", "t", "stranger")]
    assert infer_class(members, people) == "5A"
    assert infer_class([Member(user_id="t")], people) == ""
