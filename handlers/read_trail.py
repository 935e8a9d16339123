"""Who has seen a report's words (004 strategy 13: the record a school can stand behind; 004
objective 11's rule for recordings — viewed only with good reason — applied to a child's words).

Every reading is a step of the case's chronology — who, when and how — written with its audit
record in one step: `case C-…` in a 1:1, `cases show` or `cases export` with the words at the
command line, or a child's record exported for their new school. With the deliveries of the
words themselves (already in the chronology), they answer "who has seen this report?".
"""

from __future__ import annotations

import contextlib

from handlers.audit import decision
from handlers.case_keys import CaseKeys
from state import case_lifecycle as lifecycle
from state.case_lifecycle import Moved
from state.clock import Clock
from state.effects import Effects
from state.records import Case, CaseStep
from state.store import Store

CLAUSE = "004 strategy 13"
CHAT, CLI_SHOW, CLI_EXPORT, TRANSFER, CONSOLE, DELIVERED = "chat", "cli_show", "cli_export", "transfer", "console", "delivered"
"""How the words were seen: in a 1:1 (`case C-…`), at the command line (show, export, a child's
record exported for a new school), on the web console (shown or exported), or delivered."""


async def record_reading(store: Store, clock: Clock, case: Case, *, reader: str, reader_role: str, how: str, origin: str) -> None:
    """`reader` was shown `case`'s words just now, asked for by `origin` (once per origin)."""
    step = CaseStep(at=clock.now(), action="read", actor=reader, detail={"how": how, "event": origin})

    def audited(moved: Moved) -> Effects:
        return Effects(audit=tuple(decision(clock, action="case.text_read", actor=reader, actor_role=reader_role, clause=CLAUSE,
                                            outcome=case.reference, detail={"how": how}) for _ in moved.events))

    with contextlib.suppress(lifecycle.AlreadyDone):
        await store.change_case(case.reference, lifecycle.read(step), audited)


def readings(case: Case) -> list[tuple[CaseStep, str]]:
    """Every time the words reached someone, in order, with how: delivered to them, or read."""
    keys = CaseKeys(case.reference)
    return [(step, DELIVERED if step.action == "delivered" else step.detail.get("how", ""))
            for step in case.steps
            if step.action == "read" or (step.action == "delivered" and keys.carries_words(step.detail.get("item", "")))]
