"""Receiving a concern: a child's report becomes a case before anyone is told 'received'.

One atomic write holds the case, its deliveries to the leads, the escalation timer and the
reply to the reporter, so the reporter can never hear 'received' for a case that was not
stored (004 strategies 8, 9 and 13; 000 §3). If the Store cannot take it, the reporter is
told at once to try again or to tell a trusted adult — never 'received'. Danger words make
the case urgent: the reply carries the emergency numbers and the deputies are told at once.
"""

from __future__ import annotations

import contextlib
import logging
from dataclasses import dataclass, field
from datetime import timedelta

from handlers import policies
from handlers.audit import decision
from handlers.case_card import case_card
from handlers.case_delivery import delivery_work, escalation_timer
from handlers.case_keys import CaseKeys, EscalationStep
from handlers.cover import cover_desk
from handlers.duties import Deps
from handlers.events import storable_text
from handlers.messenger import Button, Message
from handlers.outbox import outbox_item
from handlers.reception import leads_on, nobody_to_receive
from handlers.vocabulary import signals_danger
from state import case_lifecycle as lifecycle
from state.case_lifecycle import Moved
from state.due import DueItem
from state.effects import Effects
from state.models import GroupKey, Person, PersonRef
from state.records import AuditRecord, Case, CaseStep, Urgency

log = logging.getLogger(__name__)
CLAUSE = "004 strategy 8; 004 strategy 9; 004 strategy 13"
PENDING = "pending"
REPORT_BUTTON = Button(label_key="welcome.report_button", verb="report")
"""Opens a private report: offered with every refusal a child gets (004 strategy 8)."""


@dataclass(frozen=True)
class Report:
    """A report to file. `origin` is the id of the event that carried the words: a report is
    filed once per event, however often that event is retried (004 strategy 13)."""

    reporter: Person
    text: str = field(repr=False)  # the child's words never appear in a log line or traceback
    origin: str
    about_adult: bool = False
    group: GroupKey | None = None
    locale: str = ""


async def receive_report(deps: Deps, report: Report) -> str | None:
    """Store the case with everything that must follow it; return its reference (None if the
    Store failed and the reporter was asked to try again). A retried event finds its case."""
    now = deps.clock.now()
    urgent = signals_danger(report.text)
    try:
        reference = await deps.store.case_reference_for(report.origin) or await deps.store.next_case_reference(deps.school_time(now).year)
        case = Case(reference=reference, reporter=report.reporter.ref, reporter_role=report.reporter.role, received_at=now,
                    text=storable_text(report.text), group=report.group, urgency=Urgency.URGENT if urgent else Urgency.NORMAL,
                    about_adult=report.about_adult, steps=(CaseStep(at=now, action="received", actor=str(report.reporter.ref)),))
        group = await deps.store.get_group(report.group) if report.group else None
        people = await cover_desk(deps).case_people()  # a member of staff covering for a lead receives it as a lead
        recipients = EscalationStep.LEADS.recipients(case, people)
        first_card = case_card(deps, case, group=group, reporter=report.reporter, groups=await deps.store.list_groups())
        deliveries = delivery_work(case, recipients, EscalationStep.LEADS, first_card, now)
        received = decision(deps.clock, action="report.received", actor=str(report.reporter.ref), actor_role=report.reporter.role.value,
                            subject=str(report.reporter.ref), group=str(report.group or ""), clause=CLAUSE, outcome=reference,
                            detail={"urgency": case.urgency.value, "about_adult": str(report.about_adult).lower(),
                                    "recipients": str(len(recipients))})
        lead_reachable = bool(leads_on(people, deps.channels))
        alerts: list[DueItem] = []
        audit: tuple[AuditRecord, ...] = (received,)
        if not lead_reachable:
            alerts, no_lead = nobody_to_receive(case, people, deps)
            audit = (received, no_lead)
        effects = Effects(messages=(*deliveries, *alerts, *_replies(deps, case, report, lead_reachable=lead_reachable)),
                          timers=(_first_escalation(deps, case),), audit=audit)
        reference = await deps.store.save_case_with_delivery(case, effects, origin=report.origin)
    except Exception as error:
        log.error("a report could not be stored (%s): the reporter is asked to try again", type(error).__name__)
        await deps.messenger.send_to_person(report.reporter.ref, store_failed(deps))
        return None
    await deps.store.open_report_window(report.reporter.ref, reference, deps.cases.report_window_seconds or 1)
    return reference


