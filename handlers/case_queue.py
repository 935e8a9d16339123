"""The safeguarding queue: every open concern, sorted into what needs a lead now (004 strategies
9 and 13; 000 §3). What the console's queue page shows, channel-neutral.

A concern is *overdue* once the chain had to go past the leads (nobody acknowledged it in time)
or once its review date passed without it being closed; otherwise it is *new* (not yet
delivered), *delivered* (waiting for a lead) or *acknowledged* (a lead has it). Each row says how
long ago it came in and when the next escalation fires, so a lead sees what is about to reach
the deputies or the head.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta

from handlers.case_keys import ESCALATIONS, CaseKeys
from handlers.case_review import overdue_for_review
from state.case_lifecycle import OPEN
from state.clock import Clock
from state.due import Queue
from state.models import SAFEGUARDING_ROLES, Person, Role
from state.records import Case, CaseState
from state.store import Store

OVERDUE, NEW, DELIVERED, ACKNOWLEDGED = "overdue", "new", "delivered", "acknowledged"
SECTIONS = (OVERDUE, NEW, DELIVERED, ACKNOWLEDGED)
"""The queue's parts, most pressing first."""
QUEUE_ROLES = SAFEGUARDING_ROLES | {Role.ADMIN}
"""Who may see the queue: the safeguarding staff act on it; the admin team sees it without any
case's words (they receive the head's alert when the chain goes unanswered, 004 strategy 9)."""


@dataclass(frozen=True)
class QueueRow:
    case: Case
    section: str
    class_name: str
    age: timedelta
    next_escalation: datetime | None  # when the next step of the chain fires, if one is still armed
    review_due: datetime | None  # an acknowledged case's review date


def may_see_queue(person: Person) -> bool:
    return person.role in QUEUE_ROLES


async def case_queue(store: Store, clock: Clock, review_days: int) -> list[QueueRow]:
    """Open cases (drills left out: they are no child's), most pressing section first, oldest first within it."""
    now = clock.now()
    classes = {str(group.key): group.class_name for group in await store.list_groups()}
    people = {str(person.ref): person for person in await store.list_people()}
    rows = []
    for case in await store.list_cases(OPEN):
        if case.drill:
            continue
        keys = CaseKeys(case.reference)
        timers = [await store.get_due(Queue.TIMERS, keys.escalation_timer(step)) for step in ESCALATIONS]
        next_escalation = min((timer.due_at for timer in timers if timer is not None), default=None)
        review_due = case.acknowledged_at + timedelta(days=review_days) \
            if case.state is CaseState.ACKNOWLEDGED and case.acknowledged_at is not None else None
        class_name = classes.get(str(case.group), "") if case.group else ""
        if not class_name and (reporter := people.get(str(case.reporter))) is not None:
            class_name = ", ".join(reporter.classes)
        section = _section(case, overdue_for_review(case, now, review_days))
        rows.append(QueueRow(case, section, class_name, now - case.received_at, next_escalation, review_due))
    return sorted(rows, key=lambda row: (SECTIONS.index(row.section), row.case.received_at))


def _section(case: Case, review_overdue: bool) -> str:
    if case.state is CaseState.ACKNOWLEDGED:
        return OVERDUE if review_overdue else ACKNOWLEDGED
    escalated = any(step.action in {escalation.taken for escalation in ESCALATIONS} for step in case.steps)
    if escalated:
        return OVERDUE
    return NEW if case.state is CaseState.NEW else DELIVERED
