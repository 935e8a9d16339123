"""Counts of what went wrong, shared by every instance: failed deliveries and refused webhooks.

IT sees them as /metrics counters (bots/metrics.py), read from the Store so every instance reports
the same totals. Counting must cost nothing on the path it counts: a flood of forged webhook
calls must not become a flood of database writes. So each instance counts in memory and adds its
counts to the Store's totals every FLUSH_SECONDS, and once more when it stops; a crash loses at
most that many seconds of counts, never a message.
"""

from __future__ import annotations

import asyncio
import json
import logging
from collections import Counter
from contextlib import suppress

from state.store import Store

log = logging.getLogger(__name__)
FLUSH_SECONDS = 5.0
DELIVERIES_FAILED = "deliveries_failed"
WEBHOOK_REFUSED = "webhook_refused"


def tally_name(metric: str, **labels: str) -> str:
    """One running total's name in the Store: the metric and its labels, in a fixed order."""
    return json.dumps([metric, labels], sort_keys=True, separators=(",", ":"))


def read_tally_name(name: str) -> tuple[str, dict[str, str]]:
    """The metric and labels of a running total's name."""
    metric, labels = json.loads(name)
    return str(metric), {str(key): str(value) for key, value in labels.items()}


class Tallies:
    """This instance's counts not yet added to the Store's totals."""

    def __init__(self) -> None:
        self._pending: Counter[str] = Counter()

    def count(self, metric: str, **labels: str) -> None:
        self._pending[tally_name(metric, **labels)] += 1

    async def flush(self, store: Store) -> None:
        """Add what was counted to the Store's totals; kept for the next flush if it cannot."""
        pending, self._pending = self._pending, Counter()
        if not pending:
            return
        try:
            await store.add_tallies(pending)
        except Exception as error:
            self._pending.update(pending)
            log.warning("%d count(s) not added to the shared totals yet: %s", sum(pending.values()), type(error).__name__)

    async def run_until(self, store: Store, stop: asyncio.Event) -> None:
        """Flush every FLUSH_SECONDS until `stop`, then a last time."""
        while not stop.is_set():
            with suppress(TimeoutError):
                await asyncio.wait_for(stop.wait(), FLUSH_SECONDS)
            await self.flush(store)
