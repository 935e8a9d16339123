"""The chain's steps and a case's ids: one builder, and every step a timer takes is disarmed."""

from __future__ import annotations

from dataclasses import replace

from handlers.case_keys import CaseKeys, EscalationStep
from state.models import PersonRef, Role
from state.records import Case, CaseStep, Urgency
from tests.conftest import START
from tests.handlers.conftest import SCHOOL

CASE = Case(reference="C-2026-000007", reporter=SCHOOL[0].ref, reporter_role=Role.STUDENT, received_at=START, text="words")


def roles(step: EscalationStep, case: Case = CASE) -> list[Role]:
    return sorted(person.role for person in step.recipients(case, SCHOOL))


def test_each_step_reaches_its_people() -> None:
    assert roles(EscalationStep.LEADS) == [Role.DSL]
    assert roles(EscalationStep.LEADS, replace(CASE, urgency=Urgency.URGENT, about_adult=True)) == [Role.DEPUTY_DSL, Role.DSL, Role.HEAD]
    assert roles(EscalationStep.DEPUTIES) == [Role.DEPUTY_DSL]
    assert roles(EscalationStep.HEAD) == [Role.ADMIN, Role.HEAD]


def test_every_step_a_timer_takes_is_disarmed_together() -> None:
    """Acknowledging or closing disarms each escalation timer: a step added to the enum is too."""
    keys = CaseKeys(CASE.reference)
    assert keys.escalation_timers() == ("C-2026-000007|escalate|2", "C-2026-000007|escalate|3")


def test_ids_keep_the_form_stored_items_already_have() -> None:
    """Items queued by an earlier version are found again: the ids' form does not change."""
    keys, lead = CaseKeys(CASE.reference), PersonRef("teams", "lead")
    assert keys.escalation_timer(EscalationStep.DEPUTIES) == "C-2026-000007|escalate|2"
    assert keys.delivery(EscalationStep.LEADS, lead, "card") == "C-2026-000007|step1|teams:lead|card"
    assert keys.head_alert(lead) == "C-2026-000007|step3|teams:lead"


def test_the_cards_to_update_are_found_from_the_chronology() -> None:
    """Each reader's card at each step they had a message of; words added later (no step) name no card."""
    keys, lead, deputy = CaseKeys(CASE.reference), PersonRef("teams", "lead"), PersonRef("wecom", "deputy")
    words = keys.delivery(EscalationStep.LEADS, lead, "text")
    steps = [CaseStep(at=START, action="delivered", actor=str(lead), detail={"step": "1", "item": words}),
             CaseStep(at=START, action="delivered", actor=str(deputy), detail={"step": "2"}),
             CaseStep(at=START, action="delivered", actor=str(lead), detail={"step": "", "item": keys.addition("e9", str(lead))}),
             CaseStep(at=START, action="delivery_failed", actor=str(deputy), detail={"step": "3"})]
    assert keys.delivered_cards(steps) == {"C-2026-000007|step1|teams:lead|card", "C-2026-000007|step2|wecom:deputy|card"}
