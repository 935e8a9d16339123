"""The groups' supervision board: state and since when, guests, consent gaps, the last reminder
and the last lesson with its register; unsupervised first; filtered by class and by state."""

from __future__ import annotations

from dataclasses import replace
from datetime import timedelta

from handlers.audit import record_decision
from handlers.duties import Deps
from handlers.group_board import filtered, group_board
from handlers.group_delivery import CONFIRM_ASKED, CONFIRMED, note_delivery
from state.models import Group, GroupKey, Member, PersonRef, Supervision
from state.records import Lesson
from tests.handlers.conftest import SCHOOL

STUDENT_CONSENTED, STUDENT_NO_CONSENT, TEACHER, ADMIN = SCHOOL[0], SCHOOL[1], SCHOOL[3], SCHOOL[4]
CLASS_5A, CLASS_5B = GroupKey("teams", "19:5a"), GroupKey("teams", "19:5b")


async def two_groups(deps: Deps) -> None:
    now = deps.clock.now()
    await deps.store.register_group(Group(key=CLASS_5A, name="5A chat", joined_at=now, class_name="5A",
                                          supervision=Supervision.SUPERVISED, supervision_since=now))
    await deps.store.register_group(Group(key=CLASS_5B, name="5B chat", joined_at=now, class_name="5B",
                                          supervision=Supervision.UNSUPERVISED, supervision_since=now))
    await deps.store.set_group_members(CLASS_5A, [Member(user_id=p.user_id) for p in (STUDENT_CONSENTED, STUDENT_NO_CONSENT, ADMIN)]
                                       + [Member(user_id="stranger-1")])
    await deps.store.set_group_members(CLASS_5B, [Member(user_id=p.user_id) for p in (STUDENT_CONSENTED, TEACHER)])


async def test_each_group_with_its_counts_unsupervised_first(school: Deps) -> None:
    await two_groups(school)
    rows = await group_board(school.store, "admin_team")
    assert [(r.group.key, r.group.supervision, r.guests, r.consent_gaps) for r in rows] == [
        (CLASS_5B, Supervision.UNSUPERVISED, 0, 0), (CLASS_5A, Supervision.SUPERVISED, 1, 1)]
    assert all(r.last_reminder is None and r.last_lesson is None and r.register_taken is None for r in rows)


async def test_the_last_reminder_and_the_last_lesson_with_its_register(school: Deps) -> None:
    await two_groups(school)
    first = school.clock.now()
    later = first + timedelta(days=1)
    for hours in (0, 24):
        school.clock.advance(hours * 3600)  # type: ignore[attr-defined]
        await record_decision(school.store, school.clock, action="reminder.posted", actor="system", group=str(CLASS_5A), clause="000 §5.3")
    for lesson_id, started, present in (("l1", first, ("s1",)), ("l2", later, None)):
        lesson = Lesson(lesson_id=lesson_id, group=CLASS_5A, started_by=PersonRef("teams", TEACHER.user_id), started_at=started)
        assert await school.store.start_lesson(lesson)
        await school.store.save_lesson(replace(lesson, ended_at=started + timedelta(hours=1), present=present))
    row = next(r for r in await group_board(school.store, "admin_team") if r.group.key == CLASS_5A)
    assert row.last_reminder == later
    assert row.last_lesson is not None
    assert row.last_lesson.lesson_id == "l2"
    assert row.register_taken is False


async def test_filters_by_class_and_by_state(school: Deps) -> None:
    await two_groups(school)
    rows = await group_board(school.store, "admin_team")
    assert [r.group.key for r in filtered(rows, class_name="5A")] == [CLASS_5A]
    assert [r.group.key for r in filtered(rows, state="unsupervised")] == [CLASS_5B]
    assert filtered(rows, class_name="5A", state="unsupervised") == []
    assert len(filtered(rows)) == 2


async def test_a_group_reached_through_its_teacher_shows_what_became_of_its_last_reminder(school: Deps) -> None:
    """Only a group with a delivery mode carries a delivery note (handlers/group_delivery.py)."""
    await two_groups(school)
    group = await school.store.get_group(CLASS_5A)
    assert group is not None
    await school.store.save_group(replace(group, delivery="group-send"))
    await note_delivery(school.store, school.clock, CLASS_5A, CONFIRM_ASKED)
    await note_delivery(school.store, school.clock, CLASS_5B, CONFIRMED)
    rows = {row.group.key: row for row in await group_board(school.store, "admin_team")}
    note = rows[CLASS_5A].delivery
    assert note is not None
    assert (note.state, note.at) == (CONFIRM_ASKED, school.clock.now())
    assert rows[CLASS_5B].delivery is None
