"""A Teams school's roster as Microsoft 365 holds it (issue 21): Graph's education classes with
their students and teachers, the education users, and the staff roles the Entra groups of
ESAFETY_ROLE_GROUPS give. Each person's id is their Entra object id, as Teams sends it, so the
roster matches the people in every chat with no CSV. Parents and consent are not in the
directory: they stay as the school's file set them (handlers/directory_sync.py).
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field

from bots.role_groups import STAFF_ROLES
from bots.teams.graph import DirectoryUser, GraphClient
from bots.teams.ids import spell_user_id
from state.models import Person, Role

CHANNEL = "teams"


@dataclass
class _Found:
    user: DirectoryUser
    learns: set[str] = field(default_factory=set)  # class names
    teaches: set[str] = field(default_factory=set)


@dataclass(frozen=True)
class DirectoryRead:
    people: tuple[Person, ...]
    classes: Mapping[str, str]  # class id (its class team's group id) → class name


async def read_directory(client: GraphClient, role_groups: Mapping[Role, tuple[str, ...]]) -> DirectoryRead:
    """Everyone the directory gives a role: a staff role from a role group (the strongest when
    in several), else teacher or student from the education API and the classes."""
    found: dict[str, _Found] = {}

    def note(user: DirectoryUser) -> _Found:
        entry = found.setdefault(spell_user_id(user.id), _Found(user))
        if user.primary_role and not entry.user.primary_role:
            entry.user = user
        return entry

    classes = {each.id: each.name for each in await client.classes()}
    for class_id, class_name in classes.items():
        teachers = await client.class_teachers(class_id)
        teacher_ids = {spell_user_id(user.id) for user in teachers}
        for user in await client.class_members(class_id):
            entry = note(user)
            teaching = spell_user_id(user.id) in teacher_ids or user.primary_role == "teacher"
            (entry.teaches if teaching else entry.learns).add(class_name)
        for user in teachers:
            note(user).teaches.add(class_name)
    for user in await client.users():
        note(user)
    staff: dict[str, Role] = {}
    for staff_role in STAFF_ROLES:
        for group_id in role_groups.get(staff_role, ()):
            for user in await client.group_members(group_id):
                note(user)
                staff.setdefault(spell_user_id(user.id), staff_role)
    people = []
    for user_id, entry in found.items():
        role = staff.get(user_id) or _education_role(entry)
        if role is None:
            continue
        people.append(Person(channel=CHANNEL, user_id=user_id, name=entry.user.name, role=role,
                             classes=tuple(sorted(entry.learns if role is Role.STUDENT else entry.teaches)), from_directory=True))
    return DirectoryRead(tuple(sorted(people, key=lambda person: person.user_id)), classes)


def _education_role(entry: _Found) -> Role | None:
    if entry.user.primary_role == "teacher" or entry.teaches:
        return Role.TEACHER
    if entry.user.primary_role == "student" or entry.learns:
        return Role.STUDENT
    return None
