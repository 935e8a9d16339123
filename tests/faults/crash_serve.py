"""The real `serve` with one crash point armed: `python -m tests.faults.crash_serve`.

`ESAFETY_TEST_CRASH_AT=POINT:N` makes the process SIGKILL itself the Nth time it passes POINT,
the way a power cut or the kernel's OOM killer would stop it: no `finally`, no shutdown, no
flush. Only this launcher, which lives in the test suite, reads that variable; the product's
entry point (`esafety-bot serve`) carries no crash code. The hooks wrap the Store and the Teams
messenger classes before the server starts, so every instance the server opens has them.

The points are where a kill can hurt most (issue 17):
- `after_inbox_write`: an inbound activity is in the inbox, its HTTP answer not yet sent;
- `after_case_stored`: a report is a case (with its replies and cards queued), nobody told;
- `mid_delivery`: the channel has a message, the outbox has not yet marked it sent;
- `mid_escalation`: an escalation step is recorded, its timer not yet finished;
- `mid_reminder_claim`: a reminder's timer is claimed, nothing posted yet.
"""

from __future__ import annotations

import os
import signal
import sys
from collections.abc import Callable
from typing import Any

from bots import cli
from bots.teams.messenger import TeamsMessenger
from handlers.case_keys import EscalationStep
from handlers.reminders import FIRE
from state.case_lifecycle import Moved
from state.redis import RedisStore
from state.sqlite import SqliteStore

CRASH_AT = "ESAFETY_TEST_CRASH_AT"
STORES = (SqliteStore, RedisStore)
ESCALATED = {step.taken for step in EscalationStep if step is not EscalationStep.LEADS}

Condition = Callable[[Any], bool]


def _always(_: Any) -> bool:
    return True


def _escalated(result: Any) -> bool:
    return isinstance(result, Moved) and result.case.steps[-1].action in ESCALATED


def _reminder_claimed(claims: Any) -> bool:
    return any(claim.item.kind == FIRE for claim in claims)


POINTS: dict[str, list[tuple[type, str, Condition]]] = {
    "after_inbox_write": [(store, "accept_inbound", bool) for store in STORES],  # True: newly accepted
    "after_case_stored": [(store, "save_case_with_delivery", _always) for store in STORES],
    "mid_delivery": [(TeamsMessenger, "send_to_person", _always), (TeamsMessenger, "send_to_group", _always)],
    "mid_escalation": [(store, "change_case", _escalated) for store in STORES],
    "mid_reminder_claim": [(store, "claim_due", _reminder_claimed) for store in STORES],
}


class Countdown:
    """Kills the process on the `hits`th pass: earlier passes let a burst get under way."""

    def __init__(self, hits: int) -> None:
        self.left = hits

    def passed(self) -> None:
        self.left -= 1
        if self.left == 0:
            os.kill(os.getpid(), signal.SIGKILL)


def arm(point: str, countdown: Countdown) -> None:
    for owner, name, condition in POINTS[point]:
        original = getattr(owner, name)

        async def crashing(self: Any, *args: Any, _original: Any = original, _condition: Condition = condition, **kwargs: Any) -> Any:
            result = await _original(self, *args, **kwargs)
            if _condition(result):
                countdown.passed()
            return result

        setattr(owner, name, crashing)


def main() -> int:
    point, _, hits = os.environ[CRASH_AT].partition(":")
    if point not in POINTS:
        sys.exit(f"{CRASH_AT}: unknown point {point!r}; one of {sorted(POINTS)}")
    arm(point, Countdown(int(hits or 1)))
    return cli.main(["serve"])


if __name__ == "__main__":
    sys.exit(main())
