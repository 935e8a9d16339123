"""Getting a case to the people who must act on it, and escalating when nobody does.

Step 1 goes to every designated safeguarding lead (plus the deputies at once when the case is
urgent, plus the head when it is about an adult at school). Unacknowledged after the timeout,
step 2 goes to every deputy; after the second timeout, step 3 alerts the head and admin team —
reference, urgency and group only, never the child's words — and reminds the leads
(004 strategies 9 and 13; 000 §3). Every step is a leased timer in the Store and is audited.
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime, timedelta

from handlers.audit import record_decision
from handlers.duties import Deps
from handlers.messenger import Button, Message
from handlers.outbox import after_sending, deliver, outbox_item, queue_once, send_durably
from handlers.worker import PermanentFailure
from state.due import DueItem, Queue
from state.models import Person, Role
from state.records import Case, CaseState, CaseStep, Urgency

ESCALATE = "case.escalate"
CLAUSE = "004 strategy 9; 004 strategy 13"
FINISHED = (CaseState.ACKNOWLEDGED, CaseState.CLOSED)


def card(case: Case, group_name: str, reporter: Person | None, deps: Deps) -> Message:
    """The lead's card: reference, urgency, group, reporter, and the Acknowledge button."""
    lines: list[tuple[str, dict[str, str]]] = [
        ("case.card_urgency", {"urgency": deps.catalog.say(f"case.urgency_{case.urgency.value}")}),
        ("case.card_group", {"group": group_name or "-"}),
        ("case.card_reporter", {"reporter": reporter.name if reporter and reporter.name else str(case.reporter),
                                "role": case.reporter_role.value}),
    ]
    if case.about_adult:
        lines.append(("case.adult_subject", {}))
    lines.append(("case.text_follows", {}))
    return Message(key="case.card_title", fields={"reference": case.reference}, lines=tuple(lines),
                   buttons=(Button(label_key="case.ack_button", verb="ack", data={"case": case.reference}),))


def step_one(case: Case, people: Sequence[Person]) -> list[Person]:
    roles = {Role.DSL} | ({Role.DEPUTY_DSL} if case.urgency is Urgency.URGENT else set()) | ({Role.HEAD} if case.about_adult else set())
    return [person for person in people if person.role in roles]


def card_key(case: Case, step: int, person: Person) -> str:
    return f"{case.reference}|step{step}|{person.ref}|card"


def delivery_work(case: Case, recipients: Sequence[Person], step: int, card_message: Message, due_at: datetime) -> list[DueItem]:
    """Outbox entries for a step: the card, then the report's words as their own message (card
    fields are short), one pair per recipient, keyed so a retried step sends nothing twice."""
    words = Message(key="case.report_text", fields={"text": case.text})
    return [
        outbox_item(person.ref, message, key=card_key(case, step, person).removesuffix("card") + part, due_at=due_at,
                    case=case.reference, step=step)
        for person in recipients
        for part, message in (("card", card_message), ("text", words))
    ]


def escalation_timer(case: Case, step: int, due_at: datetime) -> DueItem:
    return DueItem(queue=Queue.TIMERS, item_id=f"{case.reference}|escalate|{step}", kind=ESCALATE, due_at=due_at,
                   payload={"case": case.reference, "step": step})


async def escalate(item: DueItem, deps: Deps) -> None:
    """The timer fired: if nobody has acknowledged, take the next step."""
    case = await deps.store.get_case(item.payload["case"])
    if case is None or case.state in FINISHED:
        return
    step, people = int(item.payload["step"]), await deps.store.list_people()
    now = deps.clock.now()
    if step == 2:
        deputies = [p for p in people if p.role is Role.DEPUTY_DSL]
        group = await _group_name(deps, case)
        for entry in delivery_work(case, deputies, 2, card(case, group, await _reporter(deps, case), deps), now):
            await queue_once(deps, entry)
        await deps.store.schedule_due(escalation_timer(case, 3, now + timedelta(seconds=deps.cases.second_escalation_seconds)))
        await _record(deps, case, "escalated_to_deputies", [p.ref for p in deputies])
        return
    group = await _group_name(deps, case)
    urgency = deps.catalog.say(f"case.urgency_{case.urgency.value}")
    for person in [p for p in people if p.role in (Role.HEAD, Role.ADMIN)]:
        await send_durably(deps, person.ref, Message(key="case.escalated_head", fields={
            "reference": case.reference, "urgency": urgency, "group": group or "-"}), key=f"{case.reference}|step3|{person.ref}")
    for person in [p for p in people if p.role is Role.DSL]:
        await send_durably(deps, person.ref, Message(key="case.reminder_lead", fields={"reference": case.reference}),
                           key=f"{case.reference}|reminder|{person.ref}")
    await _record(deps, case, "escalated_to_head", [p.ref for p in people if p.role in (Role.HEAD, Role.ADMIN)])


async def deliver_and_record(item: DueItem, deps: Deps) -> None:
    """Send one outbox entry; if it belongs to a case, its chronology records the delivery (or
    the failure), after the send and never able to cause a second one."""
    try:
        await deliver(item, deps)
    except PermanentFailure as error:
        if "case" in item.payload:
            await record_failed_delivery(deps, item, str(error))
        raise
    if "case" in item.payload:
        await after_sending(item, "case delivery step", record_delivery(deps, item))


async def record_delivery(deps: Deps, item: DueItem) -> None:
    """After an outbox entry of a case was sent: the chronology says to whom; the first delivery
    moves the case from new to delivered."""
    reference, recipient = item.payload["case"], item.payload["recipient"]
    step = CaseStep(at=deps.clock.now(), action="delivered", actor=recipient, detail={"step": str(item.payload.get("step", "")),
                                                                                     "item": item.item_id})
    moved = await deps.store.advance_case(reference, to=CaseState.DELIVERED, allowed_from={CaseState.NEW}, step=step)
    if moved is None:
        await deps.store.add_case_step(reference, step)
    await record_decision(deps.store, deps.clock, action="case.delivered", actor="system", subject=recipient, clause=CLAUSE,
                          outcome=reference, detail={"step": str(item.payload.get("step", "")), "item": item.item_id})


async def record_failed_delivery(deps: Deps, item: DueItem, error: str) -> None:
    """A case message that could not be delivered at all stays in the chronology, for the lead."""
    await deps.store.add_case_step(item.payload["case"], CaseStep(at=deps.clock.now(), action="delivery_failed",
                                                                  actor=item.payload["recipient"], detail={"item": item.item_id,
                                                                                                           "error": error[:200]}))


async def _record(deps: Deps, case: Case, action: str, recipients: Sequence[object]) -> None:
    await deps.store.add_case_step(case.reference, CaseStep(at=deps.clock.now(), action=action, actor="system",
                                                            detail={"recipients": ",".join(map(str, recipients))}))
    await record_decision(deps.store, deps.clock, action=f"case.{action}", actor="system", subject=str(case.reporter),
                          group=str(case.group or ""), clause=CLAUSE, outcome=case.reference,
                          detail={"recipients": str(len(recipients)), "urgency": case.urgency.value})


async def _group_name(deps: Deps, case: Case) -> str:
    group = await deps.store.get_group(case.group) if case.group else None
    return group.name if group else ""


async def _reporter(deps: Deps, case: Case) -> Person | None:
    return await deps.store.get_person(case.reporter.channel, case.reporter.user_id)
