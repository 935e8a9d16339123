"""The bot's background workers, tied to the web app's life: started with it, and on shutdown
told to stop and awaited, so an item in hand is finished (or its lease runs out and it is
picked up again on the next start). Nothing durable lives only in memory."""

from __future__ import annotations

import asyncio
from collections.abc import Sequence

from aiohttp import web

from handlers.worker import DueWorker

POLL_SECONDS = 0.5


def run_in_background(app: web.Application, workers: Sequence[DueWorker]) -> None:
    stop = asyncio.Event()
    tasks: list[asyncio.Task[None]] = []

    async def start(_: web.Application) -> None:
        stop.clear()
        tasks.extend(asyncio.create_task(worker.run_until(stop, poll_seconds=POLL_SECONDS)) for worker in workers)

    async def drain(_: web.Application) -> None:
        stop.set()
        await asyncio.gather(*tasks)
        tasks.clear()

    app.on_startup.append(start)
    app.on_shutdown.append(drain)
