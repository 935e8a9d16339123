"""The Redis Store: for production and for several instances sharing one database.

Every race between instances is settled inside Redis: claims, audit order, case references,
replay keys, caches and send slots are Lua scripts (state/redis_scripts.py); the case and its
delivery are one MULTI/EXEC; read-modify-write of a case is WATCH-guarded.
"""

from __future__ import annotations

import json
import uuid
from collections.abc import Collection, Sequence
from dataclasses import dataclass, replace
from typing import Any, cast
from urllib.parse import urlsplit

import redis.asyncio as aioredis
from redis.exceptions import RedisError, WatchError

from state import case_changes, codec, redis_scripts
from state.case_changes import CaseChange
from state.clock import Clock, SystemClock
from state.due import Claim, DueItem, Queue
from state.models import Group, GroupKey, Member, Person, PersonRef, normalise_user_id
from state.records import AuditEntry, AuditRecord, Case, CaseState, CaseStep, Lesson, Schedule
from state.roster_diff import diff_roster
from state.store import RosterChange, StoreUnavailable, UnknownCase, format_case_reference

GC_MARGIN_MS = 86_400_000  # real Redis expiry only collects garbage; logical expiry uses the clock


@dataclass(frozen=True)
class Keys:
    """Every Redis key the Store uses, built in one place."""

    prefix: str

    def __call__(self, *parts: object) -> str:
        return self.prefix + ":".join(str(part) for part in parts)

    def due(self, queue: Queue) -> tuple[str, str, str, str]:
        """(due-time zset, items hash, leases hash, parked set) of one queue."""
        return self("due", queue, "by_time"), self("due", queue, "items"), self("due", queue, "leases"), self("due", queue, "parked")


