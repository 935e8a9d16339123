"""Retention: a purge deletes closed cases and the audit records before a date, never an open
case, audits itself, and leaves the audit chain verifiable. On both Store backends."""

from __future__ import annotations

from datetime import timedelta

import pytest

from handlers.audit import verify_audit
from handlers.case_record import CaseDesk, act_on_case
from handlers.concerns import Report, receive_report
from handlers.duties import Deps
from handlers.retention import PurgeRefused, plan_purge, purge
from state.records import CaseState
from tests.handlers.conftest import SCHOOL, drain

ANN, LEAD, DEPUTY, HEAD = SCHOOL[0], SCHOOL[5], SCHOOL[6], SCHOOL[7]


async def test_a_purge_deletes_the_old_and_closed_and_the_chain_still_verifies(school: Deps) -> None:
    desk = CaseDesk(school.store, school.clock, school.catalog)
    old_closed = await receive_report(school, Report(reporter=ANN, text="old and closed", origin="r1"))
    old_open = await receive_report(school, Report(reporter=ANN, text="old and open", origin="r2"))
    await drain(school)
    assert (await act_on_case(desk, LEAD, "close", f"{old_closed} advice dealt with", origin="c1")).done
    school.clock.advance(timedelta(days=400).total_seconds())  # type: ignore[attr-defined]
    cutoff = school.clock.now()
    recent = await receive_report(school, Report(reporter=ANN, text="recent", origin="r3"))
    await drain(school)
    before = await school.store.read_audit(limit=-1)
    plan = await plan_purge(school.store, cutoff)
    assert plan.references == (old_closed,)  # the open one is never purged, however old
    assert plan.audit_records == sum(1 for e in before if e.record.at < cutoff) > 0
    purged = await purge(school.store, school.clock, plan, LEAD)
    assert (purged.cases, purged.audit_records) == ((old_closed,), plan.audit_records)
    assert {c.reference for c in await school.store.list_cases()} == {old_open, recent}
    after = await school.store.read_audit(limit=-1)
    assert [e.seq for e in after[:-2]] == [e.seq for e in before if e.record.at >= cutoff]  # numbers kept, the prefix gone
    assert after[-2].record.action == "cases.purge_started"  # the intent, audited before anything went
    assert (after[-1].record.action, after[-1].record.actor, after[-1].record.detail["cases"]) == ("cases.purged", str(LEAD.ref), "1")
    assert [e.seq for e in await school.store.read_audit(after_seq=after[-2].seq)] == [after[-1].seq]
    verdict = await verify_audit(school.store)
    assert (verdict.intact, verdict.ends.anchor_seq, verdict.records) == (True, purged.anchor_seq, len(after))
    await act_on_case(desk, LEAD, "note", f"{recent} still going", origin="n1")  # the log goes on, sealed after the purge
    assert (await verify_audit(school.store)).intact


async def test_a_case_reopened_after_the_plan_is_kept(school: Deps) -> None:
    desk = CaseDesk(school.store, school.clock, school.catalog)
    reference = await receive_report(school, Report(reporter=ANN, text="words", origin="r1"))
    await act_on_case(desk, LEAD, "close", f"{reference} advice done", origin="c1")
    school.clock.advance(timedelta(days=400).total_seconds())  # type: ignore[attr-defined]
    plan = await plan_purge(school.store, school.clock.now())
    assert plan.references == (reference,)
    await act_on_case(desk, LEAD, "reopen", f"{reference} the family came back", origin="c2")
    purged = await purge(school.store, school.clock, plan, LEAD)
    assert purged.cases == ()
    case = await school.store.get_case(reference)
    assert case is not None
    assert case.state is CaseState.ACKNOWLEDGED


async def test_only_a_dsl_or_the_head_may_purge_and_a_refusal_is_audited(school: Deps) -> None:
    reference = await receive_report(school, Report(reporter=ANN, text="words", origin="r1"))
    await act_on_case(CaseDesk(school.store, school.clock, school.catalog), LEAD, "close", f"{reference} advice done", origin="c1")
    school.clock.advance(timedelta(days=400).total_seconds())  # type: ignore[attr-defined]
    plan = await plan_purge(school.store, school.clock.now())
    with pytest.raises(PurgeRefused):
        await purge(school.store, school.clock, plan, DEPUTY)
    assert {c.reference for c in await school.store.list_cases()} == {reference}  # nothing deleted
    refusal = (await school.store.read_audit(limit=-1))[-1].record
    assert (refusal.action, refusal.actor, refusal.outcome) == ("case.command_refused", str(DEPUTY.ref), "purge")
    assert (await purge(school.store, school.clock, plan, HEAD)).cases == (reference,)
