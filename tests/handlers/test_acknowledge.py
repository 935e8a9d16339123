"""Acknowledging a case: the right people, once, and everyone sees it."""

from __future__ import annotations

import asyncio

from handlers.acknowledge import acknowledge
from handlers.chat_verbs import Place, Use, use_verb
from handlers.concerns import Report, receive_report
from handlers.duties import Deps
from state.due import Queue
from state.records import CaseState
from tests.fakes.recording_messenger import RecordingMessenger
from tests.handlers.conftest import SCHOOL, drain, keys_to, ref

STUDENT, TEACHER, LEAD = SCHOOL[0], SCHOOL[3], SCHOOL[5]


async def new_case(deps: Deps) -> str:
    reference = await receive_report(deps, Report(reporter=STUDENT, text="someone shared my photo", origin="e1"))
    assert reference is not None
    await drain(deps)
    return reference


async def test_only_safeguarding_roles_may_acknowledge(school: Deps, messenger: RecordingMessenger) -> None:
    """A teacher pressing Acknowledge is refused and audited; the case stays open."""
    reference = await new_case(school)
    await use_verb(school, TEACHER, Use(verb="ack", data={"case": reference}, event_id="e1"), Place.CARD)
    await drain(school)
    assert keys_to(messenger, TEACHER.ref) == ["case.ack_refused"]
    case = await school.store.get_case(reference)
    assert case is not None
    assert case.state is CaseState.DELIVERED
    assert (await school.store.read_audit())[-1].record.action == "case.ack_refused"


async def test_acknowledged_once_cards_updated_reporter_told_timers_cancelled(school: Deps, messenger: RecordingMessenger) -> None:
    """Two presses at once acknowledge once; every card shows who; the child hears a lead has
    seen it; escalation stops."""
    reference = await new_case(school)
    await asyncio.gather(acknowledge(school, LEAD, reference.lower(), event_id="e1"), acknowledge(school, LEAD, reference, event_id="e2"))
    await drain(school)
    case = await school.store.get_case(reference)
    assert case is not None
    assert (case.state, case.acknowledged_by) == (CaseState.ACKNOWLEDGED, "teams:lead")
    assert sorted(keys_to(messenger, LEAD.ref)[2:]) == ["case.ack_done", "case.already_acknowledged"]
    assert keys_to(messenger, STUDENT.ref) == ["report.received", "report.acknowledged"]
    ((_sent, card),) = messenger.updates
    assert card.lines[0][0] == "case.acknowledged_by"
    assert card.buttons == ()
    assert await school.store.get_due(Queue.TIMERS, f"{reference}|escalate|2") is None
    school.clock.advance(3600)  # type: ignore[attr-defined]
    await drain(school)
    assert keys_to(messenger, ref("deputy")) == []
    assert [e.record.action for e in await school.store.read_audit()].count("case.acknowledged") == 1
