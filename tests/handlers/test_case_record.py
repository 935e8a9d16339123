"""The case as a record: notes, assignment, close with an outcome and a reason, reopening; each
appended to the chronology and audited (without staff's words), on both Store backends."""

from __future__ import annotations

from dataclasses import replace

from handlers.case_keys import ESCALATIONS, CaseKeys
from handlers.case_record import CaseDesk, act_on_case
from handlers.case_tools import case_command
from handlers.concerns import Report, receive_report
from handlers.duties import Deps
from state.due import Queue
from state.records import CaseState, Outcome
from tests.fakes.recording_messenger import RecordingMessenger
from tests.handlers.conftest import SCHOOL, drain

STUDENT, TEACHER, LEAD, DEPUTY, HEAD = SCHOOL[0], SCHOOL[3], SCHOOL[5], SCHOOL[6], SCHOOL[7]
NOTE = "rang the family at 10:00, mum is coming in"
REASON = "spoke with mum and the class teacher, no referral needed"


async def reported(deps: Deps, origin: str = "r1") -> str:
    reference = await receive_report(deps, Report(reporter=STUDENT, text="the words of the report", origin=origin))
    assert reference is not None
    return reference


def desk(deps: Deps) -> CaseDesk:
    return CaseDesk(deps.store, deps.clock, deps.catalog)


async def audited(deps: Deps, prefix: str = "case.") -> list[tuple[str, str, dict[str, str]]]:
    return [(e.record.action, e.record.actor, e.record.detail) for e in await deps.store.read_audit() if e.record.action.startswith(prefix)]


async def test_a_note_is_appended_and_audited_without_its_words(school: Deps) -> None:
    reference = await reported(school)
    before = await school.store.get_case(reference)
    answer = await act_on_case(desk(school), LEAD, "note", f"{reference} {NOTE}", origin="m1")
    again = await act_on_case(desk(school), LEAD, "note", f"{reference} {NOTE}", origin="m1")  # the same message redelivered
    assert (answer.message.key, answer.done, again.done) == ("case.note_added", True, True)
    case = await school.store.get_case(reference)
    assert before is not None
    assert case is not None
    assert case.steps[:len(before.steps)] == before.steps  # nothing earlier changed
    assert case.text == before.text
    notes = [step for step in case.steps if step.action == "note"]
    assert [(step.actor, step.detail["note"]) for step in notes] == [(str(LEAD.ref), NOTE)]
    assert ("case.note", str(LEAD.ref), {}) in await audited(school)
    assert NOTE not in str(await school.store.read_audit())


async def test_the_head_notes_only_a_concern_about_an_adult(school: Deps) -> None:
    reference = await reported(school)
    refused = await act_on_case(desk(school), HEAD, "note", f"{reference} {NOTE}", origin="m1")
    assert (refused.message.key, refused.done) == ("case.note_head_adult_only", False)
    about_adult = await receive_report(school, Report(reporter=STUDENT, text="a teacher", origin="r2", about_adult=True))
    assert (await act_on_case(desk(school), HEAD, "note", f"{about_adult} {NOTE}", origin="m2")).done


async def test_close_needs_an_outcome_from_the_list_and_a_reason(school: Deps) -> None:
    reference = await reported(school)
    for n, args in enumerate([reference, f"{reference} police", f"{reference} sorted it out", f"{reference} banana {REASON}"]):
        answer = await act_on_case(desk(school), LEAD, "close", args, origin=f"m{n}")
        assert (answer.message.key, answer.done) == ("case.close_usage", False)
    case = await school.store.get_case(reference)
    assert case is not None
    assert case.state is CaseState.NEW  # nothing was written
    assert await audited(school, "case.closed") == []
    closed = await act_on_case(desk(school), LEAD, "close", f"{reference} parents_informed {REASON}", origin="m9")
    assert closed.done
    case = await school.store.get_case(reference)
    assert case is not None
    assert (case.state, case.outcome, case.steps[-1].detail["reason"]) == (CaseState.CLOSED, Outcome.PARENTS_INFORMED, REASON)
    assert await audited(school, "case.closed") == [("case.closed", str(LEAD.ref), {"outcome": "parents_informed"})]
    assert REASON not in str(await school.store.read_audit())
    timers = [await school.store.get_due(Queue.TIMERS, timer) for timer in CaseKeys(reference).escalation_timers()]
    assert timers == [None] * len(ESCALATIONS)  # closed: the chain is disarmed


