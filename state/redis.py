"""The Redis Store: for production and for several instances sharing one database.

Every race between instances is settled inside Redis: claims, leases, audit order, replay keys,
cache locks, send slots, lessons and a case with its delivery are Lua scripts
(state/redis_scripts.py); counters are INCR; read-modify-write of a case or a roster is a
WATCH/MULTI transaction retried when another instance wrote first. Logical time (expiry,
due times, leases, send windows) is the injected clock's; Redis' own expiry only collects
garbage a day after an entry is logically gone.
"""

from __future__ import annotations

import json
import logging
import uuid
from collections.abc import Awaitable, Callable, Collection, Mapping, Sequence
from dataclasses import dataclass, field, fields, replace
from datetime import UTC, datetime
from typing import Any, NamedTuple, TypeVar, cast
from urllib.parse import urlsplit

import redis.asyncio as aioredis
from redis.asyncio.client import Pipeline
from redis.exceptions import AuthenticationError, RedisError, ResponseError, WatchError

from state import codec, redis_scripts
from state.case_changes import CaseChange
from state.clock import Clock, SystemClock
from state.due import FORGET_INSTANCES_AFTER_SECONDS, Claim, DueItem, Overdue, Queue, Undelivered, lease_token
from state.effects import NO_EFFECTS, ONCE_MEMORY_SECONDS, ONCE_PREFIX, Effects
from state.models import Group, GroupKey, Member, Person, PersonRef, normalise_user_id
from state.records import AuditEntry, AuditRecord, Case, CaseState, Lesson, Schedule, SchoolDays
from state.redis_durability import VolatileRedis, durability_of, read_persistence, refuse_if_volatile
from state.redis_effects import EffectsArgs, gc_ms
from state.roster_diff import diff_roster
from state.store import LOCK_SUFFIX, Durability, RosterChange, StoreUnavailable, UnknownCase, format_case_reference
from state.store_intents import StoreIntents

T = TypeVar("T")
log = logging.getLogger("esafety.store")


class DueKeys(NamedTuple):
    """One due queue, in the order every due script takes its KEYS."""

    by_time: str  # zset id -> due time (queued, not parked; a claim moves it to the lease end)
    items: str  # hash id -> DueItem JSON (queued or parked)
    leases: str  # hash id -> token of the current claim
    parked: str  # set of parked ids


@dataclass(frozen=True)
class RedisKeys:
    """Every key the Store uses, built here and nowhere else, all under one prefix. Each fixed
    key is its field name under the prefix (`groups` -> `esafety:groups`)."""

    prefix: str
    people_channels: str = field(init=False)  # set of channels that have a roster
    person_addresses: str = field(init=False)  # hash person ref -> address JSON
    groups: str = field(init=False)  # hash group key -> Group
    group_members: str = field(init=False)  # hash group key -> [Member]
    schedules: str = field(init=False)  # hash group key -> Schedule
    calendar: str = field(init=False)  # [SchoolDays] JSON
    lessons: str = field(init=False)  # hash lesson_id -> Lesson
    lessons_by_start: str = field(init=False)  # zset lesson_id -> started_at
    cases_by_received: str = field(init=False)  # zset upper-cased reference -> received_at
    audit_seq: str = field(init=False)  # counter: the last audit seq handed out
    audit_log: str = field(init=False)  # list of AuditRecord; seq n at index n-1
    instances: str = field(init=False)  # hash holder -> alive until (heartbeats)
    tallies: str = field(init=False)  # hash name -> running total (the /metrics counters)

    def __post_init__(self) -> None:
        for fixed in fields(self)[1:]:
            object.__setattr__(self, fixed.name, self._key(fixed.name))

    def _key(self, *parts: object) -> str:
        return self.prefix + ":".join(str(part) for part in parts)

    def people(self, channel: str) -> str:  # hash user_id (as imported) -> Person
        return self._key("people", channel)

    def rotation(self, group: GroupKey) -> str:  # counter
        return self._key("rotation", group)

    def active_lesson(self, group: GroupKey) -> str:  # lesson_id of the group's running lesson
        return self._key("active_lesson", group)

    def case(self, reference: str) -> str:  # Case JSON, by upper-cased reference
        return self._key("case", reference)

    def case_counter(self, year: int) -> str:
        return self._key("case_counter", year)

    def case_origin(self, origin: str) -> str:  # reference of the case made from an event
        return self._key("case_origin", origin)

    def due(self, queue: Queue) -> DueKeys:
        return DueKeys(*(self._key("due", queue.value, part) for part in DueKeys._fields))

    def seen(self, key: str) -> str:  # expires_at of a remembered key
        return self._key("seen", key)

    def cache(self, key: str) -> str:  # hash value, expires_at
        return self._key("cache", key)

    def send_slots(self, bucket: str) -> str:  # zset unique member -> send time
        return self._key("send_slots", bucket)


