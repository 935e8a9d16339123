"""`esafety-bot backup FILE`: the SQLite file is a school's safeguarding record, so it can be
copied while the server runs, consistently, through SQLite's online backup API."""

from __future__ import annotations

import asyncio
from pathlib import Path

from bots.config import Settings
from bots.settings_readers import ConfigError
from state.sqlite import SqliteStore


async def backup_database(settings: Settings, target: Path) -> None:
    if settings.redis_url:
        raise ConfigError("REDIS_URL is set: back up Redis with its own persistence (AOF/RDB), not `esafety-bot backup`")
    if not await asyncio.to_thread(Path(settings.db_path).exists):
        raise FileNotFoundError(f"no database at {settings.db_path} (ESAFETY_DB)")
    if await asyncio.to_thread(target.exists):
        raise FileExistsError(f"{target} already exists; choose a new file")
    store = await SqliteStore.open(settings.db_path)
    try:
        await store.backup(target)
    finally:
        await store.close()
