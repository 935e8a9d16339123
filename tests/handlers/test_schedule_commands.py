"""`schedule` by staff in the group or in a 1:1 naming the group; anyone else refused and audited."""

from __future__ import annotations

from handlers.direct_messages import on_direct_message
from handlers.duties import Deps
from handlers.events import DirectMessage, GroupMessage
from handlers.group_messages import on_group_message
from state.due import Queue
from tests.conftest import START
from tests.fakes.recording_messenger import RecordingMessenger
from tests.handlers.conftest import CLASS, drain, join, keys_to, ref


async def in_group(deps: Deps, who: str, text: str, n: int = 1) -> None:
    await on_group_message(GroupMessage(event_id=f"g{n}", at=START, group=CLASS, sender=ref(who), text=text), deps)
    await drain(deps)


async def privately(deps: Deps, who: str, text: str, n: int = 1) -> None:
    await on_direct_message(DirectMessage(event_id=f"d{n}", at=START, sender=ref(who), text=text), deps)
    await drain(deps)


def group_replies(messenger: RecordingMessenger) -> list[tuple[str, dict[str, object]]]:
    return [(m.key, m.fields) for g, m in messenger.to_groups if g == CLASS and m.key.startswith("schedule.")]


async def test_staff_set_show_and_turn_off_in_the_group(school: Deps, messenger: RecordingMessenger) -> None:
    await join(school, "s1", "t1", "a1")
    await in_group(school, "t1", 'schedule set "0 9 * * MON,THU"')
    schedule = await school.store.get_schedule(CLASS)
    assert schedule is not None
    assert (schedule.cron, schedule.timezone, schedule.enabled) == ("0 9 * * MON,THU", "Europe/London", True)
    await in_group(school, "t1", "schedule", 2)
    await in_group(school, "t1", "schedule off", 3)
    replies = group_replies(messenger)
    assert [key for key, _ in replies] == ["schedule.set", "schedule.show", "schedule.off"]
    assert replies[1][1]["state"] == "reminders on"
    schedule = await school.store.get_schedule(CLASS)
    assert schedule is not None
    assert not schedule.enabled


async def test_staff_set_a_zone_in_a_1to1_naming_the_group(school: Deps, messenger: RecordingMessenger) -> None:
    await join(school, "s1", "t1", "a1")
    await privately(school, "a1", f'schedule {CLASS} set "0 8 * * TUE" Asia/Shanghai')
    schedule = await school.store.get_schedule(CLASS)
    assert schedule is not None
    assert (schedule.cron, schedule.timezone) == ("0 8 * * TUE", "Asia/Shanghai")
    assert keys_to(messenger, ref("a1"))[-1] == "schedule.set"
    timers = [claim.item for claim in await school.store.claim_due(Queue.TIMERS, limit=50, lease_seconds=1)]
    assert timers == [], "nothing due yet: the next reminder is armed for Tuesday"


async def test_a_bad_schedule_is_explained_and_nothing_changes(school: Deps, messenger: RecordingMessenger) -> None:
    await join(school, "s1", "t1", "a1")
    before = await school.store.get_schedule(CLASS)
    await in_group(school, "t1", 'schedule set "every monday"')
    await privately(school, "t1", "schedule", 2)
    await privately(school, "t1", f'schedule {CLASS} set "0 9 * * MON" Mars/Base', 3)
    assert await school.store.get_schedule(CLASS) == before
    assert group_replies(messenger)[-1] == ("schedule.bad_cron", {"cron": "every monday"})
    assert keys_to(messenger, ref("t1"))[-2:] == ["schedule.usage", "schedule.bad_zone"]


async def test_a_schedule_more_often_than_hourly_is_refused(school: Deps, messenger: RecordingMessenger) -> None:
    """A reminder every few minutes would drown the class chat."""
    await join(school, "s1", "t1", "a1")
    before = await school.store.get_schedule(CLASS)
    await in_group(school, "t1", 'schedule set "*/10 8-16 * * MON-FRI"')
    assert await school.store.get_schedule(CLASS) == before
    assert group_replies(messenger)[-1] == ("schedule.too_often", {"cron": "*/10 8-16 * * MON-FRI"})


async def test_a_student_is_refused_privately_and_audited(school: Deps, messenger: RecordingMessenger) -> None:
    await join(school, "s1", "t1", "a1")
    before = await school.store.get_schedule(CLASS)
    await in_group(school, "s1", "schedule off")
    assert await school.store.get_schedule(CLASS) == before
    assert keys_to(messenger, ref("s1"))[-1] == "supervision.staff_only"
    assert group_replies(messenger) == []
    refused = [e.record for e in await school.store.read_audit() if e.record.action == "staff_command.refused"]
    assert refused[-1].outcome == "schedule"