async def test_an_outcome_may_be_named_in_words_in_either_language(school: Deps) -> None:
    first, second = await reported(school, "r1"), await reported(school, "r2")
    chinese_lead = replace(LEAD, locale="zh_CN")
    assert (await act_on_case(desk(school), chinese_lead, "close", f"{first} 已告知家长 已与母亲沟通", origin="m1")).done
    in_words = f"{second} referred to children's social care they take it on"
    assert (await act_on_case(desk(school), LEAD, "close", in_words, origin="m2")).done
    closed = [await school.store.get_case(reference) for reference in (first, second)]
    assert [(c.outcome, c.steps[-1].detail["reason"]) for c in closed if c is not None] == [
        (Outcome.PARENTS_INFORMED, "已与母亲沟通"), (Outcome.SOCIAL_CARE, "they take it on")]


async def test_reopen_a_closed_case_with_a_reason(school: Deps) -> None:
    reference = await reported(school)
    not_closed = await act_on_case(desk(school), LEAD, "reopen", f"{reference} new facts", origin="m1")
    assert (not_closed.message.key, not_closed.done) == ("case.not_closed", False)
    await act_on_case(desk(school), LEAD, "close", f"{reference} advice {REASON}", origin="m2")
    assert (await act_on_case(desk(school), DEPUTY, "reopen", reference, origin="m3")).message.key == "case.reopen_usage"
    reopened = await act_on_case(desk(school), DEPUTY, "reopen", f"{reference} the family called back", origin="m4")
    assert (reopened.message.key, reopened.done) == ("case.reopened", True)
    case = await school.store.get_case(reference)
    assert case is not None
    assert (case.state, case.outcome) == (CaseState.ACKNOWLEDGED, None)
    assert [a for a, _, _ in await audited(school)][-2:] == ["case.closed", "case.reopened"]
    again = await act_on_case(desk(school), LEAD, "close", f"{reference} social_care {REASON}", origin="m5")
    assert again.done  # closed again, with the new outcome; both closes stay in the chronology
    case = await school.store.get_case(reference)
    assert case is not None
    assert [s.detail.get("outcome") for s in case.steps if s.action == "closed"] == ["advice", "social_care"]


async def test_assign_to_a_named_member_of_the_safeguarding_staff(school: Deps, messenger: RecordingMessenger) -> None:
    reference = await reported(school)
    answer = await act_on_case(desk(school), LEAD, "assign", f"{reference} dee deputy", origin="m1")
    assert (answer.message.key, answer.done) == ("case.assigned", True)
    await drain(school)
    case = await school.store.get_case(reference)
    assert case is not None
    assert case.assigned_to == str(DEPUTY.ref)
    told = [m for p, m in messenger.to_people if p == DEPUTY.ref and m.key == "case.assigned_to_you"]
    assert [m.fields for m in told] == [{"reference": reference, "by": LEAD.name}]
    assert ("case.assigned", str(LEAD.ref), {"to": str(DEPUTY.ref)}) in await audited(school)
    for who in ("Tess Teacher", "Nobody Known", ""):  # a teacher is not safeguarding staff
        refused = await act_on_case(desk(school), LEAD, "assign", f"{reference} {who}", origin=f"m-{who}")
        assert (refused.message.key, refused.done) == ("case.assign_usage", False)
        assert "Dee Deputy" in refused.message.fields["staff"]
        assert "Tess Teacher" not in refused.message.fields["staff"]


async def test_in_chat_the_chronology_shows_notes_only_to_those_who_may_read_the_words(school: Deps,
                                                                                       messenger: RecordingMessenger) -> None:
    reference = await reported(school)
    await case_command(school, LEAD, "note", f"{reference} {NOTE}", event_id="m1")
    await case_command(school, LEAD, "close", f"{reference} advice {REASON}", event_id="m2")
    await case_command(school, LEAD, "case", reference, event_id="m3")
    await case_command(school, HEAD, "case", reference, event_id="m4")
    await drain(school)
    lead_view = [m for p, m in messenger.to_people if p == LEAD.ref][-1]
    head_view = [m for p, m in messenger.to_people if p == HEAD.ref][-1]
    assert ("case.step_note", {"note": NOTE}) in lead_view.lines
    assert ("case.step_reason", {"reason": REASON}) in lead_view.lines
    assert [key for key, _ in head_view.lines if key in ("case.step_note", "case.step_reason", "case.report_text")] == []
    assert "case.step_outcome" in [key for key, _ in head_view.lines]  # the decision itself is not confidential
