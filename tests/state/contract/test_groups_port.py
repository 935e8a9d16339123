"""The GroupsPort contract (state/ports.py), run on each backend (ids `[sqlite]` and `[redis]`):
Class groups, their members, reminder schedules, calendars and lessons."""

from __future__ import annotations

import asyncio
import json
import sqlite3
from dataclasses import replace
from datetime import date, timedelta

import redis.asyncio as aioredis

from state import codec
from state.due import Queue
from state.effects import Effects
from state.models import Group, GroupKey, Member, PersonRef, Supervision
from state.ports import GroupsPort
from state.records import Lesson, Schedule, SchoolDays
from tests.conftest import START, StoreFactory
from tests.state.contract.samples import CLASS_5A, audit, due, group


class TestGroupsPort:
    async def test_register_is_idempotent(self, store: GroupsPort) -> None:
        """Joining twice (installationUpdate + conversationUpdate) registers the group once."""
        assert await store.register_group(group()) is True
        assert await store.register_group(group(name="renamed")) is False
        stored = await store.get_group(CLASS_5A)
        assert stored is not None
        assert stored.name == "5A maths"

    async def test_save_updates_and_list_orders_by_key(self, store: GroupsPort) -> None:
        """Supervision status and class are updated in place; groups list in id order."""
        other = GroupKey("teams", "19:aaa")
        await store.register_group(group())
        await store.register_group(group(other, "other"))
        changed = Group(**{**group().__dict__, "supervision": Supervision.UNSUPERVISED, "supervision_since": START, "class_name": "5A"})
        await store.save_group(changed)
        assert await store.get_group(CLASS_5A) == changed
        assert [g.key for g in await store.list_groups()] == [other, CLASS_5A]

    async def test_calendar_round_trip_and_replace(self, store: GroupsPort) -> None:
        """The school calendar is replaced whole; none imported reads as empty."""
        assert await store.get_calendar() == []
        autumn = SchoolDays(kind="term", first=date(2026, 9, 3), last=date(2026, 12, 18), summary="Autumn term")
        half_term = SchoolDays(kind="holiday", first=date(2026, 10, 26), last=date(2026, 10, 30), summary="Half term")
        await store.save_calendar([autumn, half_term])
        assert await store.get_calendar() == [autumn, half_term]
        await store.save_calendar([autumn])
        assert await store.get_calendar() == [autumn]

    async def test_replace_is_a_compare_and_set(self, store: GroupsPort) -> None:
        """A check that decided on a stale copy loses to the removal that happened meanwhile."""
        await store.register_group(group())
        seen = await store.get_group(CLASS_5A)
        assert seen is not None
        removed = Group(**{**seen.__dict__, "supervision": Supervision.UNMONITORED})
        assert await store.replace_group(seen, removed) is True
        stale = Group(**{**seen.__dict__, "supervision": Supervision.UNSUPERVISED})
        assert await store.replace_group(seen, stale) is False
        assert await store.get_group(CLASS_5A) == removed
        assert await store.replace_group(group(GroupKey("teams", "19:none")), stale) is False

    async def test_a_compare_and_set_carries_its_effects_or_none(self, store_factory: StoreFactory) -> None:
        """Two checks racing on one group: one compare-and-set wins and writes its alert, timer and
        audit row; the loser writes nothing at all."""
        first, second = await store_factory.open(), await store_factory.open()
        await first.register_group(group())
        seen = await first.get_group(CLASS_5A)
        assert seen is not None
        verdicts = [Group(**{**seen.__dict__, "supervision": Supervision.UNSUPERVISED, "supervision_since": START + timedelta(seconds=n)})
                    for n in (1, 2)]
        effects = [Effects(messages=(due(f"alert-{n}", queue=Queue.OUTBOX),), timers=(due(f"escalate-{n}", 60),),
                           audit=(audit(f"supervision.unsupervised-{n}"),)) for n in (1, 2)]
        won = await asyncio.gather(first.replace_group(seen, verdicts[0], effects[0]), second.replace_group(seen, verdicts[1], effects[1]))
        assert sorted(won) == [False, True]
        winner = won.index(True) + 1
        assert [e.record.action for e in await first.read_audit()] == [f"supervision.unsupervised-{winner}"]
        assert [c.item.item_id for c in await first.claim_due(Queue.OUTBOX, limit=5, lease_seconds=5)] == [f"alert-{winner}"]
        store_factory.clock.advance(60)
        assert [c.item.item_id for c in await first.claim_due(Queue.TIMERS, limit=5, lease_seconds=5)] == [f"escalate-{winner}"]

    async def test_members_round_trip(self, store: GroupsPort) -> None:
        """The last roster read of a group is kept for the periodic re-check."""
        members = [Member(user_id="aad-alice", platform_id="29:a"), Member(user_id="", display_name="Guest", platform_guest=True)]
        await store.set_group_members(CLASS_5A, members)
        assert await store.group_members(CLASS_5A) == members
        assert await store.group_members(GroupKey("wecom", "none")) == []

    async def test_schedule_round_trip_and_rotation(self, store: GroupsPort) -> None:
        """A group's schedule is stored; its reminder counter advances by one each time."""
        schedule = Schedule(group=CLASS_5A, cron="0 9 * * MON", timezone="Europe/London")
        await store.save_schedule(schedule)
        assert await store.get_schedule(CLASS_5A) == schedule
        assert await store.list_schedules() == [schedule]
        assert [await store.advance_rotation(CLASS_5A) for _ in range(3)] == [0, 1, 2]

    async def test_one_active_lesson_per_group(self, store: GroupsPort) -> None:
        """A second `lesson start` while one runs is refused; ending frees the group."""
        first = Lesson(lesson_id="L1", group=CLASS_5A, started_by=PersonRef("teams", "t1"), started_at=START)
        assert await store.start_lesson(first) is True
        assert await store.start_lesson(Lesson(**{**first.__dict__, "lesson_id": "L2"})) is False
        ended = Lesson(**{**first.__dict__, "ended_at": START + timedelta(hours=1), "present": ("aad-alice",)})
        await store.save_lesson(ended)
        assert await store.active_lesson(CLASS_5A) is None
        assert await store.list_lessons() == [ended]

    async def test_a_group_stored_by_an_earlier_version_can_still_be_replaced(self, store: GroupsPort,
                                                                             store_factory: StoreFactory) -> None:
        """A row written before a field was added to Group lacks it: the compare-and-set compares
        the record, so the group a reader saw is still the group stored, and the change lands."""
        await store.register_group(group())
        plain = codec.to_plain(group())
        earlier = json.dumps({name: value for name, value in plain.items() if name not in ("warnings_day", "warnings_on_day", "added_by")})
        if store_factory.backend == "sqlite":
            with sqlite3.connect(store_factory.sqlite_path) as db:
                db.execute("UPDATE groups SET data = ? WHERE key = ?", (earlier, str(CLASS_5A)))
        else:
            client = aioredis.Redis.from_url(store_factory.redis_server.url)
            await client.hset("esafety:groups", str(CLASS_5A), earlier)
            await client.aclose()
        seen = await store.get_group(CLASS_5A)
        assert seen == group()
        assert await store.replace_group(seen, replace(seen, supervision=Supervision.SUPERVISED)) is True
        stored = await store.get_group(CLASS_5A)
        assert stored is not None
        assert stored.supervision is Supervision.SUPERVISED
