"""Acknowledged is not finished (000 §3: formal procedures followed through; 004 strategy 13).

A case acknowledged and still open after `ESAFETY_CASE_REVIEW_DAYS` re-alerts whoever has it
(the person who acknowledged it, and the person it is assigned to), and again every
`ESAFETY_CASE_REVIEW_REPEAT_HOURS` until it is closed, as on-call tools re-alert an incident
acknowledged and left open. A reopened case starts the review time again. Each re-alert is in the
case's chronology and the audit; the weekly digest lists such cases (handlers/digest.py).
"""

from __future__ import annotations

import contextlib
from datetime import datetime, timedelta

from handlers.audit import decision
from handlers.case_keys import CaseKeys
from handlers.cover import cover_desk
from handlers.duties import Deps
from handlers.messenger import Message
from handlers.outbox import outbox_item
from handlers.spoken_time import duration_words
from state import case_lifecycle as lifecycle
from state.case_lifecycle import Moved
from state.due import DueItem, Queue
from state.effects import Effects
from state.models import SAFEGUARDING_ROLES, Role
from state.records import Case, CaseState, CaseStep

REVIEW = "case.review"
CLAUSE = "000 §3; 004 strategy 13"


def review_timer(reference: str, due_at: datetime) -> DueItem:
    return DueItem(queue=Queue.TIMERS, item_id=CaseKeys(reference).review_timer(), kind=REVIEW, due_at=due_at,
                   payload={"case": reference})


async def arm_reviews(deps: Deps) -> None:
    """At start-up: every acknowledged case has its review timer, those acknowledged before this
    version included (an existing timer is left as it is)."""
    for case in await deps.store.list_cases({CaseState.ACKNOWLEDGED}):
        if not case.drill:
            due = max((case.acknowledged_at or case.received_at) + timedelta(days=deps.cases.review_days), deps.clock.now())
            await deps.store.schedule_due(review_timer(case.reference, due))


def overdue_for_review(case: Case, now: datetime, review_days: int) -> bool:
    """Acknowledged, still open, and for longer than the review time."""
    return case.state is CaseState.ACKNOWLEDGED and case.acknowledged_at is not None and \
        now - case.acknowledged_at >= timedelta(days=review_days)


async def review(item: DueItem, deps: Deps) -> None:
    """The review time came: if the case is still acknowledged and open, re-alert whoever has it
    and arm the next re-alert; a closed case is left alone (its timer was disarmed anyway)."""
    reference, now = str(item.payload["case"]), deps.clock.now()
    case = await deps.store.get_case(reference)
    if case is None or case.state is not CaseState.ACKNOWLEDGED:
        return
    people = await cover_desk(deps).case_people()
    holders = {case.acknowledged_by, case.assigned_to}
    recipients = [p for p in people if str(p.ref) in holders and p.role in SAFEGUARDING_ROLES] or \
        [p for p in people if p.role is Role.DSL]  # whoever had it has left the roster: the leads
    since = case.acknowledged_at or case.received_at
    alert = Message(key="case.review_due", fields={"reference": reference, "age": duration_words((now - since).total_seconds())})
    due = item.due_at.isoformat()
    step = CaseStep(at=now, action="review_reminded", actor="system", detail={"item": f"{item.item_id}|{due}"})

    def effects(moved: Moved) -> Effects:
        keys = CaseKeys(reference)
        return Effects(messages=tuple(outbox_item(p.ref, alert, key=keys.review_alert(due, p.ref), due_at=now) for p in recipients),
                       timers=(review_timer(reference, now + timedelta(hours=deps.cases.review_repeat_hours)),),
                       audit=tuple(decision(deps.clock, action="case.review_due", actor="system", subject=str(case.reporter),
                                            clause=CLAUSE, outcome=reference, detail={"told": str(len(recipients))})
                                   for _ in moved.events))

    with contextlib.suppress(lifecycle.AlreadyDone, lifecycle.CaseRefused):
        await deps.store.change_case(reference, lifecycle.remind(step), effects)
