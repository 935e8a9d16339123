"""Opening the Store the settings name, the same way for `serve`, every CLI command and the demo."""

from __future__ import annotations

from bots.config import Settings
from state.clock import Clock
from state.factory import open_store
from state.store import Store


async def store_for(settings: Settings, clock: Clock, *, existing: bool = False) -> Store:
    """Redis with REDIS_URL (refused if it keeps nothing on disk, unless
    ESAFETY_ALLOW_VOLATILE_REDIS=1), else the SQLite file (with `existing`, only one already
    there); either must answer."""
    return await open_store(redis_url=settings.redis_url, sqlite_path=settings.db_path, clock=clock,
                            allow_volatile_redis=settings.allow_volatile_redis, existing=existing)
