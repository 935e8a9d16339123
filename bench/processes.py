"""Servers under test in their own process, so the load generator does not share their core:
a bare aiohttp handler (the baseline) and the real bot server. Each child prints nothing,
hands back its base URL, and stops on SIGTERM (the bot finishes gracefully, as `serve` does)."""

from __future__ import annotations

import asyncio
import multiprocessing
import signal
import tempfile
from collections.abc import Iterator, Mapping
from contextlib import contextmanager
from multiprocessing.queues import Queue
from pathlib import Path
from typing import Any

from aiohttp import web

from bots.sockets import free_port


@contextmanager
def in_process(target: str, **options: Any) -> Iterator[str]:
    """Run `bare` or `bot` (with `options`) in a child process; yield its base URL."""
    context = multiprocessing.get_context("spawn")
    ready: Queue[str] = context.Queue()
    child = context.Process(target=_child, args=(target, ready, options), daemon=True)
    child.start()
    try:
        yield ready.get(timeout=60)
    finally:
        child.terminate()
        child.join(timeout=30)


def _child(target: str, ready: Queue[str], options: dict[str, Any]) -> None:
    asyncio.run(_bare(ready) if target == "bare" else _bot(ready, **options))


async def _until_terminated() -> None:
    stop = asyncio.Event()
    asyncio.get_running_loop().add_signal_handler(signal.SIGTERM, stop.set)
    await stop.wait()


async def _bare(ready: Queue[str]) -> None:
    """The least a webhook must do: read the JSON body and answer 200."""

    async def parse_and_answer(request: web.Request) -> web.Response:
        await request.json()
        return web.Response(status=200)

    app = web.Application()
    app.router.add_post("/api/messages", parse_and_answer)
    runner = web.AppRunner(app, access_log=None)
    await runner.setup()
    port = free_port()
    await web.TCPSite(runner, "127.0.0.1", port).start()
    ready.put(f"http://127.0.0.1:{port}")
    await _until_terminated()
    await runner.cleanup()


async def _bot(ready: Queue[str], env: Mapping[str, str], workers: bool = True, unthrottled: bool = False) -> None:
    """The real server (`run_bot`, as `serve` runs it) on a scratch SQLite file. Without
    `workers` it only accepts (the webhook's own cost); `unthrottled` lifts Teams' rate limits
    so a throughput figure is our machinery's, not Microsoft's."""
    from bots.app import bootstrap
    from bots.config import load_settings
    from bots.server import run_bot
    from bots.teams.channel import TeamsOptions

    with tempfile.TemporaryDirectory(prefix="esafety-bench-") as scratch:
        port = free_port()
        settings = load_settings({"ESAFETY_DB": str(Path(scratch) / "bench.db"), "ESAFETY_LOG_LEVEL": "WARNING", **env})
        bot = await bootstrap(settings, teams_options=TeamsOptions(unthrottled=unthrottled))
        stop, started = asyncio.Event(), asyncio.Event()
        asyncio.get_running_loop().add_signal_handler(signal.SIGTERM, stop.set)
        server = asyncio.create_task(run_bot(bot, host="127.0.0.1", port=port, stop=stop, started=started, workers=workers))
        await started.wait()
        ready.put(f"http://127.0.0.1:{port}")
        await server
