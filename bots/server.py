"""`esafety-bot serve`: run the app until SIGTERM or SIGINT, then shut down gracefully.

On a signal the listener stops taking requests, requests in flight are finished (up to the
grace period), and only then is the Store closed: work that cannot finish stays durably queued
in the Store and is picked up on the next start.
"""

from __future__ import annotations

import asyncio
import logging
import signal

from aiohttp import web

from bots.app import Bot, bootstrap, build_app
from bots.config import Settings
from handlers.reception import reception_gap

log = logging.getLogger("esafety.server")
SHUTDOWN_GRACE_SECONDS = 10.0


async def serve(settings: Settings, *, host: str = "0.0.0.0", stop: asyncio.Event | None = None) -> None:
    bot = await bootstrap(settings)
    await run_bot(bot, host=host, port=settings.port, stop=stop or stop_on_signals())


async def run_bot(bot: Bot, *, host: str, port: int, stop: asyncio.Event, started: asyncio.Event | None = None,
                  workers: bool = True) -> None:
    """Serve until `stop`. Without `workers` the server only accepts (benchmarks measure the
    webhook's own cost that way); accepted work waits durably in the Store."""
    runner = web.AppRunner(build_app(bot, workers=workers), shutdown_timeout=SHUTDOWN_GRACE_SECONDS, access_log=None)
    await runner.setup()
    try:
        site = web.TCPSite(runner, host, port)
        await site.start()
        store_kind = "Redis" if bot.settings.redis_url else f"SQLite ({bot.settings.db_path})"
        log.info("esafety-bot listening on %s:%d, store: %s", host, port, store_kind)
        for channel, state in bot.channel_report().items():
            (log.warning if "ANONYMOUS" in state else log.info)("channel %s: %s", channel, state)
        gap = reception_gap(await bot.store.list_people(), bot.messenger.channels)
        if gap is not None:
            log.error("NOBODY WILL RECEIVE REPORTS: %s. /readyz says degraded until this is fixed.", gap)
        if started is not None:
            started.set()
        await stop.wait()
        log.info("shutting down: finishing requests in flight")
    finally:
        await runner.cleanup()


def stop_on_signals() -> asyncio.Event:
    stop = asyncio.Event()
    loop = asyncio.get_running_loop()
    for sig in (signal.SIGTERM, signal.SIGINT):
        loop.add_signal_handler(sig, stop.set)
    return stop
