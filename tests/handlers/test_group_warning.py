"""Supervision without alarm: the person who added the bot hears first, privately; the group is
warned only after the grace period, a few times a day at most, never in quiet hours, and told
it was fixed only if it had been warned. The leads' alert never waits."""

from __future__ import annotations

from dataclasses import replace
from datetime import timedelta

from handlers.dispatch import Dispatcher
from handlers.duties import Deps
from handlers.events import GroupJoined, MembersChanged
from handlers.policies import SupervisionPolicy
from handlers.routes import policy_routes
from state.due import Queue
from state.models import PersonRef
from tests.conftest import START
from tests.fakes.recording_messenger import RecordingMessenger
from tests.handlers.conftest import CLASS, drain, join, keys_to, members, ref


def warnings(messenger: RecordingMessenger) -> int:
    return sum(1 for group, message in messenger.to_groups if group == CLASS and message.key == "supervision.group_warning")


async def added_by(deps: Deps, adder: PersonRef, *user_ids: str) -> None:
    dispatcher = Dispatcher(policy_routes(), deps)
    await dispatcher.dispatch(GroupJoined(event_id="j", at=START, group=CLASS, name="Class 5A", address={"serviceUrl": "x"}, by=adder))
    await dispatcher.dispatch(MembersChanged(event_id="m", at=START, group=CLASS, added=members(*user_ids), complete=True))
    await drain(deps)


async def test_the_teacher_who_added_the_bot_is_told_who_to_add_and_how(school: Deps, messenger: RecordingMessenger) -> None:
    await added_by(school, ref("t1"), "s1", "s2", "t1")
    ((_, note),) = [(p, m) for p, m in messenger.to_people if p == ref("t1") and m.key == "supervision.note_to_adder"]
    said = school.catalog.say(note.key, "en", **note.fields)
    assert "Adam Admin" in said  # the admin of class 5A, by name
    assert "Add people" in said  # how, on Teams
    assert "10 min" in said  # before the group is told
    assert keys_to(messenger, ref("lead")) == ["supervision.alert_unsupervised"]  # at once, not after the grace
    assert warnings(messenger) == 0


async def test_a_student_who_added_the_bot_gets_no_note(school: Deps, messenger: RecordingMessenger) -> None:
    await added_by(school, ref("s1"), "s1", "s2", "t1")
    assert "supervision.note_to_adder" not in keys_to(messenger, ref("s1"))


async def test_the_group_hears_only_after_the_grace_period(school: Deps, messenger: RecordingMessenger) -> None:
    await join(school, "s1", "s2", "t1")
    school.clock.advance(school.supervision.grace_seconds - 1)  # type: ignore[attr-defined]
    await drain(school)
    assert warnings(messenger) == 0
    school.clock.advance(1)  # type: ignore[attr-defined]
    await drain(school)
    assert warnings(messenger) == 1


async def test_at_most_the_daily_cap_and_never_in_quiet_hours(school: Deps, messenger: RecordingMessenger) -> None:
    """Hourly re-checks around the clock (UK school, 09:00 start): 3 warnings on the first day,
    none between 21:00 and 07:00, then again on the next day."""
    deps = replace(school, supervision=replace(SupervisionPolicy(), recheck_seconds=3600, warning_interval_seconds=3600))
    await join(deps, "s1", "s2", "t1")
    posted_at = []
    for _ in range(39):  # to midnight at the end of the second day
        deps.clock.advance(3600)  # type: ignore[attr-defined]
        before = warnings(messenger)
        await drain(deps)
        if warnings(messenger) > before:
            posted_at.append(deps.clock.now())
    first_day = [at for at in posted_at if at < START + timedelta(hours=15)]  # 09:00 to midnight
    assert len(first_day) == 3
    assert all(7 <= at.hour < 21 for at in posted_at)  # London is UTC in November
    assert len(posted_at) == 6  # three on each of two days


async def test_a_grace_period_ending_in_quiet_hours_is_warned_in_the_morning(school: Deps, messenger: RecordingMessenger) -> None:
    """Found at 20:55: the grace period ends at 21:05, in quiet hours. The re-check is armed for
    a time to come (re-armed for now, it ran again and again, and a worker that finishes an
    occurrence it has already done dropped it), and the group hears at 07:00, not later."""
    school.clock.advance(11 * 3600 + 55 * 60)  # type: ignore[attr-defined]  # 20:55 in London (UTC in November)
    await join(school, "s1", "s2", "t1")
    school.clock.advance(school.supervision.grace_seconds)  # type: ignore[attr-defined]
    await drain(school)
    recheck = await school.store.get_due(Queue.TIMERS, f"{CLASS}|recheck")
    assert recheck is not None
    assert recheck.due_at > school.clock.now()
    assert warnings(messenger) == 0
    school.clock.advance(9 * 3600 + 55 * 60 - 1)  # type: ignore[attr-defined]  # 06:59:59
    await drain(school)
    assert warnings(messenger) == 0
    school.clock.advance(1)  # type: ignore[attr-defined]
    await drain(school)
    assert warnings(messenger) == 1


async def test_a_group_never_warned_is_not_told_it_was_fixed(school: Deps, messenger: RecordingMessenger) -> None:
    await join(school, "s1", "s2", "t1")
    await join(school, "s1", "s2", "t1", "a1")  # fixed within the grace period
    assert [m.key for g, m in messenger.to_groups if g == CLASS] == ["welcome.summary"]
    assert keys_to(messenger, ref("lead"))[-1] == "supervision.alert_resolved"
