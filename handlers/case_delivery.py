"""Getting a case to the people who must act on it, and escalating when nobody does.

Step 1 goes to every designated safeguarding lead (plus the deputies at once when the case is
urgent, plus the head when it is about an adult at school). Unacknowledged after the timeout,
step 2 goes to every deputy; after the second timeout, step 3 alerts the head and admin team —
reference, urgency and group only, never the child's words — and reminds the leads
(004 strategies 9 and 13; 000 §3). Every step is a leased timer in the Store and is audited.
"""

from __future__ import annotations

import contextlib
import logging
from collections.abc import Sequence
from datetime import datetime, timedelta
from typing import Any

from handlers.audit import decision
from handlers.case_card import card_for
from handlers.case_keys import CARD, WORDS, CaseKeys, EscalationStep
from handlers.cover import cover_desk
from handlers.duties import Deps
from handlers.messenger import Message
from handlers.names import group_words
from handlers.outbox import Envelope, after_sending, deliver, envelope, outbox_item
from handlers.runtime.retry import PermanentFailure, RetryLater
from policy_text.catalog import words
from state import case_lifecycle as lifecycle
from state.case_lifecycle import FINISHED, Moved
from state.due import DueItem, Queue
from state.effects import Effects
from state.models import Person, Role
from state.records import Case, CaseStep, Urgency

log = logging.getLogger(__name__)
ESCALATE = "case.escalate"
TIMED_OUT, UNDELIVERED = "timed_out", "undelivered"
CLAUSE = "004 strategy 9; 004 strategy 13"
CARD_FIRST_SECONDS, FOLLOW_AGAIN_SECONDS = 900, 2.0


def delivery_work(case: Case, recipients: Sequence[Person], step: EscalationStep, card_message: Message,
                  due_at: datetime) -> list[DueItem]:
    """Outbox entries for a step: the card, then the report's words as their own message (card
    fields are short), one pair per recipient, keyed so a retried step sends nothing twice. The
    card keeps its receipt: it is updated in place when the case is acknowledged."""
    words, keys = Message(key="case.report_text", fields={"text": case.text}), CaseKeys(case.reference)
    return [
        outbox_item(person.ref, message, key=keys.delivery(step, person.ref, part), due_at=due_at,
                    first=case.urgency is Urgency.URGENT, case=case.reference, step=step.value,
                    keep_receipt=part == CARD, follows="" if part == CARD else keys.delivery(step, person.ref, CARD))
        for person in recipients
        for part, message in ((CARD, card_message), (WORDS, words))
    ]


def escalation_timer(case: Case, step: EscalationStep, due_at: datetime, *, reason: str = TIMED_OUT) -> DueItem:
    """The timer of escalation `step`; `reason` is what the next recipients are told: nobody
    acknowledged in time, or the card could not be delivered (UNDELIVERED)."""
    return DueItem(queue=Queue.TIMERS, item_id=CaseKeys(case.reference).escalation_timer(step), kind=ESCALATE, due_at=due_at,
                   payload={"case": case.reference, "step": step.value, "reason": reason})


