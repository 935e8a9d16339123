"""The chain is tested, not trusted (000 §3: procedures that work; 004 strategy 9: concerns
reach a lead straight away). A drill sends a clearly marked test case through the whole chain —
the leads' card, the deputies, the head — as a real report would go, with no child involved.

`esafety-bot drill` queues one and returns at once; the server runs it, and on the schedule in
`ESAFETY_DRILL` too. When someone acknowledges it, the head and the admin team are told who and
how fast. If nobody has by the time a real case would have reached the head, they are told the
chain did not answer, and whom the card reached or failed to reach: that is how a lead who has
left, or a broken channel, is found before a child needs them. Either way the drill case is then
closed. Drill cases never count as real cases (the digest and /metrics leave them out).
"""

from __future__ import annotations

import contextlib
from datetime import datetime, timedelta
from uuid import uuid4

from handlers.audit import decision
from handlers.case_card import case_card
from handlers.case_delivery import delivery_work, escalation_timer
from handlers.case_keys import CaseKeys, EscalationStep
from handlers.cover import cover_desk
from handlers.cron import next_fire
from handlers.duties import Deps
from handlers.messenger import Message
from handlers.names import person_words
from handlers.outbox import ADMIN_ROLES, outbox_item
from handlers.reception import leads_on
from handlers.spoken_time import duration_words
from state import case_lifecycle as lifecycle
from state.case_lifecycle import Moved
from state.clock import Clock
from state.due import DueItem, Queue
from state.effects import Effects
from state.models import Person, Role
from state.records import AuditRecord, Case, CaseState, CaseStep, Outcome
from state.store import Store

DRILL, DRILL_DEADLINE = "drill.start", "drill.deadline"
CLAUSE = "000 §3; 004 strategy 9"
DRILL_REPORTER = "esafety-drill"


def drill_item(due_at: datetime, *, by: str, cron: str = "") -> DueItem:
    """A drill to run at `due_at`: one per schedule time, or one per request."""
    item_id = f"drill|{due_at.isoformat()}" if cron else f"drill|{uuid4().hex}"
    return DueItem(queue=Queue.TIMERS, item_id=item_id, kind=DRILL, due_at=due_at, payload={"by": by, "cron": cron})


async def queue_drill(store: Store, clock: Clock, *, by: str) -> str:
    """Queue a drill for the server to run now; audited. Its id."""
    item = drill_item(clock.now(), by=by)
    queued = decision(clock, action="drill.queued", actor=by, clause=CLAUSE, outcome=item.item_id)
    await store.commit(Effects(timers=(item,), audit=(queued,)))
    return item.item_id


async def arm_drill(deps: Deps) -> None:
    """At start-up: the next scheduled drill, if `ESAFETY_DRILL` sets one (the same item from every instance)."""
    if deps.cases.drill_cron:
        due = next_fire(deps.cases.drill_cron, deps.school_timezone, deps.clock.now())
        await deps.store.schedule_due(drill_item(due, by="schedule", cron=deps.cases.drill_cron))


async def run_drill(item: DueItem, deps: Deps) -> None:
    """Send the drill case down the chain as a report would go, with its deadline; arm the next scheduled one."""
    cron = str(item.payload.get("cron", ""))
    if cron and cron != deps.cases.drill_cron:
        return  # the schedule changed: the chain armed at start-up under the new one takes over
    now, people = deps.clock.now(), await cover_desk(deps).case_people()
    leads = leads_on(people, deps.channels)
    reporter = Person(channel=(leads[0].channel if leads else "teams"), user_id=DRILL_REPORTER,
                      name=deps.catalog.say("drill.reporter", deps.school_locale), role=Role.UNKNOWN)
    reference = await deps.store.case_reference_for(item.item_id) or await deps.store.next_case_reference(deps.school_time(now).year)
    case = Case(reference=reference, reporter=reporter.ref, reporter_role=Role.UNKNOWN, received_at=now, drill=True,
                text=deps.catalog.say("drill.words", deps.school_locale),
                steps=(CaseStep(at=now, action="received", actor="system", detail={"drill": str(item.payload.get("by", ""))}),))
    card = case_card(deps, case, group=None, reporter=reporter)
    alerts: list[DueItem] = []
    audit: list[AuditRecord] = [decision(deps.clock, action="drill.started", actor=str(item.payload.get("by", "")), clause=CLAUSE,
                                         outcome=reference, detail={"leads": str(len(leads))})]
    if not leads:  # the gravest finding a drill can make: said at once, and marked as a drill's
        found = Message(key="drill.no_lead", fields={"reference": reference})
        alerts = [outbox_item(p.ref, found, key=f"{reference}|drill-no-lead|{p.ref}", due_at=now, first=True) for p in _reported_to(people)]
        audit.append(decision(deps.clock, action="drill.no_lead", actor="system", clause=CLAUSE, outcome=reference,
                              detail={"told": str(len(alerts))}))
    deadline = DueItem(queue=Queue.TIMERS, item_id=f"{reference}|drill", kind=DRILL_DEADLINE, due_at=now + chain_time(deps),
                       payload={"case": reference})
    effects = Effects(messages=(*delivery_work(case, EscalationStep.LEADS.recipients(case, people), EscalationStep.LEADS, card, now),
                                *alerts),
                      timers=(escalation_timer(case, EscalationStep.DEPUTIES, now + timedelta(seconds=deps.cases.ack_timeout_seconds)),
                              deadline),
                      audit=tuple(audit))
    await deps.store.save_case_with_delivery(case, effects, origin=item.item_id)
    if cron:
        await deps.store.schedule_due(drill_item(next_fire(cron, deps.school_timezone, now), by="schedule", cron=cron))


