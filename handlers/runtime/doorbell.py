"""The doorbell: wakes this process's workers when work was just queued here."""

from __future__ import annotations

import asyncio

from state.due import Queue


class Doorbell:
    """Wakes this process's workers when work was just queued here (a child's report, a WeCom
    callback, a timer's follow-up), so it is taken at once rather than at the next poll. Other
    instances still find shared work by polling the Store: the bell is only a shortcut."""

    def __init__(self) -> None:
        self._bells = {queue: asyncio.Event() for queue in Queue}

    def ring(self, *queues: Queue) -> None:
        """Wake the workers of `queues` (all, if none is named)."""
        for queue in queues or tuple(Queue):
            self._bells[queue].set()

    def bell(self, queue: Queue) -> asyncio.Event:
        return self._bells[queue]
