"""The safeguarding queue: open cases sorted into overdue, new, delivered and acknowledged, with
class, age and the next escalation's time, on both Store backends."""

from __future__ import annotations

from datetime import timedelta

from handlers.acknowledge import acknowledge
from handlers.case_queue import ACKNOWLEDGED, DELIVERED, NEW, OVERDUE, case_queue, may_see_queue
from handlers.case_record import CaseDesk, act_on_case
from handlers.concerns import Report, receive_report
from handlers.drill import drill_item, run_drill
from handlers.duties import Deps
from state.models import Person, Role
from tests.handlers.conftest import SCHOOL, drain

STUDENT, LEAD = SCHOOL[0], SCHOOL[5]


async def reported(deps: Deps, origin: str) -> str:
    reference = await receive_report(deps, Report(reporter=STUDENT, text=f"worry {origin}", origin=origin))
    assert reference is not None
    return reference


async def sections(deps: Deps) -> dict[str, str]:
    return {row.case.reference: row.section for row in await case_queue(deps.store, deps.clock, deps.cases.review_days)}


async def test_a_case_moves_through_the_queue_as_the_chain_runs(school: Deps) -> None:
    reference = await reported(school, "r1")
    [row] = await case_queue(school.store, school.clock, school.cases.review_days)
    assert (row.section, row.class_name, row.age) == (NEW, "5A", timedelta(0))  # the class from the reporter's roster entry
    assert row.next_escalation == school.clock.now() + timedelta(seconds=school.cases.ack_timeout_seconds)
    await drain(school)
    assert await sections(school) == {reference: DELIVERED}
    school.clock.advance(school.cases.ack_timeout_seconds)  # type: ignore[attr-defined]
    await drain(school)
    [row] = await case_queue(school.store, school.clock, school.cases.review_days)
    assert row.section == OVERDUE  # nobody acknowledged in time: the deputies have it now
    assert row.next_escalation == school.clock.now() + timedelta(seconds=school.cases.second_escalation_seconds)
    assert row.age == timedelta(seconds=school.cases.ack_timeout_seconds)
    await acknowledge(school, LEAD, reference, event_id="ack-1")
    [row] = await case_queue(school.store, school.clock, school.cases.review_days)
    assert (row.section, row.next_escalation) == (ACKNOWLEDGED, None)
    assert row.review_due == school.clock.now() + timedelta(days=school.cases.review_days)


async def test_an_acknowledged_case_past_its_review_is_overdue_and_a_closed_one_leaves(school: Deps) -> None:
    first, second = await reported(school, "r1"), await reported(school, "r2")
    for reference in (first, second):
        await acknowledge(school, LEAD, reference, event_id=f"ack-{reference}")
    school.clock.advance(school.cases.review_days * 86_400)  # type: ignore[attr-defined]
    assert await sections(school) == {first: OVERDUE, second: OVERDUE}
    desk = CaseDesk(school.store, school.clock, school.catalog)
    assert (await act_on_case(desk, LEAD, "close", f"{first} advice talked it through", origin="close-1")).done
    assert await sections(school) == {second: OVERDUE}


async def test_overdue_comes_first_then_oldest_first(school: Deps) -> None:
    old = await reported(school, "r1")
    await drain(school)
    school.clock.advance(school.cases.ack_timeout_seconds)  # type: ignore[attr-defined]
    await drain(school)
    newer = await reported(school, "r2")
    await acknowledge(school, LEAD, newer, event_id="ack-newer")
    newest = await reported(school, "r3")
    order = [(row.case.reference, row.section) for row in await case_queue(school.store, school.clock, school.cases.review_days)]
    assert order == [(old, OVERDUE), (newest, NEW), (newer, ACKNOWLEDGED)]


async def test_a_drill_is_no_childs_concern_and_stays_out_of_the_queue(school: Deps) -> None:
    await run_drill(drill_item(school.clock.now(), by=str(LEAD.ref)), school)
    assert [case.drill for case in await school.store.list_cases()] == [True]
    assert await sections(school) == {}


def test_the_queue_is_for_the_safeguarding_staff_and_the_admin_team() -> None:
    assert [role for role in Role if may_see_queue(Person(channel="teams", user_id="x", name="x", role=role))] == \
        [Role.ADMIN, Role.HEAD, Role.DSL, Role.DEPUTY_DSL]