def chain_time(deps: Deps) -> timedelta:
    """How long a real case takes to reach the head when nobody acknowledges it, and a minute more."""
    return timedelta(seconds=deps.cases.ack_timeout_seconds + deps.cases.second_escalation_seconds + 60)


def drill_passed(deps: Deps, case: Case, actor: Person, people: list[Person], now: datetime) -> tuple[tuple[DueItem, ...], AuditRecord]:
    """Someone acknowledged the drill: the head and admins are told who, and how fast."""
    seconds = int((now - case.received_at).total_seconds())
    report = Message(key="drill.passed", fields={"reference": case.reference, "by": person_words(actor), "after": duration_words(seconds)})
    messages = tuple(outbox_item(p.ref, report, key=f"{case.reference}|drill-report|{p.ref}", due_at=now) for p in _reported_to(people))
    return messages, decision(deps.clock, action="drill.passed", actor=str(actor.ref), actor_role=actor.role.value, clause=CLAUSE,
                              outcome=case.reference, detail={"seconds": str(seconds)})


async def drill_deadline(item: DueItem, deps: Deps) -> None:
    """The chain's time is up: unanswered, the head and admins are told who the card reached and
    who it did not; either way the drill case is closed."""
    case = await deps.store.get_case(str(item.payload["case"]))
    if case is None or not case.drill or case.state is CaseState.CLOSED:
        return
    now, people = deps.clock.now(), await cover_desk(deps).case_people()
    names = {str(p.ref): p for p in people}
    answered = case.acknowledged_by is not None
    messages: tuple[DueItem, ...] = ()
    if not answered:
        reached = sorted({step.actor for step in case.steps if step.action == "delivered"})
        failed = sorted({step.actor for step in case.steps if step.action == "delivery_failed"} - set(reached))
        report = Message(key="drill.failed", fields={
            "reference": case.reference, "after": duration_words((now - case.received_at).total_seconds()),
            "reached": _named(names, reached), "unreached": _named(names, failed)})
        messages = tuple(outbox_item(p.ref, report, key=f"{case.reference}|drill-report|{p.ref}", due_at=now, first=True)
                         for p in _reported_to(people))
    step = CaseStep(at=now, action="closed", actor="system", detail={"outcome": Outcome.NO_FURTHER_ACTION.value, "reason": "drill ended",
                                                                     "event": item.item_id})

    def effects(moved: Moved) -> Effects:
        ended = decision(deps.clock, action="drill.ended" if answered else "drill.failed", actor="system", clause=CLAUSE,
                         outcome=case.reference, detail={"told": str(len(messages))})
        return Effects(messages=messages, audit=(ended,), disarmed=CaseKeys(case.reference).escalation_timers())

    with contextlib.suppress(lifecycle.CaseRefused):
        await deps.store.change_case(case.reference, lifecycle.close(step, Outcome.NO_FURTHER_ACTION), effects)


def _reported_to(people: list[Person]) -> list[Person]:
    """The head and the admin team, on every channel they are on; the leads when there is none."""
    return [p for p in people if p.role in ADMIN_ROLES] or [p for p in people if p.role is Role.DSL]


def _named(people: dict[str, Person], refs: list[str]) -> str:
    return ", ".join((people[ref].name if ref in people else "") or ref for ref in refs) or "-"
