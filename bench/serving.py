"""The real bot server, running in this process on a scratch SQLite file and a free loopback
port, for as long as a benchmark needs it: the same `run_bot` that `serve` runs."""

from __future__ import annotations

import asyncio
import tempfile
from collections.abc import AsyncIterator, Mapping
from contextlib import asynccontextmanager
from pathlib import Path
from typing import Any

from bots.app import Bot, bootstrap
from bots.config import load_settings
from bots.server import run_bot
from bots.sockets import free_port


@asynccontextmanager
async def serving(env: Mapping[str, str], **options: Any) -> AsyncIterator[tuple[Bot, str]]:
    """Yield the bot and its base URL (`http://127.0.0.1:PORT`); stop it gracefully after."""
    with tempfile.TemporaryDirectory(prefix="esafety-bench-") as scratch:
        port = free_port()
        settings = load_settings({"ESAFETY_DB": str(Path(scratch) / "bench.db"), "ESAFETY_LOG_LEVEL": "WARNING", **env})
        bot = await bootstrap(settings, **options)
        stop, started = asyncio.Event(), asyncio.Event()
        server = asyncio.create_task(run_bot(bot, host="127.0.0.1", port=port, stop=stop, started=started))
        await started.wait()
        try:
            yield bot, f"http://127.0.0.1:{port}"
        finally:
            stop.set()
            await server
