"""A case's lifecycle, in one place: received, delivered to a lead, acknowledged, closed, and
reopened (004 strategies 9 and 13; 000 §3). The report's words are never edited (only the
reporter's own later words are added); staff add to the record only as chronology steps, which
are appended and never changed. Shaped as a domain model: each action takes the case as
stored and returns the new case with the events it raised, or refuses with a named error.
The backends apply an action inside their own atomic read-modify-write, so a refusal writes
nothing, and of two racing actions the loser sees the winner's case and is refused.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, replace

from state.records import Case, CaseState, CaseStep, Outcome

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


class CaseRefused(Exception):
    """The action does not apply to the case as it stands; nothing was written. `case` is the
    case as stored (its words stay out of the message, as out of every log line)."""

    def __init__(self, case: Case) -> None:
        super().__init__(f"{case.reference} is {case.state.value}")
        self.case = case


class AlreadyDone(CaseRefused):
    """This very step is in the chronology already: the same event or delivery, retried."""


class AlreadyAcknowledged(CaseRefused):
    """Someone else took the case on first (`case.acknowledged_by`, `case.acknowledged_at`)."""


class ChainFinished(CaseRefused):
    """Acknowledged or closed: no escalation step applies any more."""


class NotOpen(CaseRefused):
    """Closed already."""


class NotClosed(CaseRefused):
    """Open still: there is nothing to reopen."""


@dataclass(frozen=True)
class CaseEvent:
    """What an action did: the chronology step it recorded and the state it left the case in."""

    reference: str
    step: CaseStep
    state: CaseState

    @property
    def name(self) -> str:
        """As the audit log names it."""
        return f"case.{self.step.action}"

    @property
    def ends_chain(self) -> bool:
        """Someone has the case (or it is closed): every escalation still to come is disarmed."""
        return self.step.action in ("acknowledged", "closed")


@dataclass(frozen=True)
class Moved:
    """An action's result: the case as it is now, and what happened to it."""

    case: Case
    events: tuple[CaseEvent, ...]

    @property
    def ends_chain(self) -> bool:
        return any(event.ends_chain for event in self.events)


CaseAction = Callable[[Case], Moved]
"""What the Store applies atomically to a stored case: an action with its step bound."""


def deliver(step: CaseStep) -> CaseAction:
    """A case message reached a reader (`step.detail["item"]`, once): the first moves it from new to delivered."""
    return lambda case: _record(case, step, CaseState.DELIVERED if case.state is CaseState.NEW else case.state)


def record_failure(step: CaseStep) -> CaseAction:
    """A case message could not be delivered at all: the lead sees it in the chronology."""
    return lambda case: _record(case, step, case.state)


def add_text(text: str, step: CaseStep) -> CaseAction:
    """The reporter's later words join the report (the original words stay as they were)."""
    return lambda case: _record(replace(case, text=f"{case.text}\n{text}"), step, case.state)


def escalate(step: CaseStep) -> CaseAction:
    """Nobody acknowledged in time: the next step is taken, once, unless someone has the case now."""

    def act(case: Case) -> Moved:
        if case.state in FINISHED:
            raise ChainFinished(case)
        return _record(case, step, case.state)

    return act


def acknowledge(step: CaseStep) -> CaseAction:
    """A lead has it: who and when are kept on the case; a second lead is told who was first."""

    def act(case: Case) -> Moved:
        _refuse_retry(case, step)
        if case.state not in MOVES[CaseState.ACKNOWLEDGED]:
            raise AlreadyAcknowledged(case) if case.state is CaseState.ACKNOWLEDGED else NotOpen(case)
        return _record(replace(case, acknowledged_by=step.actor, acknowledged_at=step.at), step, CaseState.ACKNOWLEDGED)

    return act


def close(step: CaseStep, outcome: Outcome) -> CaseAction:
    """The case is closed with its outcome (the reason is in `step.detail`); it stays closed until reopened."""

    def act(case: Case) -> Moved:
        if case.state not in MOVES[CaseState.CLOSED]:
            raise NotOpen(case)
        return _record(replace(case, outcome=outcome), step, CaseState.CLOSED)

    return act


def reopen(step: CaseStep) -> CaseAction:
    """A closed case is taken up again, by whoever reopens it if nobody had acknowledged it, from
    now (the review time runs from the reopening); the escalation chain does not restart."""

    def act(case: Case) -> Moved:
        if case.state is not CaseState.CLOSED:
            raise NotClosed(case)
        taken = replace(case, acknowledged_by=case.acknowledged_by or step.actor, acknowledged_at=step.at)  # held again from now
        return _record(replace(taken, outcome=None), step, CaseState.ACKNOWLEDGED)

    return act


def read(step: CaseStep) -> CaseAction:
    """Someone was shown the report's words (`step.detail["how"]`): the read trail, at any state."""
    return lambda case: _record(case, step, case.state)


def remind(step: CaseStep) -> CaseAction:
    """Acknowledged and still open after the review time: the re-alert is in the chronology."""

    def act(case: Case) -> Moved:
        if case.state is not CaseState.ACKNOWLEDGED:
            raise NotOpen(case) if case.state is CaseState.CLOSED else ChainFinished(case)
        return _record(case, step, case.state)

    return act


def note(step: CaseStep) -> CaseAction:
    """A member of the safeguarding staff adds to the record (`step.detail["note"]`), at any state."""
    return lambda case: _record(case, step, case.state)


def assign(step: CaseStep, to: str) -> CaseAction:
    """An open case is given to a named member of the safeguarding staff."""

    def act(case: Case) -> Moved:
        if case.state not in OPEN:
            raise NotOpen(case)
        return _record(replace(case, assigned_to=to), step, case.state)

    return act


def _record(case: Case, step: CaseStep, state: CaseState) -> Moved:
    _refuse_retry(case, step)
    moved = replace(case, state=state, steps=(*case.steps, step))
    return Moved(moved, (CaseEvent(case.reference, step, state),))


def _refuse_retry(case: Case, step: CaseStep) -> None:
    """A step is the same as an earlier one when both have the same action and actor and come
    from the same event or outbox item; a step from neither (an escalation step) happens once."""
    origin = _origin(step)
    if any(earlier.action == step.action and _origin(earlier) == origin for earlier in case.steps):
        raise AlreadyDone(case)


def _origin(step: CaseStep) -> tuple[str, str]:
    return step.actor, step.detail.get("event") or step.detail.get("item") or ""
