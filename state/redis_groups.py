"""The Redis Store's class groups, with their reminder schedules, the school calendar and lessons.
A group's compare-and-set and a lesson's start and end are Lua steps, so two instances cannot
both win (state/redis_scripts.py, state/redis_scripts_standalone.py)."""

from __future__ import annotations

import json
from collections.abc import Sequence
from typing import cast

from redis.exceptions import ResponseError

from state import codec
from state.effects import NO_EFFECTS, Effects
from state.models import Group, GroupKey, Member, PersonRef
from state.records import Cover, Lesson, Schedule, SchoolDays
from state.redis_base import RedisBase, _by_field, _refusal


class RedisGroups(RedisBase):
    # -- groups --------------------------------------------------------------------------
    async def register_group(self, group: Group) -> bool:
        return bool(await self._redis.hsetnx(self._keys.groups, str(group.key), codec.dumps(group)))

    async def save_group(self, group: Group) -> None:
        await self._redis.hset(self._keys.groups, str(group.key), codec.dumps(group))

    async def replace_group(self, expected: Group, new: Group, effects: Effects = NO_EFFECTS) -> bool:
        """Lua: the compare-and-set and the effects of the change are one step on every instance. The
        records are compared, not their stored text (a row written by an earlier version lacks the
        fields added since): the text read here is what the script then expects, unchanged."""
        stored = await self._redis.hget(self._keys.groups, str(expected.key))
        if stored is None or codec.loads(Group, stored) != expected:
            return False
        args = self._effects_args([self._keys.groups])
        spec = args.spec(effects)
        replaced = await self._run("REPLACE_FIELD", args.keys, [str(expected.key), stored, codec.dumps(new), spec, repr(self._now())])
        return bool(replaced)

    async def get_group(self, key: GroupKey) -> Group | None:
        return await self._hget(Group, self._keys.groups, str(key))

    async def list_groups(self) -> list[Group]:
        return [codec.loads(Group, data) for data in _by_field(await self._redis.hgetall(self._keys.groups))]

    async def set_group_members(self, key: GroupKey, members: Sequence[Member]) -> None:
        await self._redis.hset(self._keys.group_members, str(key), codec.dumps(list(members)))

    async def group_members(self, key: GroupKey) -> list[Member]:
        data = await self._redis.hget(self._keys.group_members, str(key))
        return [codec.from_plain(Member, item) for item in json.loads(data)] if data is not None else []

    # -- schedules -----------------------------------------------------------------------
    async def save_schedule(self, schedule: Schedule) -> None:
        await self._redis.hset(self._keys.schedules, str(schedule.group), codec.dumps(schedule))

    async def get_schedule(self, key: GroupKey) -> Schedule | None:
        return await self._hget(Schedule, self._keys.schedules, str(key))

    async def list_schedules(self) -> list[Schedule]:
        return [codec.loads(Schedule, data) for data in _by_field(await self._redis.hgetall(self._keys.schedules))]

    async def save_calendar(self, spans: Sequence[SchoolDays]) -> None:
        await self._redis.set(self._keys.calendar, codec.dumps(list(spans)))

    async def get_calendar(self) -> list[SchoolDays]:
        data = await self._redis.get(self._keys.calendar)
        return [codec.from_plain(SchoolDays, item) for item in json.loads(data)] if data is not None else []

    async def put_cover(self, cover: Cover) -> None:
        await self._redis.hset(self._keys.covers, str(cover.person), codec.dumps(cover))

    async def end_cover(self, person: PersonRef) -> bool:
        return bool(await self._redis.hdel(self._keys.covers, str(person)))

    async def list_covers(self) -> list[Cover]:
        return [codec.loads(Cover, data) for data in _by_field(await self._redis.hgetall(self._keys.covers))]

    async def advance_rotation(self, key: GroupKey) -> int:
        return int(await self._redis.incr(self._keys.rotation(key))) - 1

    # -- lessons -------------------------------------------------------------------------
    async def start_lesson(self, lesson: Lesson) -> bool:
        """One Lua step, so two instances starting a lesson in the same group cannot both win."""
        keys = [self._keys.active_lesson(lesson.group), self._keys.lessons, self._keys.lessons_by_start]
        return bool(await self._run("START_LESSON", keys, [lesson.lesson_id, codec.dumps(lesson), lesson.started_at.timestamp()]))

    async def active_lesson(self, key: GroupKey) -> Lesson | None:
        lesson_id = await self._redis.get(self._keys.active_lesson(key))
        data = await self._redis.hget(self._keys.lessons, lesson_id) if lesson_id is not None else None
        return codec.loads(Lesson, data) if data is not None else None

    async def save_lesson(self, lesson: Lesson) -> None:
        """Lua, so ending a lesson frees its group only if it is still the group's running one."""
        args = [lesson.lesson_id, codec.dumps(lesson), "1" if lesson.ended_at is not None else "0"]
        try:
            await self._run("SAVE_LESSON", [self._keys.lessons, self._keys.active_lesson(lesson.group)], args)
        except ResponseError as error:
            raise _refusal(error, f"lesson {lesson.lesson_id}") from None

    async def list_lessons(self) -> list[Lesson]:
        ids = cast(list[bytes], await self._redis.zrange(self._keys.lessons_by_start, 0, -1))
        rows = await self._redis.hmget(self._keys.lessons, ids) if ids else []
        return [codec.loads(Lesson, row) for row in rows if row is not None]
