"""One table from event type to the duties it triggers, and the loop that runs them.

Each duty is isolated: one that fails is logged with the event id and the others still run.
A duty marked critical (concern routing: a child's report) is different: its failure is an
ERROR and is raised, so the caller leaves the event queued for a retry instead of losing it.
"""

from __future__ import annotations

import logging
import traceback
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Any

from handlers.duties import Deps, Duty
from handlers.events import Event
from state.due import OUTBOX_LANES, Queue

log = logging.getLogger(__name__)


@dataclass(frozen=True)
class Route:
    duty: Duty[Any]
    critical: bool = False


class DutyFailed(RuntimeError):
    """A critical duty failed; the event must be retried, not dropped."""


class Dispatcher:
    def __init__(self, routes: Mapping[type[Event], Sequence[Route]], deps: Deps) -> None:
        self._routes = routes
        self._deps = deps

    async def dispatch(self, event: Event) -> int:
        """Run every duty for `event`; return how many ran without error."""
        succeeded = 0
        for route in self._routes.get(type(event), ()):
            name = getattr(route.duty, "__qualname__", repr(route.duty))
            try:
                await route.duty(event, self._deps)
            except Exception as error:
                where = _where(error)
                if route.critical:
                    log.error("critical duty %s failed for event %s: %s at %s", name, event.event_id, type(error).__name__, where)
                    raise DutyFailed(f"{name} failed for event {event.event_id}") from error
                log.warning("duty %s failed for event %s: %s at %s", name, event.event_id, type(error).__name__, where)
            else:
                succeeded += 1
        self._deps.doorbell.ring(*OUTBOX_LANES, Queue.TIMERS)  # the duties may have queued messages or timers: take them now
        return succeeded


def _where(error: BaseException) -> str:
    """Where the error was raised, without its message: an exception's message could quote a
    report, and report text never reaches a log line."""
    frames = traceback.extract_tb(error.__traceback__)
    return f"{frames[-1].filename}:{frames[-1].lineno}" if frames else "?"