class RedisStore(StoreIntents):
    def __init__(self, client: aioredis.Redis, clock: Clock, prefix: str = "esafety:", where: str = "?") -> None:
        self._redis = client
        self._clock = clock
        self._where = where  # host:port, for messages: never the password
        self._keys = RedisKeys(prefix)
        self._scripts = {
            name: client.register_script(getattr(redis_scripts, name))
            for name in ("SCHEDULE_DUE", "CLAIM_DUE", "FINISH_DUE", "RETRY_DUE", "PARK_DUE", "REDRIVE_DUE", "SAVE_CASE",
                         "ACCEPT_INBOUND", "CACHE_ADD", "RESERVE_SEND_SLOT", "COMMIT_EFFECTS", "START_LESSON", "SAVE_LESSON",
                         "REPLACE_FIELD", "REPLACE_CASE", "RELEASE_LOCK")
        }

    @classmethod
    async def from_url(cls, url: str, clock: Clock | None = None, prefix: str = "esafety:", *,
                       allow_volatile: bool = False) -> RedisStore:
        """Connect and PING, so a bad REDIS_URL stops start-up; errors name host:port, never the
        password. A Redis that keeps nothing on disk is refused unless `allow_volatile`; what
        the accepted settings can lose is logged (state/redis_durability.py)."""
        where = _where(url)
        try:
            client = aioredis.Redis.from_url(url, socket_connect_timeout=5, socket_timeout=10, health_check_interval=30)
        except (ValueError, TypeError):
            raise StoreUnavailable(f"REDIS_URL for {where} is malformed (want redis://host:port/db, rediss:// or unix://)") from None
        store = cls(client, clock or SystemClock(), prefix, where)
        try:
            await client.ping()
        except (RedisError, OSError) as error:
            await client.aclose()
            problem = "refused the credentials in REDIS_URL" if isinstance(error, AuthenticationError) else "cannot be reached"
            raise StoreUnavailable(f"Redis at {where} {problem} ({type(error).__name__})") from None
        try:
            persistence = await read_persistence(client)
            if not allow_volatile:
                refuse_if_volatile(persistence, where)
        except (RedisError, OSError, VolatileRedis) as error:
            await client.aclose()
            if isinstance(error, VolatileRedis):
                raise
            raise StoreUnavailable(f"Redis at {where} did not say how it keeps data ({type(error).__name__})") from None
        (log.info if persistence.safe else log.warning)("Redis at %s: %s", where, persistence.risk())
        return store

    def _now(self) -> float:
        return self._clock.now().timestamp()

    async def ping(self) -> None:
        try:
            await self._redis.ping()
        except (RedisError, OSError) as error:
            raise StoreUnavailable(f"Redis unavailable: {type(error).__name__}") from None

    async def durability(self) -> Durability:
        try:
            return durability_of(await read_persistence(self._redis), self._where)
        except (RedisError, OSError) as error:
            raise StoreUnavailable(f"Redis unavailable: {type(error).__name__}") from None

    async def close(self) -> None:
        await self._redis.aclose()

    async def _run(self, name: str, keys: Sequence[str], args: Sequence[Any]) -> Any:
        return await self._scripts[name](keys=list(keys), args=list(args))

    async def _hget(self, cls: type[T], key: str, name: str) -> T | None:
        data = await self._redis.hget(key, name)
        return codec.loads(cls, data) if data is not None else None

    async def _atomically(self, watch: Sequence[str], work: Callable[[Pipeline], Awaitable[T]]) -> T:
        """Optimistic read-modify-write across instances: `work` reads the WATCHed keys, then
        calls `multi()` and queues its writes; if another client wrote any of them first, EXEC
        fails and `work` runs again on fresh data. (EXEC also runs when `work` writes nothing.)"""
        async with self._redis.pipeline(transaction=True) as pipe:
            while True:
                try:
                    await pipe.watch(*watch)
                    result = await work(pipe)
                    await pipe.execute()
                    return result
                except WatchError:
                    continue

    # -- roster ------------------------------------------------------------------------
    async def replace_roster(self, channels: Collection[str], people: Sequence[Person]) -> RosterChange:
        keys = [self._keys.people(channel) for channel in channels]

        async def work(pipe: Pipeline) -> RosterChange:
            old = [person for key in keys for person in _people(await pipe.hgetall(key))]
            pipe.multi()  # type: ignore[no-untyped-call]
            if keys:
                pipe.delete(*keys)
            self._put_people(pipe, people)
            return diff_roster(old, people, removing=True)

        return await self._atomically([self._keys.people_channels, *keys], work)

    async def merge_roster(self, people: Sequence[Person]) -> RosterChange:
        async def work(pipe: Pipeline) -> RosterChange:
            channels = sorted(_texts(await pipe.smembers(self._keys.people_channels)))
            if channels:
                await pipe.watch(*(self._keys.people(channel) for channel in channels))
            old = [person for channel in channels for person in _people(await pipe.hgetall(self._keys.people(channel)))]
            pipe.multi()  # type: ignore[no-untyped-call]
            self._put_people(pipe, people)
            return diff_roster(old, people, removing=False)

        return await self._atomically([self._keys.people_channels], work)

    def _put_people(self, pipe: Pipeline, people: Sequence[Person]) -> None:
        for person in people:
            pipe.sadd(self._keys.people_channels, person.channel)
            pipe.hset(self._keys.people(person.channel), person.user_id, codec.dumps(person))

    async def get_person(self, channel: str, user_id: str) -> Person | None:
        return await self._hget(Person, self._keys.people(channel), normalise_user_id(channel, user_id))

    async def list_people(self, channel: str | None = None) -> list[Person]:
        channels = [channel] if channel is not None else sorted(_texts(await self._redis.smembers(self._keys.people_channels)))
        async with self._redis.pipeline(transaction=True) as pipe:
            for name in channels:
                pipe.hgetall(self._keys.people(name))
            rosters = await pipe.execute()
        return sorted((person for roster in rosters for person in _people(roster)), key=lambda p: (p.channel, p.user_id))

    async def save_person_address(self, ref: PersonRef, address: dict[str, Any]) -> None:
        await self._redis.hset(self._keys.person_addresses, str(ref), codec.dumps(address))

    async def get_person_address(self, ref: PersonRef) -> dict[str, Any] | None:
        data = await self._redis.hget(self._keys.person_addresses, str(ref))
        return dict(json.loads(data)) if data is not None else None

    # -- groups --------------------------------------------------------------------------
    async def register_group(self, group: Group) -> bool:
        return bool(await self._redis.hsetnx(self._keys.groups, str(group.key), codec.dumps(group)))

    async def save_group(self, group: Group) -> None:
        await self._redis.hset(self._keys.groups, str(group.key), codec.dumps(group))

    async def replace_group(self, expected: Group, new: Group, effects: Effects = NO_EFFECTS) -> bool:
        """Lua: the compare-and-set and the effects of the change are one step on every instance."""
        args = self._effects_args([self._keys.groups])
        spec = args.spec(effects)
        replaced = await self._run("REPLACE_FIELD", args.keys,
                                   [str(expected.key), codec.dumps(expected), codec.dumps(new), spec, repr(self._now())])
        return bool(replaced)

    def _effects_args(self, fixed: Sequence[str]) -> EffectsArgs:
        return EffectsArgs(fixed, due=self._keys.due, seen=self._keys.seen, audit=(self._keys.audit_seq, self._keys.audit_log),
                           now=self._now())

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

    # -- cases ---------------------------------------------------------------------------
    async def next_case_reference(self, year: int) -> str:
        return format_case_reference(year, int(await self._redis.incr(self._keys.case_counter(year))))

    async def case_reference_for(self, origin: str) -> str | None:
        reference = await self._redis.get(self._keys.case_origin(origin))
        return _text(reference) if reference is not None else None

    async def save_case_with_delivery(self, case: Case, effects: Effects, *, origin: str) -> str:
        """One Lua step: no instance ever sees the case without its deliveries, nor a delivery
        without its case; a second report of the same event finds the first case."""
        reference = case.reference.upper()
        args = self._effects_args([self._keys.case(reference), self._keys.cases_by_received, self._keys.case_origin(origin)])
        spec = args.spec(effects)
        try:
            stored = await self._run("SAVE_CASE", args.keys, [codec.dumps(case), case.received_at.timestamp(), reference,
                                                              gc_ms(ONCE_MEMORY_SECONDS), spec, repr(self._now())])
        except ResponseError as error:
            raise _refusal(error, reference) from None
        return case.reference if _text(stored) == reference else _text(stored)

    async def get_case(self, reference: str) -> Case | None:
        data = await self._redis.get(self._keys.case(reference.strip().upper()))
        return codec.loads(Case, data) if data is not None else None

    async def list_cases(self, states: Collection[CaseState] | None = None) -> list[Case]:
        references = _texts(cast(list[bytes], await self._redis.zrange(self._keys.cases_by_received, 0, -1)))
        rows = await self._redis.mget([self._keys.case(reference) for reference in references]) if references else []
        cases = [codec.loads(Case, row) for row in rows if row is not None]
        return [case for case in cases if states is None or case.state in states]

    async def change_case(self, reference: str, change: CaseChange, effects: Callable[[Case], Effects] | None = None) -> Case | None:
        """Compare-and-set in Lua with the change's effects: of two instances acknowledging at
        once, the loser re-reads and sees it acknowledged (and its effects were never written)."""
        reference = reference.strip().upper()
        key = self._keys.case(reference)
        while True:
            data = await self._redis.get(key)
            if data is None:
                raise UnknownCase(reference)
            changed = change(codec.loads(Case, data))
            if changed is None:
                return None
            args = self._effects_args([key])
            spec = args.spec(effects(changed) if effects is not None else NO_EFFECTS)
            if await self._run("REPLACE_CASE", args.keys, [data, codec.dumps(changed), spec, repr(self._now())]):
                return changed

    # -- due work ------------------------------------------------------------------------
    async def schedule_due(self, item: DueItem, *, replace: bool = False) -> bool:
        args = [item.item_id, item.due_at.timestamp(), codec.dumps(item), "1" if replace else "0"]
        return bool(await self._run("SCHEDULE_DUE", self._keys.due(item.queue), args))

    async def claim_due(self, queue: Queue, *, limit: int, lease_seconds: float, holder: str = "") -> list[Claim]:
        """One Lua step picks and leases, so two claimers can never take the same item."""
        now = self._now()
        keys = [*self._keys.due(queue)[:3], self._keys.instances]
        flat = await self._run("CLAIM_DUE", keys, [now, now + lease_seconds, limit, lease_token(holder)])
        return [Claim(codec.loads(DueItem, flat[i]), _text(flat[i + 1])) for i in range(0, len(flat), 2)]

    async def heartbeat(self, holder: str, *, alive_seconds: float) -> None:
        now = self._now()
        await self._redis.hset(self._keys.instances, holder, now + alive_seconds)
        stale = [name for name, until in (await self._redis.hgetall(self._keys.instances)).items()
                 if float(until) < now - FORGET_INSTANCES_AFTER_SECONDS]
        if stale:
            await self._redis.hdel(self._keys.instances, *stale)

    async def finish_due(self, claim: Claim) -> bool:
        return await self._settle("FINISH_DUE", claim)

    async def retry_due(self, claim: Claim, *, delay_seconds: float, error: str, attempt: bool = True) -> bool:
        item = replace(claim.item, attempts=claim.item.attempts + attempt, last_error=error)
        return await self._settle("RETRY_DUE", claim, codec.dumps(item), self._now() + delay_seconds)

    async def release_due(self, claim: Claim) -> bool:
        return await self._settle("RETRY_DUE", claim, codec.dumps(claim.item), claim.item.due_at.timestamp())

    async def park_due(self, claim: Claim, *, error: str) -> bool:
        item = replace(claim.item, attempts=claim.item.attempts + 1, last_error=error)
        return await self._settle("PARK_DUE", claim, codec.dumps(item))

    async def _settle(self, script: str, claim: Claim, *args: Any) -> bool:
        """Lua: only the current lease holder may settle; a claim whose lease ran out changes nothing."""
        keys = self._keys.due(claim.item.queue)
        return bool(await self._run(script, keys, [claim.item.item_id, claim.token, *args]))

    async def cancel_due(self, queue: Queue, item_id: str) -> bool:
        keys = self._keys.due(queue)
        async with self._redis.pipeline(transaction=True) as pipe:
            pipe.hdel(keys.items, item_id)
            pipe.zrem(keys.by_time, item_id)
            pipe.hdel(keys.leases, item_id)
            pipe.srem(keys.parked, item_id)
            removed, *_ = await pipe.execute()
        return bool(removed)

    async def get_due(self, queue: Queue, item_id: str) -> DueItem | None:
        return await self._hget(DueItem, self._keys.due(queue).items, item_id)

    async def list_parked(self, queue: Queue) -> list[DueItem]:
        keys = self._keys.due(queue)
        ids = sorted(_texts(await self._redis.smembers(keys.parked)), key=lambda item_id: item_id.encode())
        rows = await self._redis.hmget(keys.items, ids) if ids else []
        return [codec.loads(DueItem, row) for row in rows if row is not None]

    async def list_undelivered(self, queue: Queue) -> list[Undelivered]:
        keys, now = self._keys.due(queue), self._now()
        async with self._redis.pipeline(transaction=True) as pipe:
            pipe.hgetall(keys.items)
            pipe.smembers(keys.parked)
            pipe.hgetall(keys.leases)
            pipe.zrange(keys.by_time, 0, -1, withscores=True)
            items, parked, leases, scores = await pipe.execute()
        parked, leased, due = set(_texts(parked)), set(_texts(leases)), {_text(member): score for member, score in scores}
        found = []
        for item_id, data in sorted(((_text(k), v) for k, v in items.items()), key=lambda pair: pair[0].encode()):
            item = codec.loads(DueItem, data)
            in_hand = item_id in leased and due.get(item_id, 0) > now
            if in_hand or not (item_id in parked or item.last_error):
                continue
            waiting_until = None if item_id in parked else datetime.fromtimestamp(due.get(item_id, now), UTC)
            found.append(Undelivered(item, item_id in parked, waiting_until))
        return found

    async def redrive_due(self, queue: Queue, *, item_ids: Collection[str] = (), partitions: Collection[str] = ()) -> int:
        wanted, recipients = set(item_ids), set(partitions)
        chosen = [u.item.item_id for u in await self.list_undelivered(queue)
                  if u.item.item_id in wanted or u.item.partition in recipients]
        return int(await self._run("REDRIVE_DUE", self._keys.due(queue), [self._now(), *chosen])) if chosen else 0

    async def due_depth(self, queue: Queue) -> int:
        return int(await self._redis.hlen(self._keys.due(queue).items))

    async def overdue(self, queue: Queue, *, due_before: datetime) -> Overdue:
        """A claim moves an item's score to its lease's end: an item in hand is late only once its
        lease ran out; one whose partition (recipient) has an item in hand waits its turn."""
        keys, now = self._keys.due(queue), self._now()
        late = cast(list[tuple[bytes, float]],
                    await self._redis.zrangebyscore(keys.by_time, "-inf", f"({due_before.timestamp()!r}", withscores=True))
        if not late:
            return Overdue()
        async with self._redis.pipeline(transaction=True) as pipe:
            pipe.hkeys(keys.leases)
            pipe.zrangebyscore(keys.by_time, f"({now!r}", "+inf")
            leased, later = await pipe.execute()
        held = set(_texts(leased)) & set(_texts(later))
        ids = [_text(item_id) for item_id, _ in late]
        rows = await self._redis.hmget(keys.items, [*ids, *held]) if held else await self._redis.hmget(keys.items, ids)
        busy = {codec.loads(DueItem, row).partition for row in rows[len(ids):] if row is not None} - {""}
        waiting = [(codec.loads(DueItem, row), since) for row, (_, since) in zip(rows[:len(ids)], late, strict=True) if row is not None]
        waiting = [(item, since) for item, since in waiting if item.partition not in busy]
        if not waiting:
            return Overdue()
        item, since = waiting[0]
        return Overdue(len(waiting), item, datetime.fromtimestamp(since, UTC))

    # -- replay protection and inbox --------------------------------------------------------
    async def accept_inbound(self, key: str, item: DueItem, ttl_seconds: float) -> bool:
        """One Lua step: a crash can never remember the delivery without queueing it."""
        now = self._now()
        keys = [self._keys.seen(key), *self._keys.due(item.queue)]
        args = [now, now + ttl_seconds, gc_ms(ttl_seconds), item.item_id, item.due_at.timestamp(), codec.dumps(item)]
        return bool(await self._run("ACCEPT_INBOUND", keys, args))

    # -- caches --------------------------------------------------------------------------
    async def cache_get(self, key: str) -> str | None:
        value, expires_at = await self._redis.hmget(self._keys.cache(key), ["value", "expires_at"])
        return _text(value) if value is not None and expires_at is not None and float(expires_at) > self._now() else None

    async def cache_set(self, key: str, value: str, ttl_seconds: float) -> None:
        async with self._redis.pipeline(transaction=True) as pipe:
            pipe.hset(self._keys.cache(key), mapping={"value": value, "expires_at": self._now() + ttl_seconds})
            pipe.pexpire(self._keys.cache(key), gc_ms(ttl_seconds))
            await pipe.execute()

    async def cache_add(self, key: str, value: str, ttl_seconds: float) -> bool:
        """Lua: one refresher at a time across instances; an expired entry counts as absent."""
        now = self._now()
        return bool(await self._run("CACHE_ADD", [self._keys.cache(key)], [now, value, now + ttl_seconds, gc_ms(ttl_seconds)]))

    async def cache_delete(self, key: str) -> None:
        await self._redis.delete(self._keys.cache(key))

    async def release_lock(self, name: str, owner: str) -> bool:
        """Lua: compare and delete in one step, so a hold taken over meanwhile is never deleted."""
        return bool(await self._run("RELEASE_LOCK", [self._keys.cache(name + LOCK_SUFFIX)], [owner, self._now()]))

    # -- send slots ----------------------------------------------------------------------
    async def reserve_send_slot(self, bucket: str, windows: Sequence[tuple[int, float]]) -> float:
        """Lua, so instances sharing a rate limit never both take its last slot."""
        horizon = max(per for _, per in windows)
        args: list[Any] = [self._now(), uuid.uuid4().hex, horizon, gc_ms(horizon)]
        for count, per in windows:
            args += [count, per]
        return float(await self._run("RESERVE_SEND_SLOT", [self._keys.send_slots(bucket)], args))

    # -- tallies ---------------------------------------------------------------------------
    async def add_tallies(self, counts: Mapping[str, int]) -> None:
        async with self._redis.pipeline(transaction=True) as pipe:
            for name, amount in counts.items():
                pipe.hincrby(self._keys.tallies, name, amount)
            await pipe.execute()

    async def read_tallies(self) -> dict[str, int]:
        return {_text(name): int(value) for name, value in (await self._redis.hgetall(self._keys.tallies)).items()}

    # -- audit ---------------------------------------------------------------------------
    async def commit(self, effects: Effects, *, once: str | None = None) -> bool:
        return await self._commit(effects, once) >= 0

    async def append_audit(self, record: AuditRecord, *, key: str | None = None) -> AuditEntry | None:
        """Lua: the sequence number and the list position are taken together, one total order across instances."""
        seq = await self._commit(Effects(audit=(record,)), key)
        return AuditEntry(seq, record) if seq >= 0 else None

    async def _commit(self, effects: Effects, once: str | None) -> int:
        args = self._effects_args([])
        spec = args.spec(effects, once=ONCE_PREFIX + once if once is not None else None)
        return int(await self._run("COMMIT_EFFECTS", args.keys, [spec, repr(self._now())]))

    async def read_audit(self, *, after_seq: int = 0, limit: int = 1000) -> list[AuditEntry]:
        start = max(after_seq, 0)  # seq n sits at index n-1; as in SQL, a negative limit means no limit
        if limit == 0:
            return []
        rows = await self._redis.lrange(self._keys.audit_log, start, start + limit - 1 if limit > 0 else -1)
        return [AuditEntry(start + i + 1, codec.loads(AuditRecord, row)) for i, row in enumerate(rows)]


