"""This instance is alive: a heartbeat in the Store, so another can take over its work at once.

Work in hand is leased (handlers/runtime/worker.py). If the instance dies, the lease is the bound on how
long its deliveries wait, and a lease must outlast the longest send with its retries (five
minutes by default): a child's reply or a lead's card would wait that long after a crash. So
each instance beats every HEARTBEAT_SECONDS, its claims carry its id, and an instance whose
beat is DEAD_AFTER_SECONDS old has its leased items taken over by a live one at once (004
strategy 9: concerns reach the lead immediately). The lease stays the bound for an instance
that is alive but stuck; nothing is taken from an instance that still beats.
"""

from __future__ import annotations

import asyncio
import logging
import os
import socket
import uuid
from contextlib import suppress

from state.store import Store

log = logging.getLogger(__name__)
HEARTBEAT_SECONDS = 5.0
DEAD_AFTER_SECONDS = 15.0


def instance_id() -> str:
    """Unique per process start: host, process id and a random part (never a '/')."""
    return f"{socket.gethostname().replace('/', '-')}-{os.getpid()}-{uuid.uuid4().hex[:6]}"


class Heartbeat:
    def __init__(self, store: Store, holder: str) -> None:
        self.store = store
        self.holder = holder

    async def beat(self) -> None:
        """One beat; a Store that does not answer is logged (the next beat tries again)."""
        try:
            await self.store.heartbeat(self.holder, alive_seconds=DEAD_AFTER_SECONDS)
        except Exception as error:
            log.warning("heartbeat of %s not recorded: %s", self.holder, type(error).__name__)

    async def run_until(self, stop: asyncio.Event) -> None:
        """Beat now, then every HEARTBEAT_SECONDS until `stop` (at least once, even if stopped)."""
        while True:
            await self.beat()
            with suppress(TimeoutError):
                await asyncio.wait_for(stop.wait(), HEARTBEAT_SECONDS)
            if stop.is_set():
                return

    async def stopped(self) -> None:
        """After the workers finished or handed on what they held: their leases are free now."""
        try:
            await self.store.heartbeat(self.holder, alive_seconds=0)
        except Exception as error:
            log.warning("%s could not record its stop (%s): its leases free up %.0f s after its last beat",
                        self.holder, type(error).__name__, DEAD_AFTER_SECONDS)
