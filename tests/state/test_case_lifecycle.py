"""The case lifecycle: which action applies to which state, what each records and raises, and
the named refusal when it does not apply (the same action retried included)."""

from __future__ import annotations

from dataclasses import replace

import pytest

from state import case_lifecycle as lifecycle
from state.case_lifecycle import MOVES, CaseAction
from state.models import PersonRef, Role
from state.records import Case, CaseState, CaseStep, Outcome
from tests.conftest import START

CASE = Case(reference="C-2026-000001", reporter=PersonRef("teams", "s1"), reporter_role=Role.STUDENT, received_at=START, text="words")
STEP = CaseStep(at=START, action="moved", actor="teams:lead")
MOVING = {CaseState.ACKNOWLEDGED: lifecycle.acknowledge(replace(STEP, action="acknowledged")),
          CaseState.CLOSED: lifecycle.close(replace(STEP, action="closed"), Outcome.ADVICE)}


@pytest.mark.parametrize("source", list(CaseState))
@pytest.mark.parametrize("target", list(MOVING))
def test_a_case_moves_only_as_the_table_allows(source: CaseState, target: CaseState) -> None:
    act = MOVING[target]
    if source in MOVES[target]:
        moved = act(replace(CASE, state=source))
        assert (moved.case.state, [event.state for event in moved.events]) == (target, [target])
        assert moved.case.steps[-1].action == moved.events[0].step.action
    else:
        with pytest.raises(lifecycle.CaseRefused) as refused:
            act(replace(CASE, state=source))
        assert refused.value.case.state is source


def test_the_lifecycle_runs_one_way() -> None:
    """Received, delivered, acknowledged (who and when), closed; never back, never acknowledged twice."""
    delivered = lifecycle.deliver(replace(STEP, action="delivered", detail={"item": "card"}))(CASE).case
    assert delivered.state is CaseState.DELIVERED
    acknowledged = lifecycle.acknowledge(replace(STEP, action="acknowledged", detail={"event": "e1"}))(delivered)
    assert (acknowledged.case.acknowledged_by, acknowledged.case.acknowledged_at) == ("teams:lead", START)
    assert [event.name for event in acknowledged.events] == ["case.acknowledged"]
    assert acknowledged.ends_chain
    with pytest.raises(lifecycle.AlreadyAcknowledged):
        lifecycle.acknowledge(replace(STEP, action="acknowledged", detail={"event": "e2"}))(acknowledged.case)
    later = lifecycle.deliver(replace(STEP, action="delivered", detail={"item": "words"}))(acknowledged.case).case
    assert later.state is CaseState.ACKNOWLEDGED  # a late delivery is recorded, and moves nothing back
    closed = lifecycle.close(replace(STEP, action="closed"), Outcome.ADVICE)(later).case
    with pytest.raises(lifecycle.NotOpen):
        lifecycle.close(replace(STEP, action="closed"), Outcome.ADVICE)(closed)
    with pytest.raises(lifecycle.NotOpen):
        lifecycle.acknowledge(replace(STEP, action="acknowledged", detail={"event": "e3"}))(closed)


ONCE: list[tuple[str, CaseAction]] = [
    ("delivery", lifecycle.deliver(replace(STEP, action="delivered", detail={"item": "C|card"}))),
    ("failure", lifecycle.record_failure(replace(STEP, action="delivery_failed", detail={"item": "C|card"}))),
    ("words added", lifecycle.add_text("again", replace(STEP, action="text_added", detail={"event": "m2"}))),
    ("escalation", lifecycle.escalate(replace(STEP, action="escalated_to_deputies"))),
    ("acknowledgement", lifecycle.acknowledge(replace(STEP, action="acknowledged", detail={"event": "e1"}))),
]


@pytest.mark.parametrize(("what", "act"), ONCE, ids=[what for what, _ in ONCE])
def test_the_same_step_retried_is_refused_as_already_done(what: str, act: CaseAction) -> None:
    once = act(CASE).case
    with pytest.raises(lifecycle.AlreadyDone):
        act(once)
    assert len(once.steps) == 1


def test_words_added_keep_the_original_report() -> None:
    added = lifecycle.add_text("it happened again", replace(STEP, action="text_added", detail={"event": "m2"}))(CASE)
    assert added.case.text == "words\nit happened again"
    assert not added.ends_chain


@pytest.mark.parametrize("state", sorted(lifecycle.FINISHED))
def test_no_escalation_once_someone_has_the_case(state: CaseState) -> None:
    with pytest.raises(lifecycle.ChainFinished):
        lifecycle.escalate(replace(STEP, action="escalated_to_head"))(replace(CASE, state=state))


def test_a_refusal_never_shows_the_words() -> None:
    with pytest.raises(lifecycle.CaseRefused) as refused:
        lifecycle.close(STEP, Outcome.ADVICE)(replace(CASE, state=CaseState.CLOSED))
    assert "words" not in str(refused.value)
    assert "words" not in repr(refused.value)


def test_close_records_the_outcome_and_reopen_takes_the_case_up_again() -> None:
    """Closed with an outcome; reopened, the outcome is cleared, the reopener has it if nobody
    had acknowledged, and the chronology keeps both steps as they were."""
    closing = replace(STEP, action="closed", detail={"outcome": "police", "reason": "r", "event": "e1"})
    closed = lifecycle.close(closing, Outcome.POLICE)(CASE).case
    assert (closed.state, closed.outcome) == (CaseState.CLOSED, Outcome.POLICE)
    reopening = CaseStep(at=START, action="reopened", actor="teams:deputy", detail={"reason": "new facts", "event": "e2"})
    reopened = lifecycle.reopen(reopening)(closed)
    assert (reopened.case.state, reopened.case.outcome, reopened.case.acknowledged_by) == (CaseState.ACKNOWLEDGED, None, "teams:deputy")
    assert not reopened.ends_chain  # the chain does not restart: someone has it
    assert reopened.case.steps == (closing, reopening)
    with pytest.raises(lifecycle.NotClosed):
        lifecycle.reopen(replace(reopening, detail={"reason": "again", "event": "e3"}))(reopened.case)


def test_notes_and_assignment_only_append() -> None:
    """A note applies at any state, even closed; an assignment only to an open case. Neither
    changes the report's words or any earlier step."""
    noted = lifecycle.note(replace(STEP, action="note", detail={"note": "n1", "event": "e1"}))(CASE).case
    assigned = lifecycle.assign(replace(STEP, action="assigned", detail={"to": "teams:deputy", "event": "e2"}), "teams:deputy")(noted).case
    assert (assigned.assigned_to, assigned.text, assigned.steps[0]) == ("teams:deputy", CASE.text, noted.steps[0])
    closed = replace(assigned, state=CaseState.CLOSED)
    assert lifecycle.note(replace(STEP, action="note", detail={"note": "n2", "event": "e3"}))(closed).case.state is CaseState.CLOSED
    with pytest.raises(lifecycle.NotOpen):
        lifecycle.assign(replace(STEP, action="assigned", detail={"event": "e4"}), "teams:lead")(closed)
    with pytest.raises(lifecycle.AlreadyDone):  # the same message retried adds nothing
        lifecycle.note(replace(STEP, action="note", detail={"note": "n1", "event": "e1"}))(noted)
