"""Acknowledging a case: a safeguarding lead says 'I have it'.

Only a lead, a deputy or the head may (004 strategy 9); anyone else is refused and audited.
The state change is one atomic conditional write, so a double click or a retried action
acknowledges once. Then the escalation timers are cancelled, every copy of the case card is
updated to show who acknowledged and when, and the reporter hears that a lead has seen the
report — no name, no content.
"""

from __future__ import annotations

import logging

from handlers.audit import record_decision
from handlers.duties import Deps
from handlers.messenger import Message
from handlers.outbox import receipt, send_durably
from state.due import Queue
from state.models import SAFEGUARDING_ROLES, Person
from state.records import Case, CaseState, CaseStep

log = logging.getLogger(__name__)
CLAUSE = "004 strategy 9; 004 strategy 13"


async def acknowledge(deps: Deps, actor: Person, reference: str, *, event_id: str) -> None:
    """Replies are keyed by the triggering event; nothing a refused sender typed is recorded."""
    reference = reference.strip().upper()
    if actor.role not in SAFEGUARDING_ROLES:
        await record_decision(deps.store, deps.clock, action="case.ack_refused", actor=str(actor.ref), actor_role=actor.role.value,
                              clause=CLAUSE, outcome="refused")
        await _tell(deps, actor, Message(key="case.ack_refused"), f"reply:{event_id}")
        return
    step = CaseStep(at=deps.clock.now(), action="acknowledged", actor=str(actor.ref))
    case = await deps.store.get_case(reference)
    if case is None:
        await _tell(deps, actor, Message(key="case.not_found", fields={"reference": reference}), f"reply:{event_id}")
        return
    open_states = {CaseState.NEW, CaseState.DELIVERED}
    moved = await deps.store.advance_case(reference, to=CaseState.ACKNOWLEDGED, allowed_from=open_states, step=step)
    if moved is None:
        fields = {"reference": reference, "by": await _name(deps, case.acknowledged_by), "at": _local(deps, case)}
        await _tell(deps, actor, Message(key="case.already_acknowledged", fields=fields), f"reply:{event_id}")
        return
    for step_number in (2, 3):
        await deps.store.cancel_due(Queue.TIMERS, f"{reference}|escalate|{step_number}")
    await record_decision(deps.store, deps.clock, action="case.acknowledged", actor=str(actor.ref), actor_role=actor.role.value,
                          subject=str(moved.reporter), group=str(moved.group or ""), clause=CLAUSE, outcome=reference)
    await _update_cards(deps, moved, actor)
    await _tell(deps, actor, Message(key="case.ack_done", fields={"reference": reference}), f"{reference}|ack-done")
    await send_durably(deps, moved.reporter, Message(key="report.acknowledged", fields={"reference": reference}),
                       key=f"{reference}|reporter-acknowledged")


async def _update_cards(deps: Deps, case: Case, actor: Person) -> None:
    """Every lead's copy of the card now says who acknowledged, and loses its button."""
    done = Message(key="case.card_title", fields={"reference": case.reference},
                   lines=(("case.acknowledged_by", {"by": actor.name or str(actor.ref), "at": _local(deps, case)}),))
    card_keys = {step.detail.get("item", "") for step in case.steps if step.action == "delivered"}
    for key in sorted(k for k in card_keys if k.endswith("|card")):
        sent = await receipt(deps, key)
        if sent is None:
            continue
        try:
            await deps.messenger.update(sent, done)
        except Exception as error:  # the acknowledgement stands; a stale card is cosmetic
            log.warning("could not update card %s: %s", key, type(error).__name__)


async def _tell(deps: Deps, person: Person, message: Message, key: str) -> None:
    await send_durably(deps, person.ref, message, key=key)


async def _name(deps: Deps, ref: str | None) -> str:
    if not ref:
        return "-"
    channel, _, user_id = ref.partition(":")
    person = await deps.store.get_person(channel, user_id)
    return person.name if person and person.name else ref


def _local(deps: Deps, case: Case) -> str:
    at = case.acknowledged_at or deps.clock.now()
    return deps.school_time(at).strftime("%H:%M %d %b")
