"""The one retry policy, and the failures a handler or a channel tells the worker apart: give up
now (PermanentFailure), try again, counted (TryAgain, or any other exception), or wait for a
recipient without counting (RetryLater)."""

from __future__ import annotations

import random
import time
from dataclasses import dataclass
from email.utils import parsedate_to_datetime


class PermanentFailure(Exception):
    """The handler knows retrying cannot help (e.g. the recipient does not exist): park it."""


class TryAgain(Exception):
    """A channel's answer that the same send may work later (Teams' 429/412/502/504, a network
    failure, WeCom's frequency limit): a counted attempt, tried again after `after_seconds` when
    the channel named a time (Retry-After), else after the policy's back-off. Channels only say
    this; the worker is the one place that waits and tries again."""

    after_seconds: float | None = None

    def __init__(self, reason: str, after_seconds: float | None = None) -> None:
        super().__init__(reason)
        self.after_seconds = after_seconds


def retry_after_seconds(header: str | None, *, now: float | None = None) -> float | None:
    """A Retry-After header's wait in seconds: a number of seconds (what Teams sends), or an
    HTTP date (RFC 9110 allows either) counted from `now` (the epoch seconds; the real time by
    default). None when there is none or it cannot be read: the policy's back-off applies then."""
    if header is None:
        return None
    try:
        return max(0.0, float(header))
    except ValueError:
        pass
    try:
        when = parsedate_to_datetime(header)
    except (TypeError, ValueError):
        return None
    return max(0.0, when.timestamp() - (time.time() if now is None else now))


class RetryLater(Exception):
    """The handler knows when trying again makes sense (a recipient who cannot be reached yet):
    the item waits `delay_seconds` with the reason, however often that happens; it is never
    parked for it, and anything that makes it worth trying sooner can redrive it."""

    def __init__(self, reason: str, delay_seconds: float, *, routine: bool = False) -> None:
        super().__init__(reason)
        self.delay_seconds = delay_seconds
        self.routine = routine  # an ordinary wait (the words behind their card), not something to warn about


@dataclass(frozen=True)
class RetryPolicy:
    """The one retry loop of the bot: every failed attempt of any item comes back here. Waits grow
    exponentially (with jitter, at most 5 minutes); a channel's Retry-After is a floor, never a
    shortcut, so a burst of 429s does not use the attempts up in seconds. After 10 attempts (7 to
    14 minutes of trying) an item that keeps failing is parked, where a person sees it."""

    max_attempts: int = 10
    base_seconds: float = 2.0
    cap_seconds: float = 300.0

    def delay(self, attempts: int, asked: float | None = None) -> float:
        """Exponential back-off with equal jitter (between half and all of the ceiling, so the
        attempts always span minutes), at least what the channel asked for (spread a little, so
        many throttled sends do not all come back at once); capped."""
        ceiling = min(self.cap_seconds, self.base_seconds * 2**attempts)
        backoff = random.uniform(ceiling / 2, ceiling)
        if asked is None:
            return backoff
        return min(self.cap_seconds, max(backoff, max(0.0, asked) * random.uniform(1.0, 1.2)))
