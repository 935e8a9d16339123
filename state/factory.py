"""Choosing the backend: Redis when a URL is given (production, several instances), else the
embedded SQLite file. Either way the database must answer before the bot starts."""

from __future__ import annotations

import asyncio
from pathlib import Path

from state.clock import Clock
from state.store import Store


async def open_store(*, redis_url: str | None, sqlite_path: str | Path, clock: Clock, allow_volatile_redis: bool = False,
                     existing: bool = False) -> Store:
    """`existing`: open only a Store that is already there (a backup of a database never made is refused)."""
    if redis_url:
        from state.redis import RedisStore  # imported here so the SQLite default never needs it

        return await RedisStore.from_url(redis_url, clock=clock, allow_volatile=allow_volatile_redis)
    from state.sqlite import SqliteStore

    if existing and not await asyncio.to_thread(Path(sqlite_path).exists):
        raise FileNotFoundError(f"no database at {sqlite_path}")
    return await SqliteStore.open(sqlite_path, clock=clock)
