"""How a case changes, written once for both backends: each returns a function from the stored
case to the new one (or None when the change does not apply), which the backend applies inside
its own atomic read-modify-write."""

from __future__ import annotations

from collections.abc import Callable, Collection
from dataclasses import replace

from state.records import Case, CaseState, CaseStep

CaseChange = Callable[[Case], Case | None]


def add_step(step: CaseStep) -> CaseChange:
    return lambda case: replace(case, steps=(*case.steps, step))


def add_text(text: str, step: CaseStep) -> CaseChange:
    return lambda case: replace(case, text=f"{case.text}\n{text}", steps=(*case.steps, step))


def advance(to: CaseState, allowed_from: Collection[CaseState], step: CaseStep) -> CaseChange:
    """Move on only from an allowed state; acknowledging records who and when."""

    def change(case: Case) -> Case | None:
        if case.state not in allowed_from:
            return None
        moved = replace(case, state=to, steps=(*case.steps, step))
        if to is CaseState.ACKNOWLEDGED:
            moved = replace(moved, acknowledged_by=step.actor, acknowledged_at=step.at)
        return moved

    return change
