"""Case commands for the safeguarding team in a 1:1: `cases`, `case C-…`, `close C-… outcome`.

Only leads, deputies and the head may use them (004 strategy 9); anyone else is refused and
audited. The report's words are shown to the leads and deputies, and to the head only for a
concern about an adult (allegations against staff are the head's to handle).
"""

from __future__ import annotations

from handlers.audit import decision, record_decision
from handlers.case_keys import CaseKeys
from handlers.duties import Deps
from handlers.messenger import Message
from handlers.outbox import send_durably
from state import case_lifecycle as lifecycle
from state.case_lifecycle import OPEN, Moved
from state.effects import Effects
from state.models import Person, Role
from state.records import Case, CaseStep

CLAUSE = "004 strategy 13"


async def case_command(deps: Deps, person: Person, verb: str, args: str, *, event_id: str) -> None:
    """Answer one command; the reply is keyed by the message that asked, so a redelivered
    message never answers twice."""
    key = f"reply:{event_id}"
    if verb == "cases":
        message = await _open_cases(deps)
    else:
        reference, _, rest = args.strip().partition(" ")
        case = await deps.store.get_case(reference) if reference else None
        if case is None:
            message = Message(key="case.not_found", fields={"reference": reference or "-"})
        elif verb == "case":
            show_text = person.role is not Role.HEAD or case.about_adult
            message = _details(deps, case, show_text=show_text)
            if show_text:  # who read a child's words, and when, is on the record (never the words)
                await record_decision(deps.store, deps.clock, key=f"{event_id}|text_read", action="case.text_read", actor=str(person.ref),
                                      actor_role=person.role.value, clause=CLAUSE, outcome=case.reference)
        else:
            message = await _close(deps, person, case, rest.strip())
    await send_durably(deps, person.ref, message, key=key)


async def _open_cases(deps: Deps) -> Message:
    cases = await deps.store.list_cases(OPEN)
    return Message(key="case.list_header", fields={"count": len(cases)}, lines=tuple(("case.list_line", _summary(deps, c)) for c in cases))


def _details(deps: Deps, case: Case, *, show_text: bool) -> Message:
    lines: list[tuple[str, dict[str, object]]] = [("case.list_line", _summary(deps, case))]
    lines += [("case.step_line", {"at": deps.school_time_words(step.at), "action": step.action, "actor": step.actor})
              for step in case.steps]
    if show_text:
        lines.append(("case.report_text", {"text": case.text}))
    return Message(key="case.card_title", fields={"reference": case.reference}, lines=tuple(lines))


async def _close(deps: Deps, person: Person, case: Case, outcome: str) -> Message:
    if not outcome:
        return Message(key="case.close_usage")
    step = CaseStep(at=deps.clock.now(), action="closed", actor=str(person.ref), detail={"outcome": outcome})

    def closing(moved: Moved) -> Effects:
        audited = tuple(decision(deps.clock, action=event.name, actor=str(person.ref), actor_role=person.role.value,
                                 subject=str(case.reporter), group=str(case.group or ""), clause=CLAUSE, outcome=case.reference)
                        for event in moved.events)
        return Effects(disarmed=CaseKeys(case.reference).escalation_timers() if moved.ends_chain else (), audit=audited)

    try:
        await deps.store.change_case(case.reference, lifecycle.close(step), closing)
    except lifecycle.CaseRefused:
        return Message(key="case.closed", fields={"reference": case.reference, "outcome": "-"})
    return Message(key="case.closed", fields={"reference": case.reference, "outcome": outcome})


def _summary(deps: Deps, case: Case) -> dict[str, object]:
    return {"reference": case.reference, "state": case.state.value, "urgency": case.urgency.value,
            "received": deps.school_time_words(case.received_at)}
