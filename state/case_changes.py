"""How a case changes, written once for both backends: each returns a function from the stored
case to the new one (or None when the change does not apply), which the backend applies inside
its own atomic read-modify-write. The lifecycle's states and the moves between them are here and
nowhere else (004 strategies 9 and 13: received, delivered to a lead, acknowledged, closed)."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import replace

from state.records import Case, CaseState, CaseStep

CaseChange = Callable[[Case], Case | None]

OPEN = (CaseState.NEW, CaseState.DELIVERED, CaseState.ACKNOWLEDGED)
"""Not closed: what a lead still has to see through."""
UNACKNOWLEDGED = frozenset({CaseState.NEW, CaseState.DELIVERED})
"""Nobody has taken it on yet: the escalation chain is still running."""
FINISHED = frozenset({CaseState.ACKNOWLEDGED, CaseState.CLOSED})
"""Someone has taken it on: no more escalation."""
MOVES: dict[CaseState, frozenset[CaseState]] = {
    CaseState.DELIVERED: frozenset({CaseState.NEW}),
    CaseState.ACKNOWLEDGED: UNACKNOWLEDGED,
    CaseState.CLOSED: frozenset(OPEN),
}
"""Each state, and the states a case may move to it from."""


def add_step(step: CaseStep) -> CaseChange:
    return lambda case: replace(case, steps=(*case.steps, step))


def add_text(text: str, step: CaseStep) -> CaseChange:
    return lambda case: replace(case, text=f"{case.text}\n{text}", steps=(*case.steps, step))


def advance(to: CaseState, step: CaseStep) -> CaseChange:
    """Move on only from a state MOVES allows; acknowledging records who and when."""

    def change(case: Case) -> Case | None:
        if case.state not in MOVES[to]:
            return None
        moved = replace(case, state=to, steps=(*case.steps, step))
        if to is CaseState.ACKNOWLEDGED:
            moved = replace(moved, acknowledged_by=step.actor, acknowledged_at=step.at)
        return moved

    return change
