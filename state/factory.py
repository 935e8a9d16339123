"""Choosing the backend: Redis when a URL is given (production, several instances), else the
embedded SQLite file. Either way the database must answer before the bot starts."""

from __future__ import annotations

from pathlib import Path

from state.clock import Clock
from state.store import Store


async def open_store(*, redis_url: str | None, sqlite_path: str | Path, clock: Clock, allow_volatile_redis: bool = False) -> Store:
    if redis_url:
        from state.redis import RedisStore  # imported here so the SQLite default never needs it

        return await RedisStore.from_url(redis_url, clock=clock, allow_volatile=allow_volatile_redis)
    from state.sqlite import SqliteStore

    return await SqliteStore.open(sqlite_path, clock=clock)
