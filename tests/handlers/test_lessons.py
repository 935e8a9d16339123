"""Lessons with the real Store backends: the consent gate and its audited confirmation, the
recording notice repeated until the end, the register (card toggles or typed numbers), role checks."""

from __future__ import annotations

from dataclasses import replace

from handlers.card_actions import on_card_action
from handlers.direct_messages import on_direct_message
from handlers.duties import Deps
from handlers.events import CardAction, DirectMessage, GroupMessage
from handlers.group_messages import on_group_message
from tests.conftest import START
from tests.fakes.recording_messenger import RecordingMessenger
from tests.handlers.conftest import CLASS, SCHOOL, drain, join, keys_to, ref


async def say(deps: Deps, who: str, text: str, n: int) -> None:
    await on_group_message(GroupMessage(event_id=f"g{n}", at=START, group=CLASS, sender=ref(who), text=text), deps)
    await drain(deps)


def notices(messenger: RecordingMessenger) -> int:
    return sum(1 for g, m in messenger.to_groups if g == CLASS and m.key == "lesson.recording_notice")


async def actions(deps: Deps) -> list[str]:
    return [e.record.action for e in await deps.store.read_audit()]


async def test_a_consent_gap_holds_the_recording_until_the_teacher_confirms(school: Deps, messenger: RecordingMessenger) -> None:
    await join(school, "s1", "s2", "t1", "a1")
    await say(school, "t1", "lesson start", 1)
    gap = [m for p, m in messenger.to_people if p == ref("t1") and m.key == "lesson.consent_gap"]
    assert gap[-1].fields == {"students": "Ben Pupil"}, "named to the teacher, privately"
    assert notices(messenger) == 0
    assert await school.store.active_lesson(CLASS) is None
    await say(school, "t1", "lesson start confirm", 2)
    assert notices(messenger) == 1
    lesson = await school.store.active_lesson(CLASS)
    assert lesson is not None
    assert lesson.consent_confirmed_by == str(ref("t1"))
    assert {"lesson.consent_gap", "lesson.consent_confirmed", "lesson.started"} <= set(await actions(school))
    assert all("Ben" not in str(m.fields) for g, m in messenger.to_groups), "no child's name in the group"


async def test_the_notice_repeats_until_the_end_then_the_register(school: Deps, messenger: RecordingMessenger) -> None:
    await join(school, "s1", "t1", "a1")
    await say(school, "t1", "lesson start", 1)
    for _ in range(2):
        school.clock.advance(school.reminders.lesson_notice_seconds)  # type: ignore[attr-defined]
        await drain(school)
    assert notices(messenger) == 3
    await say(school, "t1", "lesson end", 2)
    school.clock.advance(school.reminders.lesson_notice_seconds * 3)  # type: ignore[attr-defined]
    await drain(school)
    assert notices(messenger) == 3, "no notice after the end"
    (register,) = [m for p, m in messenger.to_people if p == ref("t1") and m.key == "lesson.register_title"]
    assert register.toggles == (("s1", "Amira Pupil"),)
    assert register.buttons[0].verb == "register"
    await on_card_action(CardAction(event_id="c1", at=START, sender=ref("t1"), verb="register",
                                    data={**register.buttons[0].data, "toggle:s1": "true"}), school)
    await drain(school)
    (lesson,) = await school.store.list_lessons()
    assert lesson.present == ("s1",)
    assert lesson.register_by == str(ref("t1"))
    assert keys_to(messenger, ref("t1"))[-1] == "lesson.register_saved"
    assert "lesson.register_saved" in await actions(school)


async def test_a_register_typed_as_numbers(school: Deps, messenger: RecordingMessenger) -> None:
    await school.store.merge_roster([replace(p, consent=True) if p.user_id == "s2" else p for p in SCHOOL])
    await join(school, "s1", "s2", "t1", "a1")
    await say(school, "t1", "lesson start", 1)
    await say(school, "t1", "lesson end", 2)
    await on_direct_message(DirectMessage(event_id="d1", at=START, sender=ref("t1"), text="register 9"), school)
    await on_direct_message(DirectMessage(event_id="d2", at=START, sender=ref("t1"), text="点名 2"), school)
    await drain(school)
    (lesson,) = await school.store.list_lessons()
    assert lesson.roll == ("s1", "s2")
    assert lesson.present == ("s2",)
    assert keys_to(messenger, ref("t1"))[-2:] == ["lesson.register_reply_hint", "lesson.register_saved"]


async def test_students_cannot_start_or_end_a_lesson_and_are_audited(school: Deps, messenger: RecordingMessenger) -> None:
    await join(school, "s1", "t1", "a1")
    await say(school, "s1", "lesson start", 1)
    assert await school.store.active_lesson(CLASS) is None
    assert keys_to(messenger, ref("s1"))[-1] == "lesson.students_cannot_start"
    assert "lesson.start_refused" in await actions(school)
    assert notices(messenger) == 0
    await say(school, "t1", "lesson start", 2)
    await say(school, "s1", "lesson end", 3)
    assert await school.store.active_lesson(CLASS) is not None, "still running"
    assert "lesson.end_refused" in await actions(school)


async def test_a_lesson_from_a_1to1_naming_the_group(school: Deps, messenger: RecordingMessenger) -> None:
    await join(school, "s1", "t1", "a1")
    await on_direct_message(DirectMessage(event_id="d1", at=START, sender=ref("a1"), text=f"lesson {CLASS} start"), school)
    await drain(school)
    assert notices(messenger) == 1
    await on_direct_message(DirectMessage(event_id="d2", at=START, sender=ref("a1"), text=f"lesson {CLASS} start"), school)
    await drain(school)
    assert keys_to(messenger, ref("a1"))[-1] == "lesson.already_running"


async def test_only_staff_can_submit_a_register(school: Deps, messenger: RecordingMessenger) -> None:
    await join(school, "s1", "t1", "a1")
    await say(school, "t1", "lesson start", 1)
    await say(school, "t1", "lesson end", 2)
    (lesson,) = await school.store.list_lessons()
    await on_card_action(CardAction(event_id="c1", at=START, sender=ref("s1"), verb="register",
                                    data={"lesson": lesson.lesson_id, "toggle:s1": "true"}), school)
    await drain(school)
    (unchanged,) = await school.store.list_lessons()
    assert unchanged.present is None
    assert "lesson.register_refused" in await actions(school)
