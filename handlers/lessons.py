"""Live lessons: consent first, the recording notice through the lesson, and a register at the end.

000 §5.1–5.2, §5.10 and 004 objective 13, strategy 20: a student without recorded parental
consent must not be on camera, so `lesson start` first names any such student to the teacher,
privately, and the recording is announced only after `lesson start confirm` (that decision is
audited). 000 §5.5 and 004 objective 11, strategy 19: every live session is recorded and
students are reminded, so the notice is posted at the start and repeated every
`ESAFETY_LESSON_NOTICE_SECONDS` (a Store timer) until `lesson end`. 000 §5.6: teachers record
attendance, so the teacher then gets the register privately; it is stored, audited, exported.
"""

from __future__ import annotations

import uuid
from dataclasses import replace
from datetime import timedelta
from typing import Any

from handlers.audit import record_decision
from handlers.duties import Deps
from handlers.messenger import TOGGLE_PREFIX, Button, Message
from handlers.outbox import send_durably
from state.due import DueItem, Queue
from state.models import Group, GroupKey, Person, Role
from state.records import Lesson

NOTICE = "lesson.notice"
CLAUSE = "000 §5.5; 000 §5.6; 004 strategy 19"
CONSENT_CLAUSE = "000 §5.1–5.2; 000 §5.10; 004 objective 13; 004 strategy 20"


async def start_lesson(deps: Deps, person: Person, group: Group, *, confirmed: bool, event_id: str) -> None:
    running = Message(key="lesson.already_running", fields={"group": group.name})
    if await deps.store.active_lesson(group.key) is not None:
        await send_durably(deps, person.ref, running, key=f"reply:{event_id}")
        return
    gaps = await _without_consent(deps, group)
    if gaps and not confirmed:
        names = ", ".join(sorted(p.name for p in gaps))
        await send_durably(deps, person.ref, Message(key="lesson.consent_gap", fields={"students": names}), key=f"reply:{event_id}")
        await _audit(deps, person, group.key, event_id, "lesson.consent_gap", clause=CONSENT_CLAUSE, outcome="waiting for confirmation",
                     detail={"students": str(len(gaps))})
        return
    lesson = Lesson(lesson_id=uuid.uuid4().hex[:12], group=group.key, started_by=person.ref, started_at=deps.clock.now(),
                    consent_confirmed_by=str(person.ref) if gaps else None)
    if not await deps.store.start_lesson(lesson):
        await send_durably(deps, person.ref, running, key=f"reply:{event_id}")
        return
    if gaps:
        await _audit(deps, person, group.key, event_id, "lesson.consent_confirmed", clause=CONSENT_CLAUSE,
                     outcome="students without consent kept off camera", detail={"students": str(len(gaps)), "lesson": lesson.lesson_id})
    await _audit(deps, person, group.key, event_id, "lesson.started", clause=CLAUSE, outcome=lesson.lesson_id)
    await _post_notice(deps, lesson, 0)
    minutes = deps.reminders.lesson_notice_seconds // 60
    await send_durably(deps, person.ref, Message(key="lesson.started", fields={"group": group.name, "minutes": minutes}),
                       key=f"reply:{event_id}")


async def repeat_notice(item: DueItem, deps: Deps) -> None:
    """The timer fired: if the lesson is still running, say again that it is recorded."""
    lesson = await deps.store.active_lesson(GroupKey.parse(item.payload["group"]))
    if lesson is None or lesson.lesson_id != item.payload["lesson"]:
        return
    await _post_notice(deps, lesson, int(item.payload["n"]))


