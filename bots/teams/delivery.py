"""Sending to Teams within its limits, and saying which failures are worth trying again.

Microsoft's "Rate limiting for bots" page (learn.microsoft.com/microsoftteams/platform/bots/
how-to/rate-limit) gives, per bot per conversation: 7 sends per second, 8 per 2 s, 60 per 30 s
and 1,800 per hour, and a global limit of 50 requests per second per app per tenant. It asks bots
to back off exponentially with jitter and to retry 429, 412, 502 and 504. botbuilder does not
retry (a 429 surfaces as ErrorResponseException, CHANNEL_NOTES.md T5), and neither does this
module: it reserves the slots (in the Store, shared by every instance on one Redis), makes one
attempt, and classifies a failure: `TryAgain` (with Teams' Retry-After) for what Teams asks to be
retried and for a network failure, `SendFailed` for the rest. The durable worker's retry policy
(handlers/runtime/worker.py) is the only loop, so no send sleeps while it holds a worker's slot.
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Awaitable, Callable, Iterator
from contextlib import contextmanager, nullcontext, suppress
from dataclasses import dataclass, field
from typing import TypeVar

from botframework.connector.models import ErrorResponseException
from msrest.exceptions import ClientRequestError

from handlers.outbox import FIRST_LANE
from handlers.runtime.retry import TryAgain, retry_after_seconds
from handlers.send_slots import take_send_slot
from state.store import Store

log = logging.getLogger("esafety.teams")
T = TypeVar("T")
CONVERSATION_WINDOWS = ((7, 1.0), (8, 2.0), (60, 30.0), (1800, 3600.0))
RETRYABLE_STATUS = frozenset({429, 412, 502, 504})
APP_SENDS_PER_SECOND = 50  # Microsoft's global limit per app per tenant


class SendFailed(Exception):
    """Teams refused or kept failing; the caller keeps the message durably with this error."""


class FirstLaneFirst:
    """The app-wide budget (50 sends a second per tenant) goes to first-lane sends (children's
    replies, urgent cases: handlers/outbox.py) before routine ones: while a first-lane send in
    this instance is taking the budget or sending, and for QUIET_SECONDS after the last one (the
    next is usually on its way), routine sends wait, each for ROUTINE_WAIT_SECONDS at most: a
    steady stream of replies to children must not hold a lead's card back indefinitely."""

    QUIET_SECONDS = 0.25
    ROUTINE_WAIT_SECONDS = 2.0

    def __init__(self) -> None:
        self._active = 0
        self._idle = asyncio.Event()
        self._idle.set()
        self._quiet: asyncio.TimerHandle | None = None

    @contextmanager
    def waiting(self) -> Iterator[None]:
        self._active += 1
        self._idle.clear()
        if self._quiet is not None:
            self._quiet.cancel()
            self._quiet = None
        try:
            yield
        finally:
            self._active -= 1
            if not self._active:
                self._quiet = asyncio.get_running_loop().call_later(self.QUIET_SECONDS, self._idle.set)

    async def none_waiting(self) -> None:
        with suppress(TimeoutError):
            await asyncio.wait_for(self._idle.wait(), self.ROUTINE_WAIT_SECONDS)


@dataclass(frozen=True)
class TeamsDelivery:
    store: Store
    sends_per_second: int = APP_SENDS_PER_SECOND
    conversation_windows: tuple[tuple[int, float], ...] = CONVERSATION_WINDOWS
    sleep: Callable[[float], Awaitable[None]] = asyncio.sleep
    priority: FirstLaneFirst = field(default_factory=FirstLaneFirst)

    async def send(self, conversation_id: str, operation: Callable[[], Awaitable[T]]) -> T:
        """One attempt, within this conversation's windows, then the app-wide rate (first-lane
        sends first)."""
        first = FIRST_LANE.get()
        await self._reserve(f"teams:conv:{conversation_id}", self.conversation_windows)
        if not first:
            await self.priority.none_waiting()
        try:
            with self.priority.waiting() if first else nullcontext():
                await self._reserve("teams:app", ((self.sends_per_second, 1.0),))
                return await operation()
        except ErrorResponseException as error:
            status = error.response.status if error.response is not None else 0  # aiohttp's answer
            if status in RETRYABLE_STATUS:
                raise TryAgain(f"Teams answered {status}", _retry_after(error)) from error
            raise SendFailed(f"Teams answered {status}") from error
        except (ClientRequestError, TimeoutError) as error:
            raise TryAgain(f"Teams unreachable: {type(error).__name__}") from error

    async def _reserve(self, bucket: str, windows: tuple[tuple[int, float], ...]) -> None:
        """A slot in `bucket`, shared by every instance on one Store (handlers/send_slots.py)."""
        await take_send_slot(self.store, bucket, windows, self.sleep)


def _retry_after(error: ErrorResponseException) -> float | None:
    return retry_after_seconds(error.response.headers.get("Retry-After") if error.response is not None else None)
