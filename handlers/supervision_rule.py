"""Is a class group supervised? The rule at the core of both policies, as a pure function.

`admin_team` (seed 000 §5, the default): a group that includes a student needs a member of the
admin team (admin, head, dsl or deputy_dsl). `two_adults` (seed 004 strategy 18): it needs at
least two staff members. Under either rule one member of staff alone with one student is the
one-to-one situation both policies forbid, and the alert says so. Anyone the roster does not
know, or the platform marks as a guest, is a guest (004 objective 12).
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass

from state.models import STAFF_ROLES, Member, Person, Role

ADMIN_TEAM = frozenset({Role.ADMIN, Role.HEAD, Role.DSL, Role.DEPUTY_DSL})
RULES = ("admin_team", "two_adults")
NEEDED = {"admin_team": "supervision.role_admin_team", "two_adults": "supervision.role_second_adult"}
"""What each rule needs in a group with students, as staff read it (policy_text)."""


@dataclass(frozen=True)
class Assessment:
    supervised: bool
    missing_key: str  # policy_text key describing what is missing ("" when supervised)
    one_to_one: bool
    students: tuple[Person, ...]
    staff: tuple[Person, ...]
    guests: tuple[Member, ...]

    @property
    def consent_gaps(self) -> tuple[Person, ...]:
        """Students without recorded parental consent (000 §5.1–5.2, §5.10; 004 objective 13)."""
        return tuple(student for student in self.students if not student.has_consent)


def assess(members: Sequence[Member], roster: Mapping[str, Person], rule: str) -> Assessment:
    people = [roster.get(member.user_id) for member in members]
    students = tuple(p for p, m in zip(people, members, strict=True) if p and p.role is Role.STUDENT and not m.platform_guest)
    staff = tuple(p for p, m in zip(people, members, strict=True) if p and p.role in STAFF_ROLES and not m.platform_guest)
    guests = tuple(m for p, m in zip(people, members, strict=True) if p is None or p.role is Role.UNKNOWN or m.platform_guest)
    supervised = (len(staff) >= 2 if rule == "two_adults" else any(p.role in ADMIN_TEAM for p in staff)) or not students
    missing = "" if supervised else NEEDED.get(rule, NEEDED["admin_team"])
    return Assessment(supervised, missing, len(staff) == 1 and len(students) == 1, students, staff, guests)
