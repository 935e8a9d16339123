"""Acknowledged is not finished: an acknowledged case still open after the review time re-alerts
whoever has it, again each repeat until closed; a reopened case is reviewed again; the digest
lists such cases. On both Store backends, with the injected clock."""

from __future__ import annotations

from datetime import timedelta

from handlers.acknowledge import acknowledge
from handlers.case_keys import CaseKeys
from handlers.case_record import CaseDesk, act_on_case
from handlers.case_review import arm_reviews
from handlers.concerns import Report, receive_report
from handlers.digest import week_lines
from handlers.duties import Deps
from state.due import Queue
from tests.fakes.recording_messenger import RecordingMessenger
from tests.handlers.conftest import SCHOOL, drain

STUDENT, LEAD, DEPUTY = SCHOOL[0], SCHOOL[5], SCHOOL[6]


def alerts(messenger: RecordingMessenger) -> list[tuple[str, str]]:
    return [(str(p), m.fields["reference"]) for p, m in messenger.to_people if m.key == "case.review_due"]


def advance(deps: Deps, **delta: float) -> None:
    deps.clock.advance(timedelta(**delta).total_seconds())  # type: ignore[attr-defined]


async def acknowledged_case(deps: Deps) -> str:
    reference = await receive_report(deps, Report(reporter=STUDENT, text="the words", origin="r1"))
    assert reference is not None
    await acknowledge(deps, LEAD, reference, event_id="a1")
    await drain(deps)
    return reference


async def test_re_alerts_after_the_review_time_and_again_until_closed(school: Deps, messenger: RecordingMessenger) -> None:
    reference = await acknowledged_case(school)
    advance(school, days=school.cases.review_days, seconds=-1)
    await drain(school)
    assert alerts(messenger) == []
    advance(school, seconds=1)
    await drain(school)
    assert alerts(messenger) == [(str(LEAD.ref), reference)]
    advance(school, hours=school.cases.review_repeat_hours)
    await drain(school)
    assert alerts(messenger) == [(str(LEAD.ref), reference)] * 2
    case = await school.store.get_case(reference)
    assert case is not None
    assert [s.action for s in case.steps].count("review_reminded") == 2
    assert [e.record.action for e in await school.store.read_audit()].count("case.review_due") == 2
    closed = await act_on_case(CaseDesk(school.store, school.clock, school.catalog), LEAD, "close", f"{reference} advice talked it through",
                               origin="c1")
    assert closed.done
    assert await school.store.get_due(Queue.TIMERS, CaseKeys(reference).review_timer()) is None
    advance(school, days=30)
    await drain(school)
    assert len(alerts(messenger)) == 2  # closed: no more


async def test_the_assignee_is_told_too_and_a_reopened_case_is_reviewed_again(school: Deps, messenger: RecordingMessenger) -> None:
    reference = await acknowledged_case(school)
    desk = CaseDesk(school.store, school.clock, school.catalog, school.cases.review_days)
    assert (await act_on_case(desk, LEAD, "assign", f"{reference} Dee Deputy", origin="s1")).done
    assert (await act_on_case(desk, LEAD, "close", f"{reference} advice sorted", origin="s2")).done
    advance(school, days=2)
    assert (await act_on_case(desk, DEPUTY, "reopen", f"{reference} new facts", origin="s3")).done
    advance(school, days=school.cases.review_days - 1)
    await drain(school)
    assert alerts(messenger) == []  # the review time runs from the reopening
    advance(school, days=1)
    await drain(school)
    assert sorted(alerts(messenger)) == [(str(DEPUTY.ref), reference), (str(LEAD.ref), reference)]


async def test_the_digest_lists_acknowledged_cases_still_open_past_the_review_time(school: Deps) -> None:
    reference = await acknowledged_case(school)
    now = school.clock.now()
    assert "digest.review_line" not in [key for key, _ in await week_lines(school, now - timedelta(days=7), now)]
    later = now + timedelta(days=school.cases.review_days)
    ((_, fields),) = [(k, f) for k, f in await week_lines(school, later - timedelta(days=7), later) if k == "digest.review_line"]
    assert (fields["reference"], fields["class_name"]) == (reference, "5A")
    assert school.catalog.say("digest.review_line", "en", **fields).startswith(
        f"Acknowledged but still open {reference}: acknowledged about 7 days ago by Lee Lead (safeguarding lead), class 5A.")


async def test_cases_acknowledged_before_this_version_get_their_review_at_start_up(school: Deps, messenger: RecordingMessenger) -> None:
    reference = await acknowledged_case(school)
    timer = CaseKeys(reference).review_timer()
    assert await school.store.cancel_due(Queue.TIMERS, timer)  # as a case acknowledged by an older version has none
    await arm_reviews(school)
    armed = await school.store.get_due(Queue.TIMERS, timer)
    assert armed is not None
    assert armed.due_at == school.clock.now() + timedelta(days=school.cases.review_days)
    advance(school, days=school.cases.review_days)
    await drain(school)
    assert alerts(messenger) == [(str(LEAD.ref), reference)]