class RedisStore:
    def __init__(self, client: aioredis.Redis, clock: Clock, prefix: str = "esafety:") -> None:
        self._redis = client
        self._clock = clock
        self._keys = Keys(prefix)
        self._scripts = {name: client.register_script(getattr(redis_scripts, name)) for name in (
            "CLAIM_DUE", "SCHEDULE_DUE", "SETTLE_DUE", "REMEMBER_ONCE", "ACCEPT_INBOUND", "CACHE_GET", "CACHE_ADD",
            "RESERVE_SEND_SLOT", "APPEND_AUDIT", "START_LESSON")}

    @classmethod
    async def from_url(cls, url: str, clock: Clock | None = None, prefix: str = "esafety:") -> RedisStore:
        """Connect and PING; an unreachable or malformed URL is a StoreUnavailable naming the
        host and port but never the password."""
        parts = urlsplit(url)
        where = parts.path if parts.scheme == "unix" else f"{parts.hostname}:{parts.port or 6379}"
        try:
            client = aioredis.Redis.from_url(url, socket_connect_timeout=5, socket_timeout=10, health_check_interval=30)
        except ValueError as error:
            raise StoreUnavailable(f"REDIS_URL is not usable: {type(error).__name__}") from None
        store = cls(client, clock or SystemClock(), prefix)
        try:
            await store.ping()
        except StoreUnavailable:
            await client.aclose()
            raise StoreUnavailable(f"cannot reach Redis at {where}") from None
        return store

    def _now(self) -> float:
        return self._clock.now().timestamp()

    async def ping(self) -> None:
        try:
            await self._redis.ping()
        except (RedisError, OSError) as error:
            raise StoreUnavailable(f"Redis unavailable: {type(error).__name__}") from None

    async def close(self) -> None:
        await self._redis.aclose()

    async def _run(self, name: str, keys: Sequence[str], args: Sequence[Any]) -> Any:
        return await self._scripts[name](keys=list(keys), args=list(args))

    # -- roster ------------------------------------------------------------------------
    async def replace_roster(self, channels: Collection[str], people: Sequence[Person]) -> RosterChange:
        old = [p for channel in channels for p in await self.list_people(channel)]
        async with self._redis.pipeline(transaction=True) as pipe:
            for channel in channels:
                pipe.delete(self._keys("people", channel))
            self._queue_people(pipe, people)
            await pipe.execute()
        return diff_roster(old, people, removing=True)

    async def merge_roster(self, people: Sequence[Person]) -> RosterChange:
        old = await self.list_people()
        async with self._redis.pipeline(transaction=True) as pipe:
            self._queue_people(pipe, people)
            await pipe.execute()
        return diff_roster(old, people, removing=False)

    def _queue_people(self, pipe: Any, people: Sequence[Person]) -> None:
        for person in people:
            pipe.hset(self._keys("people", person.channel), person.user_id, codec.dumps(person))

    async def get_person(self, channel: str, user_id: str) -> Person | None:
        data = await self._redis.hget(self._keys("people", channel), normalise_user_id(channel, user_id))
        return codec.loads(Person, data) if data else None

    async def list_people(self, channel: str | None = None) -> list[Person]:
        channels = [channel] if channel else sorted({"teams", "wecom"})
        people = []
        for name in channels:
            rows = await self._redis.hgetall(self._keys("people", name))
            people += [codec.loads(Person, rows[user_id]) for user_id in sorted(rows)]
        return people

    async def save_person_address(self, ref: PersonRef, address: dict[str, Any]) -> None:
        await self._redis.hset(self._keys("person_addresses"), str(ref), codec.dumps(address))

    async def get_person_address(self, ref: PersonRef) -> dict[str, Any] | None:
        data = await self._redis.hget(self._keys("person_addresses"), str(ref))
        return dict(json.loads(data)) if data else None

    # -- groups --------------------------------------------------------------------------
    async def register_group(self, group: Group) -> bool:
        return bool(await self._redis.hsetnx(self._keys("groups"), str(group.key), codec.dumps(group)))

    async def save_group(self, group: Group) -> None:
        await self._redis.hset(self._keys("groups"), str(group.key), codec.dumps(group))

    async def get_group(self, key: GroupKey) -> Group | None:
        data = await self._redis.hget(self._keys("groups"), str(key))
        return codec.loads(Group, data) if data else None

    async def list_groups(self) -> list[Group]:
        rows = await self._redis.hgetall(self._keys("groups"))
        return [codec.loads(Group, rows[key]) for key in sorted(rows)]

    async def set_group_members(self, key: GroupKey, members: Sequence[Member]) -> None:
        await self._redis.hset(self._keys("group_members"), str(key), codec.dumps(list(members)))

    async def group_members(self, key: GroupKey) -> list[Member]:
        data = await self._redis.hget(self._keys("group_members"), str(key))
        return [codec.from_plain(Member, item) for item in json.loads(data)] if data else []

    # -- schedules -----------------------------------------------------------------------
    async def save_schedule(self, schedule: Schedule) -> None:
        await self._redis.hset(self._keys("schedules"), str(schedule.group), codec.dumps(schedule))

    async def get_schedule(self, key: GroupKey) -> Schedule | None:
        data = await self._redis.hget(self._keys("schedules"), str(key))
        return codec.loads(Schedule, data) if data else None

    async def list_schedules(self) -> list[Schedule]:
        rows = await self._redis.hgetall(self._keys("schedules"))
        return [codec.loads(Schedule, rows[key]) for key in sorted(rows)]

    async def advance_rotation(self, key: GroupKey) -> int:
        return int(await self._redis.incr(self._keys("rotation", key))) - 1

    # -- lessons -------------------------------------------------------------------------
    async def start_lesson(self, lesson: Lesson) -> bool:
        keys = [self._keys("lesson_active", lesson.group), self._keys("lessons"), self._keys("lessons_by_start")]
        return bool(await self._run("START_LESSON", keys, [lesson.lesson_id, codec.dumps(lesson), lesson.started_at.timestamp()]))

    async def active_lesson(self, key: GroupKey) -> Lesson | None:
        lesson_id = await self._redis.get(self._keys("lesson_active", key))
        data = await self._redis.hget(self._keys("lessons"), lesson_id) if lesson_id else None
        return codec.loads(Lesson, data) if data else None

    async def save_lesson(self, lesson: Lesson) -> None:
        async with self._redis.pipeline(transaction=True) as pipe:
            pipe.hset(self._keys("lessons"), lesson.lesson_id, codec.dumps(lesson))
            if lesson.ended_at is not None:
                pipe.delete(self._keys("lesson_active", lesson.group))
            await pipe.execute()

    async def list_lessons(self) -> list[Lesson]:
        ids = cast(list[bytes], await self._redis.zrange(self._keys("lessons_by_start"), 0, -1))
        rows = await self._redis.hmget(self._keys("lessons"), ids) if ids else []
        return [codec.loads(Lesson, row) for row in rows if row]

    # -- cases ---------------------------------------------------------------------------
    async def next_case_reference(self, year: int) -> str:
        return format_case_reference(year, int(await self._redis.incr(self._keys("case_seq", year))))

    async def save_case_with_delivery(self, case: Case, work: Sequence[DueItem]) -> None:
        key = case.reference.upper()
        async with self._redis.pipeline(transaction=True) as pipe:
            pipe.hset(self._keys("cases"), key, codec.dumps(case))
            pipe.zadd(self._keys("cases_by_received"), {key: case.received_at.timestamp()})
            for item in work:
                await self._scripts["SCHEDULE_DUE"](keys=list(self._keys.due(item.queue)), args=_schedule_args(item, replace=False),
                                                    client=pipe)
            await pipe.execute()

    async def get_case(self, reference: str) -> Case | None:
        data = await self._redis.hget(self._keys("cases"), reference.strip().upper())
        return codec.loads(Case, data) if data else None

    async def list_cases(self, states: Collection[CaseState] | None = None) -> list[Case]:
        keys = cast(list[bytes], await self._redis.zrange(self._keys("cases_by_received"), 0, -1))
        rows = await self._redis.hmget(self._keys("cases"), keys) if keys else []
        cases = [codec.loads(Case, row) for row in rows if row]
        return [case for case in cases if states is None or case.state in states]

    async def add_case_step(self, reference: str, step: CaseStep) -> None:
        await self._update_case(reference, case_changes.add_step(step))

    async def append_case_text(self, reference: str, text: str, step: CaseStep) -> None:
        await self._update_case(reference, case_changes.add_text(text, step))

    async def advance_case(
        self, reference: str, *, to: CaseState, allowed_from: Collection[CaseState], step: CaseStep
    ) -> Case | None:
        return await self._update_case(reference, case_changes.advance(to, allowed_from, step))

    async def _update_case(self, reference: str, change: CaseChange) -> Case | None:
        """Read, change and write one case; a concurrent writer makes us start again (WATCH)."""
        key, cases = reference.strip().upper(), self._keys("cases")
        async with self._redis.pipeline(transaction=True) as pipe:
            while True:
                try:
                    await pipe.watch(cases)
                    data = await pipe.hget(cases, key)
                    if data is None:
                        raise UnknownCase(key)
                    changed = change(codec.loads(Case, data))
                    if changed is None:
                        await pipe.unwatch()  # type: ignore[no-untyped-call]
                        return None
                    pipe.multi()  # type: ignore[no-untyped-call]
                    pipe.hset(cases, key, codec.dumps(changed))
                    await pipe.execute()
                    return changed
                except WatchError:
                    continue

    # -- due work ------------------------------------------------------------------------
    async def schedule_due(self, item: DueItem, *, replace: bool = False) -> bool:
        return bool(await self._run("SCHEDULE_DUE", self._keys.due(item.queue), _schedule_args(item, replace=replace)))

    async def claim_due(self, queue: Queue, *, limit: int, lease_seconds: float) -> list[Claim]:
        now = self._now()
        tokens = [uuid.uuid4().hex for _ in range(limit)]
        flat = await self._run("CLAIM_DUE", self._keys.due(queue)[:3], [now, now + lease_seconds, limit, *tokens])
        return [Claim(codec.loads(DueItem, flat[i + 1]), flat[i + 2].decode()) for i in range(0, len(flat), 3)]

    async def _settle(self, claim: Claim, action: str, item: DueItem | None = None, score: float = 0) -> bool:
        args = [claim.item.item_id, claim.token, action, codec.dumps(item) if item else "", score]
        return bool(await self._run("SETTLE_DUE", self._keys.due(claim.item.queue), args))

    async def finish_due(self, claim: Claim) -> bool:
        return await self._settle(claim, "finish")

    async def retry_due(self, claim: Claim, *, delay_seconds: float, error: str) -> bool:
        item = replace(claim.item, attempts=claim.item.attempts + 1, last_error=error)
        return await self._settle(claim, "retry", item, self._now() + delay_seconds)

    async def park_due(self, claim: Claim, *, error: str) -> bool:
        return await self._settle(claim, "park", replace(claim.item, attempts=claim.item.attempts + 1, last_error=error))

    async def cancel_due(self, queue: Queue, item_id: str) -> bool:
        due, items, leases, parked = self._keys.due(queue)
        async with self._redis.pipeline(transaction=True) as pipe:
            pipe.hdel(items, item_id)
            pipe.zrem(due, item_id)
            pipe.hdel(leases, item_id)
            pipe.srem(parked, item_id)
            removed, *_ = await pipe.execute()
        return bool(removed)

    async def get_due(self, queue: Queue, item_id: str) -> DueItem | None:
        data = await self._redis.hget(self._keys.due(queue)[1], item_id)
        return codec.loads(DueItem, data) if data else None

    async def list_parked(self, queue: Queue) -> list[DueItem]:
        _, items, _, parked = self._keys.due(queue)
        members = cast(set[bytes], await self._redis.smembers(parked))
        ids = sorted(member.decode() for member in members)
        rows = await self._redis.hmget(items, ids) if ids else []
        return [codec.loads(DueItem, row) for row in rows if row]

    # -- replay protection and inbox --------------------------------------------------------
    async def remember_once(self, key: str, ttl_seconds: float) -> bool:
        now = self._now()
        args = [now, now + ttl_seconds, _gc_ms(ttl_seconds)]
        return bool(await self._run("REMEMBER_ONCE", [self._keys("seen", key)], args))

    async def accept_inbound(self, key: str, item: DueItem, ttl_seconds: float) -> bool:
        now = self._now()
        keys = [self._keys("seen", key), *self._keys.due(item.queue)]
        args = [now, now + ttl_seconds, _gc_ms(ttl_seconds), item.item_id, item.due_at.timestamp(), codec.dumps(item)]
        return bool(await self._run("ACCEPT_INBOUND", keys, args))

    # -- caches --------------------------------------------------------------------------
    async def cache_get(self, key: str) -> str | None:
        value = await self._run("CACHE_GET", [self._keys("cache", key)], [self._now()])
        return value.decode() if value is not None else None

    async def cache_set(self, key: str, value: str, ttl_seconds: float) -> None:
        await self._redis.set(self._keys("cache", key), f"{self._now() + ttl_seconds}|{value}", px=_gc_ms(ttl_seconds))

    async def cache_add(self, key: str, value: str, ttl_seconds: float) -> bool:
        now = self._now()
        args = [now, f"{now + ttl_seconds}|{value}", _gc_ms(ttl_seconds)]
        return bool(await self._run("CACHE_ADD", [self._keys("cache", key)], args))

    async def cache_delete(self, key: str) -> None:
        await self._redis.delete(self._keys("cache", key))

    # -- send slots ----------------------------------------------------------------------
    async def reserve_send_slot(self, bucket: str, windows: Sequence[tuple[int, float]]) -> float:
        horizon = max(per for _, per in windows)
        args: list[Any] = [self._now(), uuid.uuid4().hex, horizon]
        for count, per in windows:
            args += [count, per]
        return float(await self._run("RESERVE_SEND_SLOT", [self._keys("send_slots", bucket)], args))

    # -- audit ---------------------------------------------------------------------------
    async def append_audit(self, record: AuditRecord) -> AuditEntry:
        seq = await self._run("APPEND_AUDIT", [self._keys("audit", "seq"), self._keys("audit", "log")], [codec.dumps(record)])
        return AuditEntry(int(seq), record)

    async def read_audit(self, *, after_seq: int = 0, limit: int = 1000) -> list[AuditEntry]:
        rows = await self._redis.lrange(self._keys("audit", "log"), after_seq, after_seq + limit - 1)
        return [AuditEntry(after_seq + i + 1, codec.loads(AuditRecord, row)) for i, row in enumerate(rows)]


def _gc_ms(ttl_seconds: float) -> int:
    return int(ttl_seconds * 1000) + GC_MARGIN_MS


def _schedule_args(item: DueItem, *, replace: bool) -> list[Any]:
    return [item.item_id, item.due_at.timestamp(), codec.dumps(item), "1" if replace else "0"]
