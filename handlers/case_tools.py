"""Case commands for the safeguarding team in a 1:1: `cases`, `case C-…`, and the record's
actions `note`, `assign`, `close` and `reopen` (handlers/case_record.py).

Only leads, deputies and the head may use them (004 strategy 9); anyone else is refused and
audited. The report's words, and what staff wrote about it, are shown to the leads and
deputies, and to the head only for a concern about an adult (allegations against staff are the
head's to handle).
"""

from __future__ import annotations

from handlers.case_record import STAFF_WORDS, CaseDesk, act_on_case, known_outcome, may_see_words, outcome_words
from handlers.duties import Deps
from handlers.messenger import Message
from handlers.outbox import send_durably
from handlers.read_trail import CHAT, readings, record_reading
from policy_text.catalog import words
from state.case_lifecycle import OPEN
from state.models import Person
from state.records import Case


async def case_command(deps: Deps, person: Person, verb: str, args: str, *, event_id: str) -> None:
    """Answer one command; the reply is keyed by the message that asked, so a redelivered
    message never answers twice."""
    key = f"reply:{event_id}"
    if verb == "cases":
        message = await _open_cases(deps)
    elif verb != "case":
        desk = CaseDesk(deps.store, deps.clock, deps.catalog, deps.cases.review_days, timezone=deps.school_timezone)
        message = (await act_on_case(desk, person, verb, args, origin=event_id)).message
    else:
        reference = args.strip().partition(" ")[0]
        case = await deps.store.get_case(reference) if reference else None
        if case is None:
            message = Message(key="case.not_found", fields={"reference": reference or "-"})
        else:
            show_text = may_see_words(person, case)
            message = _details(deps, case, show_text=show_text)
            if show_text:  # who read a child's words, and when, is on the record: the chronology and the audit (never the words)
                await record_reading(deps.store, deps.clock, case, reader=str(person.ref), reader_role=person.role.value, how=CHAT,
                                     origin=event_id)
    await send_durably(deps, person.ref, message, key=key)


async def _open_cases(deps: Deps) -> Message:
    cases = await deps.store.list_cases(OPEN)
    return Message(key="case.list_header", fields={"count": len(cases)}, lines=tuple(("case.list_line", _summary(deps, c)) for c in cases))


def _details(deps: Deps, case: Case, *, show_text: bool) -> Message:
    lines: list[tuple[str, dict[str, object]]] = [("case.list_line", _summary(deps, case))]
    for step in case.steps:
        lines.append(("case.step_line", {"at": deps.school_time_words(step.at), "action": step.action, "actor": step.actor}))
        if (outcome := known_outcome(step.detail.get("outcome", ""))) is not None:
            lines.append(("case.step_outcome", {"outcome": outcome_words(outcome)}))
        lines += [(f"case.step_{name}", {name: step.detail[name]}) for name in STAFF_WORDS if show_text and name in step.detail]
    seen = readings(case)
    lines.append(("case.seen_by", {"count": len(seen)}))
    lines += [("case.seen_line", {"at": deps.school_time_words(step.at), "actor": step.actor, "how": words(f"case.how_{how}")})
              for step, how in seen]
    if show_text:
        lines.append(("case.report_text", {"text": case.text}))
    return Message(key="case.card_title", fields={"reference": case.reference}, lines=tuple(lines))


def _summary(deps: Deps, case: Case) -> dict[str, object]:
    return {"reference": case.reference, "state": case.state.value, "urgency": case.urgency.value,
            "received": deps.school_time_words(case.received_at)}
