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
from aiohttp.typedefs import Middleware

from handlers.auditor import describe, late_work
from handlers.reception import reception_gap
from handlers.tallies import WEBHOOK_REFUSED, Tallies
from state.clock import Clock
from state.store import Store

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


WEBHOOKS = {"/api/messages": "teams", "/wecom/callback": "wecom"}
REFUSAL_REASONS = {400: "malformed", 401: "unauthenticated", 403: "forbidden", 405: "method", 413: "too_large",
                   415: "content_type"}
"""A refused webhook delivery's /metrics reason, by status: a bad body, a missing or bad token, a
bad signature or a serviceUrl not allowed, a body over 256 KiB, a body that is not JSON."""


def log_requests(tallies: Tallies) -> Middleware:
    """One log line per request, and each webhook delivery answered 4xx counted (esafety_webhook_
    refused_total, aiohttp's own 413 included): a spike is an attack or a wrong secret, which IT
    should see. One middleware for both, so the webhook's own path pays for one, not two."""

    @web.middleware
    async def logging_and_counting(request: web.Request, handler: Handler) -> web.StreamResponse:
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
            if 400 <= status < 500 and (channel := WEBHOOKS.get(request.path)):
                tallies.count(WEBHOOK_REFUSED, channel=channel, reason=REFUSAL_REASONS.get(status, str(status)))

    return logging_and_counting


async def healthz(request: web.Request) -> web.Response:
    """The process is up (liveness)."""
    return web.json_response({"status": "ok"})


def readiness(store: Store, channels: frozenset[str], clock: Clock, margin_seconds: float) -> Handler:
    """/readyz. 503 only when this instance cannot accept work: the Store does not answer, or
    not within READY_WITHIN_SECONDS (a paused Redis must not hang the probe). 200 `degraded`
    with the reasons when it accepts work but the chain is broken: a report would reach nobody
    (handlers/reception.py), or due work is overdue (handlers/auditor.py: a worker stopped). A
    load balancer then keeps sending children's messages to a bot that answers them honestly,
    while staff see why."""

    async def readyz(request: web.Request) -> web.Response:
        try:
            async with asyncio.timeout(READY_WITHIN_SECONDS):
                await store.ping()
                people = await store.list_people()
                late = await late_work(store, clock.now(), margin_seconds)
        except TimeoutError:
            log.warning("readiness check failed: the Store did not answer within %.0f s", READY_WITHIN_SECONDS)
            return web.json_response({"status": "unavailable", "store": f"no answer within {READY_WITHIN_SECONDS:.0f} s"}, status=503)
        except Exception as error:  # any failure to read the Store (a Redis error included) is "unavailable", never a 500
            log.warning("readiness check failed: %s", type(error).__name__)
            return web.json_response({"status": "unavailable", "store": "unreachable"}, status=503)
        gap = reception_gap(people, channels)
        reasons = [reason for reason in (gap, describe(late, clock.now(), margin_seconds) if late else None) if reason]
        if reasons:
            return web.json_response({"status": "degraded", "reasons": reasons})
        return web.json_response({"status": "ready"})

    return readyz


def channel_off(channel: str, reason: str) -> Handler:
    """The route of a channel that is not configured: a clear 503, nothing processed."""

    async def answer(request: web.Request) -> web.Response:
        return web.json_response({"error": f"the {channel} channel is off", "reason": reason}, status=503)

    return answer