async def end_lesson(deps: Deps, person: Person, group: Group, *, event_id: str) -> None:
    lesson = await deps.store.active_lesson(group.key)
    if lesson is None:
        await send_durably(deps, person.ref, Message(key="lesson.not_active", fields={"group": group.name}), key=f"reply:{event_id}")
        return
    students = sorted(await _students(deps, group), key=lambda p: p.name)
    ended = replace(lesson, ended_at=deps.clock.now(), roll=tuple(p.user_id for p in students))
    await deps.store.save_lesson(ended)  # the pending notice timer finds the lesson over and stops
    await _audit(deps, person, group.key, event_id, "lesson.ended", clause=CLAUSE, outcome=lesson.lesson_id)
    await send_durably(deps, person.ref, Message(key="lesson.ended", fields={"group": group.name}), key=f"reply:{event_id}")
    day = deps.school_time(lesson.started_at).date().isoformat()
    register = Message(key="lesson.register_title", fields={"group": group.name, "date": day},
                       toggles=tuple((p.user_id, p.name) for p in students),
                       buttons=(Button(label_key="lesson.register_submit", verb="register", data={"lesson": lesson.lesson_id}),))
    await send_durably(deps, person.ref, register, key=f"{lesson.lesson_id}|register")


async def submit_register(deps: Deps, person: Person, lesson: Lesson, present: set[str], *, event_id: str) -> None:
    """Store who attended (a register can be corrected by submitting it again); audited."""
    marked = tuple(user_id for user_id in lesson.roll if user_id in present)
    await deps.store.save_lesson(replace(lesson, present=marked, register_by=str(person.ref), register_at=deps.clock.now()))
    await _audit(deps, person, lesson.group, event_id, "lesson.register_saved", clause="000 §5.6", outcome=lesson.lesson_id,
                 detail={"present": str(len(marked)), "total": str(len(lesson.roll))})
    await send_durably(deps, person.ref, Message(key="lesson.register_saved", fields={"present": len(marked), "total": len(lesson.roll)}),
                       key=f"reply:{event_id}")


def present_from_toggles(data: dict[str, object]) -> set[str]:
    return {key.removeprefix(TOGGLE_PREFIX) for key, value in data.items() if key.startswith(TOGGLE_PREFIX) and str(value) == "true"}


def present_from_numbers(lesson: Lesson, numbers: str) -> set[str]:
    """`register 1 3 4` (the numbers the register listed): a channel without toggles (WeCom)."""
    picked = {int(word) for word in numbers.replace(",", " ").split() if word.isdigit()}
    if not picked or any(n < 1 or n > len(lesson.roll) for n in picked):
        raise ValueError(f"use the numbers 1–{len(lesson.roll)} from the register")
    return {lesson.roll[n - 1] for n in picked}


async def _audit(deps: Deps, person: Person, group: GroupKey, event_id: str, action: str, **details: Any) -> None:
    """Audited once per event and decision, however often the event is retried."""
    await record_decision(deps.store, deps.clock, key=f"{event_id}|{action}", action=action, actor=str(person.ref),
                          actor_role=person.role.value, group=str(group), **details)


async def _post_notice(deps: Deps, lesson: Lesson, n: int) -> None:
    notice = Message(key="lesson.recording_notice", fields={"retention_days": deps.supervision.recording_retention_days})
    await send_durably(deps, lesson.group, notice, key=f"{lesson.lesson_id}|notice|{n}")
    due = lesson.started_at + timedelta(seconds=deps.reminders.lesson_notice_seconds * (n + 1))
    await deps.store.schedule_due(DueItem(queue=Queue.TIMERS, item_id=f"{lesson.group}|lesson|{lesson.lesson_id}|notice|{n + 1}",
                                          kind=NOTICE, due_at=due, payload={"group": str(lesson.group), "lesson": lesson.lesson_id,
                                                                            "n": n + 1}))


async def _students(deps: Deps, group: Group) -> list[Person]:
    people = {p.user_id: p for p in await deps.store.list_people(group.key.channel)}
    return [people[m.user_id] for m in await deps.store.group_members(group.key) if m.user_id in people
            and people[m.user_id].role is Role.STUDENT]


async def _without_consent(deps: Deps, group: Group) -> list[Person]:
    return [p for p in await _students(deps, group) if not p.has_consent]
