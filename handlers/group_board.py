"""The groups' supervision board: every class group with where it stands against the supervision
rule and since when, its guests and consent gaps, its last reminder (and, for a 班级群 reached
through its teacher or a 学校通知, what became of it) and its last lesson with the register
(000 §5, §5.1–5.2, §5.3, §5.5–5.6, §5.10; 004 objectives 10, 12, 13, strategies 15, 18).

What the console's groups page shows to the admin team and the safeguarding staff: counts and
states, never a report's words and never a child's name.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime

from handlers.audit import iter_audit
from handlers.group_delivery import DeliveryNote, last_delivery
from handlers.supervision_rule import assess
from state.models import Group, Supervision
from state.records import Lesson
from state.store import Store

STATES = tuple(state.value for state in Supervision)


@dataclass(frozen=True)
class GroupRow:
    group: Group
    guests: int
    consent_gaps: int
    last_reminder: datetime | None
    last_lesson: Lesson | None
    delivery: DeliveryNote | None = None  # for a group reached through a teacher's confirmation or a 学校通知

    @property
    def register_taken(self) -> bool | None:
        """Whether the last lesson's register was submitted; None with no lesson, or one still running."""
        if self.last_lesson is None or self.last_lesson.ended_at is None:
            return None
        return self.last_lesson.present is not None


async def group_board(store: Store, rule: str) -> list[GroupRow]:
    """Every group, unsupervised and unmonitored first, then by class and name."""
    reminded: dict[str, datetime] = {}
    async for entry in iter_audit(store):
        if entry.record.action == "reminder.posted":
            reminded[entry.record.group] = max(entry.record.at, reminded.get(entry.record.group, entry.record.at))
    lessons = await store.list_lessons()
    rows = []
    for group in await store.list_groups():
        roster = {person.user_id: person for person in await store.list_people(group.key.channel)}
        assessment = assess(await store.group_members(group.key), roster, rule)
        own = [lesson for lesson in lessons if lesson.group == group.key]
        rows.append(GroupRow(group, len(assessment.guests), len(assessment.consent_gaps), reminded.get(str(group.key)),
                             max(own, key=lambda lesson: lesson.started_at, default=None),
                             await last_delivery(store, group.key) if group.delivery else None))
    urgent = (Supervision.UNSUPERVISED, Supervision.UNMONITORED)
    return sorted(rows, key=lambda row: (row.group.supervision not in urgent, row.group.class_name, row.group.name))


def filtered(rows: Sequence[GroupRow], *, class_name: str = "", state: str = "") -> list[GroupRow]:
    """The rows of one class and/or one supervision state (either left empty: all)."""
    return [row for row in rows if (not class_name or row.group.class_name == class_name)
            and (not state or row.group.supervision.value == state)]
