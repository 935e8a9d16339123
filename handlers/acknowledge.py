"""Acknowledging a case: a safeguarding lead says 'I have it'.

Only a lead, a deputy or the head may (004 strategy 9); anyone else is refused and audited.
The state change is one atomic conditional write, so a double click or a retried action
acknowledges once. Then the escalation timers are cancelled, every copy of the case card is
updated to show who acknowledged and when, and the reporter hears that a lead has seen the
report — no name, no content.
"""

from __future__ import annotations

import logging
from datetime import timedelta
from typing import Any

from handlers.audit import decision
from handlers.case_card import acknowledged, card_for
from handlers.case_keys import CaseKeys
from handlers.case_review import review_timer
from handlers.cover import cover_desk
from handlers.drill import drill_passed
from handlers.duties import Deps
from handlers.messenger import Message
from handlers.names import person_words
from handlers.outbox import outbox_item, receipt, send_durably
from handlers.policies import emergency_contacts
from handlers.runtime.retry import TryAgain
from state import case_lifecycle as lifecycle
from state.case_lifecycle import Moved
from state.effects import Effects
from state.models import Person
from state.records import Case, CaseStep

log = logging.getLogger(__name__)
CLAUSE = "004 strategy 9; 004 strategy 13"


async def acknowledge(deps: Deps, actor: Person, reference: str, *, event_id: str) -> None:
    """Replies are keyed by the triggering event; nothing a refused sender typed is recorded.
    The acknowledgement, the disarmed escalation, its audit row and the two replies are one
    write; the same event retried finds its own acknowledgement and only refreshes the cards."""
    reference = reference.strip().upper()
    now = deps.clock.now()
    step = CaseStep(at=now, action="acknowledged", actor=str(actor.ref), detail={"event": event_id})
    case = await deps.store.get_case(reference)
    if case is None:
        await _tell(deps, actor, Message(key="case.not_found", fields={"reference": reference}), f"reply:{event_id}")
        return

    people = await cover_desk(deps).case_people() if case.drill else []  # a drill's report goes to the head and admins

    def effects(moved: Moved) -> Effects:
        acknowledged, keys = moved.case, CaseKeys(reference)
        audited = tuple(decision(deps.clock, action=event.name, actor=str(actor.ref), actor_role=actor.role.value,
                                 subject=str(acknowledged.reporter), group=str(acknowledged.group or ""), clause=CLAUSE,
                                 outcome=reference) for event in moved.events)
        done = outbox_item(actor.ref, Message(key="case.ack_done", fields={"reference": reference}),
                           key=keys.acknowledged_to_acknowledger(), due_at=now)
        disarmed = keys.escalation_timers() if moved.ends_chain else ()
        if acknowledged.drill:  # no child to tell, and no review: the drill ends at its deadline
            reports, passed = drill_passed(deps, acknowledged, actor, people, now)
            return Effects(messages=(done, *reports), disarmed=disarmed, audit=(*audited, passed))
        heard = Message(key="report.acknowledged", fields={"reference": reference, "contacts": emergency_contacts(deps.cases)})
        told = outbox_item(acknowledged.reporter, heard, key=keys.acknowledged_to_reporter(), due_at=now, first=True)
        review = review_timer(reference, now + timedelta(days=deps.cases.review_days))  # acknowledged is not finished
        return Effects(messages=(done, told), timers=(review,), disarmed=disarmed, audit=audited)

    try:
        moved = (await deps.store.change_case(reference, lifecycle.acknowledge(step), effects)).case
    except lifecycle.AlreadyDone as retried:  # this very acknowledgement, retried: the cards may not all have been updated
        moved = retried.case
    except lifecycle.NotOpen:  # closed before anyone acknowledged it
        await _tell(deps, actor, Message(key="case.already_closed", fields={"reference": reference}), f"reply:{event_id}")
        return
    except lifecycle.CaseRefused as refused:
        current = refused.case
        fields = {"reference": reference, "by": await _name(deps, current.acknowledged_by), "at": _local(deps, current)}
        await _tell(deps, actor, Message(key="case.already_acknowledged", fields=fields), f"reply:{event_id}")
        return
    await _update_cards(deps, moved, actor)


async def _update_cards(deps: Deps, case: Case, actor: Person) -> None:
    """Every lead's copy of the card now says who acknowledged, and loses its button. A card the
    channel asks to update later (a 429) fails the event once every card was tried, so the worker
    tries again: the retried acknowledgement finds itself done and only updates the cards."""
    done = acknowledged(await card_for(deps, case), ("case.acknowledged_by", {"by": person_words(actor), "at": _local(deps, case)}))
    later: TryAgain | None = None
    for key in sorted(CaseKeys(case.reference).delivered_cards(case.steps)):
        sent = await receipt(deps, key)
        if sent is None:
            continue
        try:
            await deps.messenger.update(sent, done)
        except TryAgain as error:
            later = error
        except Exception as error:  # the acknowledgement stands; a card that cannot be updated is cosmetic
            log.warning("could not update card %s: %s", key, type(error).__name__)
    if later is not None:
        raise later


async def _tell(deps: Deps, person: Person, message: Message, key: str) -> None:
    await send_durably(deps, person.ref, message, key=key)


async def _name(deps: Deps, ref: str | None) -> dict[str, Any]:
    """Who acknowledged, by name and role (never their id)."""
    person = None
    if ref:
        channel, _, user_id = ref.partition(":")
        person = await deps.store.get_person(channel, user_id)
    return person_words(person)


def _local(deps: Deps, case: Case) -> dict[str, Any]:
    at = case.acknowledged_at or deps.clock.now()
    return deps.school_time_words(at)
