"""The bot's background workers, tied to the web app's life: started with it, and on shutdown
told to stop and awaited, so an item in hand is finished (or its lease runs out and it is
picked up again on the next start). Nothing durable lives only in memory."""

from __future__ import annotations

import asyncio
from collections.abc import Callable, Coroutine, Sequence
from typing import Any

from aiohttp import web

from handlers.heartbeat import Heartbeat
from handlers.runtime.worker import DueWorker

POLL_SECONDS = 0.5


def run_in_background(app: web.Application, workers: Sequence[DueWorker], heartbeat: Heartbeat,
                      companions: Sequence[Callable[[asyncio.Event], Coroutine[Any, Any, None]]] = ()) -> None:
    """The heartbeat beats from the start (a claim made before its first beat is simply never
    taken over early) and says "stopped" only after the workers have finished or handed on
    what they held (handlers/heartbeat.py). `companions` (the auditor, the tallies' flush) run
    beside the workers until the same stop."""
    stop = asyncio.Event()
    tasks: list[asyncio.Task[None]] = []

    async def start(_: web.Application) -> None:
        stop.clear()
        tasks.append(asyncio.create_task(heartbeat.run_until(stop)))
        tasks.extend(asyncio.create_task(worker.run_until(stop, poll_seconds=POLL_SECONDS)) for worker in workers)
        tasks.extend(asyncio.create_task(companion(stop)) for companion in companions)

    async def drain(_: web.Application) -> None:
        stop.set()
        await asyncio.gather(*tasks)
        tasks.clear()
        await heartbeat.stopped()

    app.on_startup.append(start)
    app.on_shutdown.append(drain)