async def escalate(item: DueItem, deps: Deps) -> None:
    """The timer fired: if nobody has acknowledged, take the next step. The step is recorded
    in the case with all it sends and the next timer, in one write and once: a retried timer
    finds the step taken and sends nothing again."""
    step, people, now = EscalationStep(int(item.payload["step"])), await cover_desk(deps).case_people(), deps.clock.now()
    case = await deps.store.get_case(item.payload["case"])
    if case is None or case.state in FINISHED:
        return
    group, undelivered = await _group_name(deps, case), item.payload.get("reason") == UNDELIVERED
    minutes = int((now - case.received_at).total_seconds() // 60)
    action, told, keys = step.taken, step.recipients(case, people), CaseKeys(case.reference)
    if step is EscalationStep.DEPUTIES:
        first = ", ".join(lead.name or "-" for lead in people if lead.role is Role.DSL) or "-"
        why: tuple[str, dict[str, Any]] = ("case.escalated_deputy_undelivered", {"leads": first}) if undelivered else \
            ("case.escalated_deputy", {"leads": first, "minutes": deps.cases.ack_timeout_seconds // 60})
        messages = delivery_work(case, told, step, await card_for(deps, case, escalated=why), now)
        timers: tuple[DueItem, ...] = (escalation_timer(case, EscalationStep.HEAD,
                                                        now + timedelta(seconds=deps.cases.second_escalation_seconds)),)
    else:
        timers = ()
        urgency = words(f"case.urgency_{case.urgency.value}")
        head_key = "drill.escalated_head" if case.drill else "case.escalated_head_undelivered" if undelivered else "case.escalated_head"
        alert = Message(key=head_key, fields={"reference": case.reference, "urgency": urgency, "group": group, "minutes": minutes})
        messages = [outbox_item(p.ref, alert, key=keys.head_alert(p.ref), due_at=now, first=True) for p in told]
        reminder = Message(key="drill.reminder_lead" if case.drill else "case.reminder_lead", fields={"reference": case.reference,
                                                                                                     "minutes": minutes})
        leads = [p for p in people if p.role is Role.DSL]
        messages += [outbox_item(p.ref, reminder, key=keys.lead_reminder(p.ref), due_at=now) for p in leads]
    recorded = CaseStep(at=now, action=action, actor="system", detail={"recipients": ",".join(str(p.ref) for p in told)})
    detail = {"recipients": str(len(told)), "urgency": case.urgency.value, "why": UNDELIVERED if undelivered else TIMED_OUT}

    def effects(moved: Moved) -> Effects:
        audited = tuple(decision(deps.clock, action=event.name, actor="system", subject=str(case.reporter), group=str(case.group or ""),
                                 clause=CLAUSE, outcome=case.reference, detail=detail) for event in moved.events)
        return Effects(messages=tuple(messages), timers=timers, audit=audited)

    with contextlib.suppress(lifecycle.ChainFinished, lifecycle.AlreadyDone):  # acknowledged meanwhile, or this timer retried
        await deps.store.change_case(case.reference, lifecycle.escalate(recorded), effects)


async def deliver_and_record(item: DueItem, deps: Deps) -> None:
    """Send one outbox entry; if it belongs to a case, its chronology records the delivery (or
    the failure), after the send and never able to cause a second one. A case card that
    cannot reach its reader counts as not acknowledged: the next step is taken at once."""
    sealed = envelope(item)
    await _card_first(deps, item, sealed.follows)
    try:
        await deliver(item, deps)
    except (PermanentFailure, RetryLater) as error:
        if sealed.case:
            await record_failed_delivery(deps, item, str(error))
            if sealed.keep_receipt:  # the case card itself
                await escalate_at_once(deps, sealed)
        raise
    if sealed.case:
        await after_sending(item, "case delivery step", record_delivery(deps, item))


async def _card_first(deps: Deps, item: DueItem, follows: str) -> None:
    """The words follow their card (it says they will): while the card waits to be tried again
    after a failed attempt (a 429), the words wait too, uncounted; after CARD_FIRST_SECONDS they
    go anyway, since the lead must have the words even if the card never arrives. A card waiting
    for its reader to become reachable (no attempt counted) holds nothing back: the words meet the
    same wall, and both are sent again, card first, when the reader can be reached."""
    if not follows or (deps.clock.now() - item.due_at).total_seconds() >= CARD_FIRST_SECONDS:
        return
    card = await deps.store.get_due(item.queue, follows)
    if card is not None and card.attempts:
        raise RetryLater("the case card goes first", FOLLOW_AGAIN_SECONDS, routine=True)


async def escalate_at_once(deps: Deps, card_sent: Envelope) -> None:
    """Arm the step after the card's own now (deputies after a lead's card, unless the case is
    urgent and they had it already; then the head and admins), saying the card was not
    delivered. A step already taken is not armed again; a later card failure changes nothing."""
    case = await deps.store.get_case(card_sent.case)
    if case is None or case.state in FINISHED:
        return
    after_deputies = card_sent.step >= EscalationStep.DEPUTIES or case.urgency is Urgency.URGENT
    following = EscalationStep.HEAD if after_deputies else EscalationStep.DEPUTIES
    if any(step.action == following.taken for step in case.steps):
        return
    log.warning("case %s: a card could not be delivered; escalation step %d now", case.reference, following.value)
    await deps.store.schedule_due(escalation_timer(case, following, deps.clock.now(), reason=UNDELIVERED), replace=True)


async def record_delivery(deps: Deps, item: DueItem) -> None:
    """After an outbox entry of a case was sent: the chronology says to whom (once per entry);
    the first delivery moves the case from new to delivered. Audited with it."""
    sealed = envelope(item)
    reference, recipient = sealed.case, sealed.recipient
    detail = {"step": str(sealed.step or ""), "item": item.item_id}
    step = CaseStep(at=deps.clock.now(), action="delivered", actor=recipient, detail=detail)

    def effects(moved: Moved) -> Effects:
        return Effects(audit=tuple(decision(deps.clock, action=event.name, actor="system", subject=recipient, clause=CLAUSE,
                                            outcome=reference, detail=detail) for event in moved.events))

    with contextlib.suppress(lifecycle.AlreadyDone):
        await deps.store.change_case(reference, lifecycle.deliver(step), effects)


async def record_failed_delivery(deps: Deps, item: DueItem, error: str) -> None:
    """A case message that could not be delivered at all stays in the chronology, for the lead."""
    sealed = envelope(item)
    step = CaseStep(at=deps.clock.now(), action="delivery_failed", actor=sealed.recipient,
                    detail={"item": item.item_id, "error": error[:200]})
    with contextlib.suppress(lifecycle.AlreadyDone):
        await deps.store.change_case(sealed.case, lifecycle.record_failure(step))


async def _group_name(deps: Deps, case: Case) -> dict[str, Any]:
    """The case's group by name, or a private chat (never an id)."""
    group = await deps.store.get_group(case.group) if case.group else None
    return group_words(group, await deps.store.list_groups()) if group else words("case.private_chat")
