"""The case lifecycle's moves, in one table: which state a case may move to from which."""

from __future__ import annotations

from dataclasses import replace

import pytest

from state.case_changes import MOVES, advance
from state.models import PersonRef, Role
from state.records import Case, CaseState, CaseStep
from tests.conftest import START

CASE = Case(reference="C-2026-000001", reporter=PersonRef("teams", "s1"), reporter_role=Role.STUDENT, received_at=START, text="words")
STEP = CaseStep(at=START, action="moved", actor="teams:lead")


@pytest.mark.parametrize("source", list(CaseState))
@pytest.mark.parametrize("target", list(MOVES))
def test_a_case_moves_only_as_the_table_allows(source: CaseState, target: CaseState) -> None:
    moved = advance(target, STEP)(replace(CASE, state=source))
    assert (moved is not None) == (source in MOVES[target])
    if moved is not None:
        assert (moved.state, moved.steps[-1]) == (target, STEP)


def test_the_lifecycle_runs_one_way() -> None:
    """Received, delivered, acknowledged (who and when), closed; never back, never acknowledged twice."""
    acknowledged = advance(CaseState.ACKNOWLEDGED, STEP)(replace(CASE, state=CaseState.DELIVERED))
    assert acknowledged is not None
    assert (acknowledged.acknowledged_by, acknowledged.acknowledged_at) == ("teams:lead", START)
    assert advance(CaseState.ACKNOWLEDGED, STEP)(acknowledged) is None
    assert advance(CaseState.DELIVERED, STEP)(acknowledged) is None
    closed = advance(CaseState.CLOSED, STEP)(acknowledged)
    assert closed is not None
    assert advance(CaseState.CLOSED, STEP)(closed) is None
