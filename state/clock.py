"""The one source of 'now'. Policy timing (escalation after 15 minutes, a reminder at 09:00)
reads an injected clock, so tests and the demo move time forward instead of sleeping."""

from __future__ import annotations

import asyncio
from datetime import UTC, datetime, timedelta
from typing import Protocol


class Clock(Protocol):
    def now(self) -> datetime:
        """The current time, time-zone aware (UTC)."""


class SystemClock:
    def now(self) -> datetime:
        return datetime.now(UTC)


class ManualClock:
    """A clock that only moves when told to: for tests and the demo's fast-forward."""

    def __init__(self, start: datetime) -> None:
        if start.tzinfo is None:
            raise ValueError("ManualClock needs an aware start time")
        self._now = start

    def now(self) -> datetime:
        return self._now

    def advance(self, seconds: float) -> datetime:
        self._now += timedelta(seconds=seconds)
        return self._now

    async def sleep(self, seconds: float) -> None:
        """Waiting (e.g. for a send slot) moves this clock on instead of spending real time. Waits
        that overlap move it as real waits would: to the latest wake-up, not by their sum."""
        wake = self._now + timedelta(seconds=seconds)
        await asyncio.sleep(0)
        self._now = max(self._now, wake)
