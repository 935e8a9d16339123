"""The safeguarding team's case commands, role-checked."""

from __future__ import annotations

from handlers.case_tools import case_command
from handlers.chat_verbs import Place, Use, use_verb
from handlers.concerns import Report, receive_report
from handlers.duties import Deps
from policy_text.catalog import SAY
from state.records import CaseState
from tests.fakes.recording_messenger import RecordingMessenger
from tests.handlers.conftest import SCHOOL, drain

STUDENT, TEACHER, LEAD, HEAD = SCHOOL[0], SCHOOL[3], SCHOOL[5], SCHOOL[7]


async def test_cases_case_and_close(school: Deps, messenger: RecordingMessenger) -> None:
    """A lead lists open cases, reads one with its chronology and words, and closes it."""
    reference = await receive_report(school, Report(reporter=STUDENT, text="the words of the report", origin="e1"))
    assert reference is not None
    await drain(school)
    asked = [("cases", ""), ("case", reference.lower()), ("close", f"{reference} no_further_action spoke with the family")]
    for n, (verb, args) in enumerate(asked):
        await case_command(school, LEAD, verb, args, event_id=f"e{n}")
        await drain(school)
    listing, details, closed = [m for p, m in messenger.to_people if p == LEAD.ref][-3:]
    assert (listing.key, listing.fields["count"], listing.lines[0][1]["reference"]) == ("case.list_header", 1, reference)
    assert [key for key, _ in details.lines][-1] == "case.report_text"
    assert closed.fields == {"reference": reference, "outcome": {SAY: "case.outcome_no_further_action"}}
    reads = [e.record for e in await school.store.read_audit() if e.record.action == "case.text_read"]
    assert [(r.actor, r.outcome) for r in reads] == [(str(LEAD.ref), reference)]  # who read the words, never the words
    assert "the words of the report" not in str(reads)
    case = await school.store.get_case(reference)
    assert case is not None
    assert case.state is CaseState.CLOSED


async def test_head_sees_no_words_unless_about_an_adult(school: Deps, messenger: RecordingMessenger) -> None:
    """The head reads details but not the child's words, except for a concern about an adult."""
    reference = await receive_report(school, Report(reporter=STUDENT, text="private words", origin="e2"))
    await case_command(school, HEAD, "case", str(reference), event_id="e1")
    await drain(school)
    details = [m for p, m in messenger.to_people if p == HEAD.ref][-1]
    assert "case.report_text" not in [key for key, _ in details.lines]
    assert [e for e in await school.store.read_audit() if e.record.action == "case.text_read"] == []


async def test_others_are_refused_and_audited(school: Deps, messenger: RecordingMessenger) -> None:
    """A teacher asking for `cases` is refused, and that is audited."""
    await use_verb(school, TEACHER, Use(verb="cases", event_id="e1"), Place.PRIVATE)
    await drain(school)
    assert [m.key for p, m in messenger.to_people if p == TEACHER.ref] == ["supervision.staff_only"]
    assert (await school.store.read_audit())[-1].record.action == "case.command_refused"
