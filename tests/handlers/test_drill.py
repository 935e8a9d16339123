"""Drills: a marked test case down the whole chain; who answered and how fast reported to the
head and admins, or that nobody did and whom the card reached; never counted as a real case.
On both Store backends with the injected clock."""

from __future__ import annotations

from dataclasses import replace
from datetime import timedelta

from handlers.chat_verbs import Place, Use, use_verb
from handlers.digest import week_lines
from handlers.drill import DRILL, arm_drill, chain_time, queue_drill
from handlers.duties import Deps
from handlers.health import read_health
from handlers.policies import CasePolicy
from state.due import Queue
from state.records import CaseState
from tests.fakes.recording_messenger import RecordingMessenger
from tests.handlers.conftest import SCHOOL, drain, keys_to

LEAD, DEPUTY, HEAD, ADMIN = SCHOOL[5].ref, SCHOOL[6].ref, SCHOOL[7].ref, SCHOOL[4].ref


def advance(deps: Deps, seconds: float) -> None:
    deps.clock.advance(seconds)  # type: ignore[attr-defined]


async def test_a_drill_answered_reports_who_and_how_fast(school: Deps, messenger: RecordingMessenger) -> None:
    await queue_drill(school.store, school.clock, by="cli")
    await drain(school)
    ((case),) = await school.store.list_cases()
    assert case.drill
    assert keys_to(messenger, LEAD) == ["drill.card_title", "case.report_text"]
    assert [p for p, _ in messenger.to_people if p == case.reporter] == []  # nobody reported it: nobody is told 'received'
    assert (await read_health(school.store, school.channels, school.clock.now(), 120)).cases_open[CaseState.NEW] == 0
    advance(school, 185)
    await use_verb(school, SCHOOL[5], Use(verb="ack", args=case.reference, event_id="a1"), Place.PRIVATE)
    await drain(school)
    passed = [(p, m.fields) for p, m in messenger.to_people if m.key == "drill.passed"]
    assert sorted(p for p, _ in passed) == sorted([HEAD, ADMIN])
    assert passed[0][1]["after"] == {"say": "duration.minutes", "n": 3}
    audit = {e.record.action: e.record for e in await school.store.read_audit()}
    assert (audit["drill.passed"].actor, audit["drill.passed"].detail) == (str(LEAD), {"seconds": "185"})
    assert "report.acknowledged" not in [m.key for _, m in messenger.to_people]
    advance(school, chain_time(school).total_seconds())
    await drain(school)
    closed = await school.store.get_case(case.reference)
    assert closed is not None
    assert closed.state is CaseState.CLOSED
    assert [m.key for _, m in messenger.to_people].count("drill.failed") == 0
    assert "drill.ended" in [e.record.action for e in await school.store.read_audit()]
    now = school.clock.now()
    cases_line = [f for k, f in await week_lines(school, now - timedelta(days=7), now) if k == "digest.cases_line"]
    assert cases_line == [{"new": 0, "overdue": 0, "acknowledged": 0}]


async def test_a_drill_nobody_answers_is_reported_with_whom_it_reached(school: Deps, messenger: RecordingMessenger) -> None:
    await queue_drill(school.store, school.clock, by="cli")
    await drain(school)
    advance(school, school.cases.ack_timeout_seconds)
    await drain(school)
    assert keys_to(messenger, DEPUTY)[:1] == ["drill.card_title"]  # escalated as a real case would be, still marked
    advance(school, school.cases.second_escalation_seconds)
    await drain(school)
    assert "drill.escalated_head" in keys_to(messenger, HEAD)
    assert "drill.reminder_lead" in keys_to(messenger, LEAD)
    advance(school, 60)
    await drain(school)
    failed = [(p, m.fields) for p, m in messenger.to_people if m.key == "drill.failed"]
    assert sorted(p for p, _ in failed) == sorted([HEAD, ADMIN])
    assert failed[0][1]["reached"] == "Dee Deputy, Lee Lead"
    assert failed[0][1]["unreached"] == "-"
    (case,) = await school.store.list_cases()
    assert case.state is CaseState.CLOSED
    assert "drill.failed" in [e.record.action for e in await school.store.read_audit()]


async def test_drills_on_a_schedule_arm_the_next(school: Deps) -> None:
    weekly = replace(school, cases=replace(CasePolicy(), drill_cron="0 10 * * WED"))  # Wednesday 10:00, school time
    await arm_drill(weekly)
    due = [item for item in [await weekly.store.get_due(Queue.TIMERS, "drill|2026-11-25T10:00:00+00:00")] if item is not None]
    assert [item.kind for item in due] == [DRILL]
    advance(weekly, (due[0].due_at - weekly.clock.now()).total_seconds())
    await drain(weekly)
    assert [c.drill for c in await weekly.store.list_cases()] == [True]
    assert await weekly.store.get_due(Queue.TIMERS, "drill|2026-12-02T10:00:00+00:00") is not None


async def test_a_drill_with_no_lead_on_the_roster_says_so_at_once_as_a_drill(school: Deps, messenger: RecordingMessenger) -> None:
    await school.store.replace_roster({"teams"}, [p for p in SCHOOL if p.ref != LEAD])
    await queue_drill(school.store, school.clock, by="cli")
    await drain(school)
    told = sorted(p for p, m in messenger.to_people if m.key == "drill.no_lead")
    assert told == sorted([HEAD, ADMIN])
    assert "case.no_lead" not in [m.key for _, m in messenger.to_people]  # never the real alert, unmarked
    assert "drill.no_lead" in [e.record.action for e in await school.store.read_audit()]
