"""`esafety-bot backup FILE`: the database is a school's safeguarding record, so it can be copied
while the server runs, consistently; the Store does it (SQLite's online backup API), or says how
its own tools do (Redis)."""

from __future__ import annotations

import asyncio
from pathlib import Path

from bots.config import Settings
from bots.store import store_for
from state.clock import SystemClock


async def backup_database(settings: Settings, target: Path) -> None:
    if await asyncio.to_thread(target.exists):
        raise FileExistsError(f"{target} already exists; choose a new file")
    store = await store_for(settings, SystemClock(), existing=True)
    try:
        await store.backup(target)
    finally:
        await store.close()
