"""What every part of the Redis Store shares: its client, keys, clock and scripts, the optimistic
transaction, and the small decoding helpers."""

from __future__ import annotations

from collections.abc import Awaitable, Callable, Collection, Mapping, Sequence
from typing import Any, TypeVar

import redis.asyncio as aioredis
from redis.asyncio.client import Pipeline
from redis.exceptions import ResponseError, WatchError

from state import codec
from state.clock import Clock
from state.models import Person
from state.redis_effects import EffectsArgs
from state.redis_keys import RedisKeys

T = TypeVar("T")


class RedisBase:
    """The parts of `state.redis.RedisStore` (its due work, its records) are written against this."""

    _redis: aioredis.Redis
    _clock: Clock
    _keys: RedisKeys
    _scripts: dict[str, Any]

    def _now(self) -> float:
        return self._clock.now().timestamp()

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

    def _effects_args(self, fixed: Sequence[str]) -> EffectsArgs:
        audit = (self._keys.audit_seq, self._keys.audit_log, self._keys.audit_head)
        return EffectsArgs(fixed, due=self._keys.due, seen=self._keys.seen, audit=audit, now=self._now())


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