def store_failed(deps: Deps) -> Message:
    """The Store could not take the report: try again or tell a grown-up now, and whom to call in danger."""
    return Message(key="report.store_failed", fields={"contacts": policies.emergency_contacts(deps.cases)})


def _first_escalation(deps: Deps, case: Case) -> DueItem:
    """Urgent cases already went to the deputies, so their next step is the head and admins."""
    if case.urgency is Urgency.URGENT:
        return escalation_timer(case, EscalationStep.HEAD, case.received_at + timedelta(seconds=deps.cases.urgent_ack_timeout_seconds))
    return escalation_timer(case, EscalationStep.DEPUTIES, case.received_at + timedelta(seconds=deps.cases.ack_timeout_seconds))


def _replies(deps: Deps, case: Case, report: Report, *, lead_reachable: bool) -> list[DueItem]:
    """What the reporter is told: never "safe with the safeguarding team" when no lead can
    receive it (handlers/reception.py), and then no promise of when a person will read it."""
    contacts = policies.emergency_contacts(deps.cases)  # every reply to a report says whom to call in danger
    if not lead_reachable:
        return [outbox_item(report.reporter.ref, Message(key="report.no_lead", fields={"reference": case.reference, "contacts": contacts}),
                            key=CaseKeys(case.reference).reply(1), due_at=case.received_at, first=True)]
    if case.about_adult:
        first = Message(key="report.adult_received", fields={"reference": case.reference, "contacts": contacts})
    elif case.urgency is Urgency.URGENT:
        first = Message(key="report.received_urgent", fields={"reference": case.reference, "contacts": contacts})
    else:
        first = Message(key="report.received", fields={"reference": case.reference, "minutes": deps.cases.report_window_seconds // 60,
                                                       "contacts": contacts})
    replies = [first]
    local = deps.school_time(case.received_at)
    if not deps.cases.school_hours.is_open(local):
        opens = deps.cases.school_hours.next_open(local)
        replies.append(Message(key="report.out_of_hours", fields={"next_time": deps.school_time_words(opens), "contacts": contacts}))
    return [outbox_item(report.reporter.ref, message, key=CaseKeys(case.reference).reply(n), due_at=case.received_at, first=True)
            for n, message in enumerate(replies, 1)]


async def add_to_report(deps: Deps, reporter: Person, reference: str, text: str, *, event_id: str) -> None:
    """A later message inside the report window joins the case and follows it to its readers:
    everyone the case was or is being sent to (step 1's recipients even if their card is still
    queued, and anyone it was escalated to). The words, the messages and the audit row are one
    write, keyed by the message: a redelivery adds nothing twice, a crash loses nothing."""
    now, people = deps.clock.now(), await cover_desk(deps).case_people()
    step = CaseStep(at=now, action="text_added", actor=str(reporter.ref), detail={"event": event_id})
    words = storable_text(text)

    def effects(moved: Moved) -> Effects:
        case = moved.case
        readers = {str(p.ref) for p in EscalationStep.LEADS.recipients(case, people)} | \
                  {s.actor for s in case.steps if s.action == "delivered"}
        addition = Message(key="case.report_addition", fields={"reference": reference, "text": words})
        messages = [outbox_item(PersonRef.parse(reader), addition, key=CaseKeys(reference).addition(event_id, reader), due_at=now,
                                first=case.urgency is Urgency.URGENT, case=reference) for reader in sorted(readers)]
        added_reply = Message(key="report.added", fields={"reference": reference, "contacts": policies.emergency_contacts(deps.cases)})
        messages.append(outbox_item(reporter.ref, added_reply, key=f"reply:{event_id}", due_at=now, first=True))
        added = decision(deps.clock, action="report.added", actor=str(reporter.ref), actor_role=reporter.role.value,
                         subject=str(reporter.ref), clause=CLAUSE, outcome=reference)
        return Effects(messages=tuple(messages), audit=(added,))

    with contextlib.suppress(lifecycle.AlreadyDone):  # the same message, redelivered
        await deps.store.change_case(reference, lifecycle.add_text(words, step), effects)
    await deps.store.open_report_window(reporter.ref, reference, deps.cases.report_window_seconds or 1)
