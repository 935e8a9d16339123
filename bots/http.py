"""HTTP plumbing shared by every route: one log line per request, health and readiness, and the
answer an off channel gives.

The request log line has the method, path, status and time only: never a body or a query
string (a body can hold a child's report; a WeCom query holds signatures).
"""

from __future__ import annotations

import asyncio
import logging
import time
from collections.abc import Awaitable, Callable

from aiohttp import web

from handlers.reception import reception_gap
from state.store import Store, StoreUnavailable

log = logging.getLogger("esafety.http")
MAX_BODY_BYTES = 256 * 1024
READY_WITHIN_SECONDS = 1.0

Handler = Callable[[web.Request], Awaitable[web.StreamResponse]]


class Refused(Exception):
    """A webhook delivery refused with a fixed status and a short reason (never its body)."""

    def __init__(self, status: int, reason: str) -> None:
        super().__init__(reason)
        self.status = status
        self.reason = reason


@web.middleware
async def log_requests(request: web.Request, handler: Handler) -> web.StreamResponse:
    started = time.perf_counter()
    status = 500
    try:
        response = await handler(request)
        status = response.status
        return response
    except web.HTTPException as error:
        status = error.status
        raise
    finally:
        elapsed_ms = (time.perf_counter() - started) * 1000
        log.info("%s %s %d %.1fms", request.method, request.path, status, elapsed_ms)


async def healthz(request: web.Request) -> web.Response:
    """The process is up (liveness)."""
    return web.json_response({"status": "ok"})


def readiness(store: Store, channels: frozenset[str]) -> Handler:
    """/readyz. 503 only when this instance cannot accept work: the Store does not answer, or
    not within READY_WITHIN_SECONDS (a paused Redis must not hang the probe). 200 `degraded`
    with the reasons when it accepts work but a report would reach nobody (handlers/
    reception.py): a load balancer then keeps sending children's messages to a bot that
    answers them honestly, while staff see why."""

    async def readyz(request: web.Request) -> web.Response:
        try:
            async with asyncio.timeout(READY_WITHIN_SECONDS):
                await store.ping()
                people = await store.list_people()
        except TimeoutError:
            log.warning("readiness check failed: the Store did not answer within %.0f s", READY_WITHIN_SECONDS)
            return web.json_response({"status": "unavailable", "store": f"no answer within {READY_WITHIN_SECONDS:.0f} s"}, status=503)
        except (StoreUnavailable, OSError, ConnectionError) as error:
            log.warning("readiness check failed: %s", type(error).__name__)
            return web.json_response({"status": "unavailable", "store": "unreachable"}, status=503)
        gap = reception_gap(people, channels)
        if gap is not None:
            return web.json_response({"status": "degraded", "reasons": [gap]})
        return web.json_response({"status": "ready"})

    return readyz


def channel_off(channel: str, reason: str) -> Handler:
    """The route of a channel that is not configured: a clear 503, nothing processed."""

    async def answer(request: web.Request) -> web.Response:
        return web.json_response({"error": f"the {channel} channel is off", "reason": reason}, status=503)

    return answer