def _where(url: str) -> str:
    """host:port (or socket path) of a Redis URL, for messages: the password never appears."""
    try:
        parts = urlsplit(url)
    except ValueError:
        return "an unparseable address"
    if parts.scheme == "unix":
        return parts.path or "?"
    where = parts.netloc.rpartition("@")[2] or "?"  # whatever precedes '@' is user and password
    try:
        return where if parts.port is not None else f"{where}:6379"
    except ValueError:  # a port that is not a number: name it as written
        return where


def _refusal(error: ResponseError, what: str) -> Exception:
    """A script's own refusal (a duplicate case, a second running lesson) as a ValueError; any other error as is.
    (SQLite refuses the same writes with its IntegrityError.)"""
    message = str(error)
    return ValueError(f"{what}: {message.removeprefix('ESAFETY ')}") if message.startswith("ESAFETY ") else error


def _text(value: bytes | str) -> str:
    return value.decode() if isinstance(value, bytes) else value


def _texts(values: Collection[bytes | str]) -> list[str]:
    return [_text(value) for value in values]


def _people(rows: Mapping[bytes | str, bytes | str]) -> list[Person]:
    return [codec.loads(Person, data) for data in rows.values()]


def _by_field(rows: Mapping[bytes | str, bytes | str]) -> list[bytes | str]:
    """A hash's values in field order: UTF-8 byte order, as SQLite's ORDER BY on text."""
    return [rows[field] for field in sorted(rows, key=lambda field: field.encode() if isinstance(field, str) else field)]
