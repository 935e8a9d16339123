"""Reminders on each group's schedule, with the real Store backends and a fast clock: the school
default on joining, rotation, quiet hours, term dates, catch-up after downtime inside and outside
the grace window, a changed schedule retiring the old one, and two instances posting once."""

from __future__ import annotations

import asyncio
from dataclasses import replace
from datetime import date, datetime, timedelta

from handlers.duties import Deps
from handlers.reminders import TOPICS, set_schedule
from handlers.routes import due_work
from handlers.runtime.worker import DueWorker
from state.due import Queue
from state.records import SchoolDays
from tests.conftest import START, StoreFactory
from tests.fakes.recording_messenger import RecordingMessenger
from tests.handlers.conftest import CLASS, drain, join

MONDAY_9 = START + timedelta(days=7)  # START is Monday 23 Nov 2026 09:00 London (GMT): the next default reminder


def posted(messenger: RecordingMessenger) -> list[str]:
    return [m.key for g, m in messenger.to_groups if g == CLASS and m.key.startswith("reminder.")]


async def actions(deps: Deps) -> list[str]:
    return [entry.record.action for entry in await deps.store.read_audit()]


async def at(deps: Deps, when: datetime) -> None:
    deps.clock.advance((when - deps.clock.now()).total_seconds())  # type: ignore[attr-defined]
    await drain(deps)


async def test_a_joined_group_gets_the_school_default_and_a_rotating_topic(school: Deps, messenger: RecordingMessenger) -> None:
    await join(school, "s1", "t1", "a1")
    schedule = await school.store.get_schedule(CLASS)
    assert schedule is not None
    assert (schedule.cron, schedule.timezone, schedule.enabled) == ("0 9 * * MON", "Europe/London", True)
    assert posted(messenger) == []
    for week in range(3):
        await at(school, MONDAY_9 + timedelta(days=7 * week))
    assert posted(messenger) == list(TOPICS[:3]), "one a week, each different from the last"
    assert (await actions(school)).count("reminder.posted") == 3


async def test_a_reminder_in_quiet_hours_is_skipped_and_never_posted_later(school: Deps, messenger: RecordingMessenger) -> None:
    await join(school, "s1", "t1", "a1")
    await set_schedule(school.store, school.clock, CLASS, "30 22 * * *", "Europe/London", actor="test")
    await at(school, START.replace(hour=22, minute=30))
    await at(school, START + timedelta(days=1, hours=3))
    assert posted(messenger) == []
    assert (await actions(school)).count("reminder.skipped_quiet_hours") == 1


async def test_holidays_from_the_calendar_are_skipped(school: Deps, messenger: RecordingMessenger) -> None:
    await join(school, "s1", "t1", "a1")
    await school.store.save_calendar([SchoolDays(kind="term", first=date(2026, 9, 1), last=date(2026, 12, 18)),
                                      SchoolDays(kind="holiday", first=date(2026, 11, 30), last=date(2026, 11, 30))])
    await at(school, MONDAY_9)
    await at(school, MONDAY_9 + timedelta(days=7))
    assert posted(messenger) == [TOPICS[0]]
    assert "reminder.skipped_holiday" in await actions(school)


async def test_after_downtime_within_the_grace_one_is_posted_late(school: Deps, messenger: RecordingMessenger) -> None:
    await join(school, "s1", "t1", "a1")
    await at(school, MONDAY_9 + timedelta(minutes=50))  # down from 08:55 to 09:50; grace 60 min
    assert posted(messenger) == [TOPICS[0]]


async def test_after_long_downtime_old_reminders_are_skipped_never_a_burst(school: Deps, messenger: RecordingMessenger) -> None:
    await join(school, "s1", "t1", "a1")
    await at(school, MONDAY_9 + timedelta(days=21, hours=5))  # three weeks down
    assert posted(messenger) == []
    assert (await actions(school)).count("reminder.missed") == 1
    assert await school.store.list_parked(Queue.TIMERS) == [], "skipped, not failed"
    await at(school, MONDAY_9 + timedelta(days=28))
    assert posted(messenger) == [TOPICS[0]], "the schedule carries on from now"


async def test_a_changed_schedule_retires_the_old_one(school: Deps, messenger: RecordingMessenger) -> None:
    await join(school, "s1", "t1", "a1")
    await set_schedule(school.store, school.clock, CLASS, "0 10 * * TUE", "Europe/London", actor="test")
    await at(school, START + timedelta(days=1, hours=1))  # Tuesday 10:00
    assert posted(messenger) == [TOPICS[0]]
    await at(school, MONDAY_9)  # the old Monday 09:00 chain was retired
    assert posted(messenger) == [TOPICS[0]]
    await set_schedule(school.store, school.clock, CLASS, "0 10 * * TUE", "Europe/London", actor="test", enabled=False)
    await at(school, MONDAY_9 + timedelta(days=1, hours=1))
    assert posted(messenger) == [TOPICS[0]], "turned off: nothing more"
    assert (await actions(school))[-1] != "reminder.posted"


async def test_two_instances_on_one_store_post_each_reminder_once(store_factory: StoreFactory, school: Deps,
                                                                  messenger: RecordingMessenger) -> None:
    await join(school, "s1", "t1", "a1")
    other_store = await store_factory.open()
    other = replace(school, store=other_store)
    try:
        school.clock.advance((MONDAY_9 - school.clock.now()).total_seconds())  # type: ignore[attr-defined]
        timers = [DueWorker(deps.store, Queue.TIMERS, due_work(deps)[Queue.TIMERS]) for deps in (school, other)]
        for _ in range(3):  # both instances claim side by side, again and again
            await asyncio.gather(*(worker.run_once() for worker in timers))
        await drain(school)
        assert posted(messenger) == [TOPICS[0]]
        assert (await actions(school)).count("reminder.posted") == 1
    finally:
        await other_store.close()


async def test_a_restart_loses_no_reminder(store_factory: StoreFactory, school: Deps, messenger: RecordingMessenger) -> None:
    """The pending reminder lives in the Store: a new process (a new Store connection, the Redis
    server itself restarted) finds it and posts it once, late but within the grace."""
    await join(school, "s1", "t1", "a1")
    await school.store.close()
    store_factory.restart_server()
    reopened = replace(school, store=await store_factory.open())
    try:
        await at(reopened, MONDAY_9 + timedelta(minutes=20))
        assert posted(messenger) == [TOPICS[0]]
    finally:
        await reopened.store.close()
