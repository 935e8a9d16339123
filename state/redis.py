"""The Redis Store: for production and for several instances sharing one database.

Every race between instances is settled inside Redis: claims, leases, audit order, replay keys
and a case with its delivery are Lua scripts (state/redis_scripts.py); cache locks, send slots and
lessons are too (state/redis_scripts_standalone.py); counters are INCR; read-modify-write of a case or a roster is a
WATCH/MULTI transaction retried when another instance wrote first. Logical time (expiry,
due times, leases, send windows) is the injected clock's; Redis' own expiry only collects
garbage a day after an entry is logically gone. Its due work (state/redis_due.py), its records
(state/redis_records.py), its groups with their schedules and lessons (state/redis_groups.py) and
its keys (state/redis_keys.py) are modules of their own; this one holds connecting, the roster,
caches and send slots.
"""

from __future__ import annotations

import json
import logging
import uuid
from collections.abc import Collection, Sequence
from pathlib import Path
from typing import Any, TypeVar
from urllib.parse import urlsplit

import redis.asyncio as aioredis
from redis.asyncio.client import Pipeline
from redis.exceptions import AuthenticationError, RedisError

from state import codec, redis_scripts, redis_scripts_standalone
from state.clock import Clock, SystemClock
from state.models import Person, PersonRef
from state.redis_base import _people, _text, _texts
from state.redis_due import RedisDueWork
from state.redis_durability import VolatileRedis, durability_of, read_persistence, refuse_if_volatile
from state.redis_effects import gc_ms
from state.redis_groups import RedisGroups
from state.redis_keys import RedisKeys
from state.redis_records import RedisRecords
from state.roster_diff import diff_roster
from state.store import LOCK_SUFFIX, BackupRefused, Durability, RosterChange, StoreUnavailable
from state.store_intents import StoreIntents

T = TypeVar("T")
log = logging.getLogger("esafety.store")


class RedisStore(RedisDueWork, RedisRecords, RedisGroups, StoreIntents):
    def __init__(self, client: aioredis.Redis, clock: Clock, prefix: str = "esafety:", where: str = "?") -> None:
        self._redis = client
        self._clock = clock
        self._where = where  # host:port, for messages: never the password
        self._keys = RedisKeys(prefix)
        self._scripts = {
            name: client.register_script(getattr(module, name))
            for module, names in ((redis_scripts, ("SCHEDULE_DUE", "CLAIM_DUE", "FINISH_DUE", "RETRY_DUE", "PARK_DUE", "REDRIVE_DUE",
                                                   "SAVE_CASE", "ACCEPT_INBOUND", "COMMIT_EFFECTS", "REPLACE_FIELD", "REPLACE_CASE",
                                                   "SEAL_EXISTING_LOG", "PURGE")),
                                  (redis_scripts_standalone, ("CACHE_ADD", "RESERVE_SEND_SLOT", "START_LESSON", "SAVE_LESSON",
                                                              "RELEASE_LOCK")))
            for name in names
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
        if sealed := await store.seal_existing_log():
            log.warning("Redis at %s: the %d audit records written before the chain existed are sealed now", where, sealed)
        return store

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

    async def backup(self, target: Path) -> None:
        raise BackupRefused("the Store is Redis (REDIS_URL): back it up with Redis' own persistence (AOF/RDB), not `esafety-bot backup`")

    async def close(self) -> None:
        await self._redis.aclose()

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
        return await self._hget(Person, self._keys.people(channel), user_id)

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

    # -- audit ---------------------------------------------------------------------------


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


