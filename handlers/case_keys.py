"""The escalation chain's steps, and every id a case's durable work carries, built here only.

A case's work is found again by its ids: a retried step must not send twice, an acknowledgement
must disarm every escalation still to come, a card must be updated in place (004 strategies 9
and 13; 000 §3). Built in one place, a new step is disarmed and found like the others.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from enum import IntEnum

from state.models import Person, PersonRef, Role
from state.records import Case, CaseStep, Urgency

CARD, WORDS = "card", "text"
"""The two parts of a step's delivery to each reader: the card (kept, to be updated) and the words."""


class EscalationStep(IntEnum):
    """Who a case reaches, in turn, while nobody acknowledges it."""

    LEADS = 1  # every safeguarding lead, at once (with the deputies when urgent, the head when about an adult)
    DEPUTIES = 2  # every deputy, when no lead acknowledged in time
    HEAD = 3  # the head and the admin team (never the words), and the leads reminded

    @property
    def taken(self) -> str:
        """The chronology's action when this step is taken (the leads' step is the case itself)."""
        return {EscalationStep.LEADS: "received", EscalationStep.DEPUTIES: "escalated_to_deputies",
                EscalationStep.HEAD: "escalated_to_head"}[self]

    def recipients(self, case: Case, people: Sequence[Person]) -> list[Person]:
        if self is EscalationStep.LEADS:
            roles = {Role.DSL} | ({Role.DEPUTY_DSL} if case.urgency is Urgency.URGENT else set()) | \
                    ({Role.HEAD} if case.about_adult else set())
        else:
            roles = {Role.DEPUTY_DSL} if self is EscalationStep.DEPUTIES else {Role.HEAD, Role.ADMIN}
        return [person for person in people if person.role in roles]


ESCALATIONS = tuple(step for step in EscalationStep if step is not EscalationStep.LEADS)
"""The steps a timer takes (all but the first): each is disarmed when the case is acknowledged or closed."""


@dataclass(frozen=True)
class CaseKeys:
    """The ids of one case's timers and messages: `C-…|what|…`, each unique per recipient and
    step, so queuing one twice sends it once."""

    reference: str

    def escalation_timer(self, step: EscalationStep) -> str:
        return f"{self.reference}|escalate|{step.value}"

    def escalation_timers(self) -> tuple[str, ...]:
        return tuple(self.escalation_timer(step) for step in ESCALATIONS)

    def delivery(self, step: EscalationStep, reader: PersonRef, part: str) -> str:
        return f"{self.reference}|step{step.value}|{reader}|{part}"

    def delivered_cards(self, steps: Iterable[CaseStep]) -> set[str]:
        """The card of each step and reader the chronology records a delivery for: the copies
        updated in place when the case is acknowledged (a reader who had only the words has a
        card id too, with no receipt kept: nothing to update)."""
        return {self.delivery(EscalationStep(int(step.detail["step"])), PersonRef.parse(step.actor), CARD)
                for step in steps if step.action == "delivered" and step.detail.get("step")}

    def head_alert(self, person: PersonRef) -> str:
        return f"{self.reference}|step{EscalationStep.HEAD.value}|{person}"

    def lead_reminder(self, lead: PersonRef) -> str:
        return f"{self.reference}|reminder|{lead}"

    def reply(self, n: int) -> str:
        return f"{self.reference}|reply|{n}"

    def review_timer(self) -> str:
        return f"{self.reference}|review"

    def review_alert(self, due: str, person: PersonRef) -> str:
        return f"{self.reference}|review|{due}|{person}"

    def carries_words(self, item_id: str) -> bool:
        """Whether a delivered message held the report's words: a step's words, or words added later."""
        return item_id.startswith(self.reference) and (item_id.endswith(f"|{WORDS}") or "|addition|" in item_id)

    def addition(self, event_id: str, reader: str) -> str:
        return f"{self.reference}|addition|{event_id}|{reader}"

    def no_lead_alert(self, person: PersonRef) -> str:
        return f"{self.reference}|no-lead|{person}"

    def acknowledged_to_acknowledger(self) -> str:
        return f"{self.reference}|ack-done"

    def acknowledged_to_reporter(self) -> str:
        return f"{self.reference}|reporter-acknowledged"
