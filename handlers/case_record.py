"""Staff add to a case's record: a note, an assignment, a close with its outcome and reason, a
reopening (000 §3: formal procedures; 004 strategies 9 and 13: concerns recorded on the school's
safeguarding record). One path for a 1:1 with the bot and for the command line, so both are
checked, recorded and audited alike.

The report's own words are never edited; what staff add is appended to the chronology and never
changed. What staff write (a note, a reason) is confidential like the report: it is shown only
to those who may read the report's words, and never reaches the audit log, which records who
did what to which case, and the outcome.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime, time, timedelta
from zoneinfo import ZoneInfo

from handlers.audit import decision
from handlers.case_keys import CaseKeys
from handlers.case_review import review_timer
from handlers.cover import CoverDesk
from handlers.messenger import Message
from handlers.outbox import outbox_item
from handlers.policies import CasePolicy
from handlers.roster import named
from policy_text.catalog import LOCALES, Catalog, words
from state import case_lifecycle as lifecycle
from state.case_lifecycle import CaseAction, Moved
from state.clock import Clock
from state.due import DueItem
from state.effects import Effects
from state.models import SAFEGUARDING_ROLES, Person, Role
from state.records import AuditRecord, Case, CaseStep, Outcome
from state.store import Store

CLAUSE = "000 §3; 004 strategy 13"
VERBS = ("note", "assign", "close", "reopen")
STAFF_WORDS = ("note", "reason")
"""Chronology detail that staff wrote: shown only with the report's words, never audited."""


@dataclass(frozen=True)
class Answer:
    """What the person who asked is told, and whether the record changed."""

    message: Message
    done: bool


@dataclass(frozen=True)
class CaseDesk:
    """What a record action needs: the Store, the clock, the catalogue (an outcome may be typed
    in the reader's language), the review time a reopened case starts again, and (for a purge)
    the retention period and the school's time zone."""

    store: Store
    clock: Clock
    catalog: Catalog
    review_days: int = CasePolicy().review_days
    retention_days: int | None = None
    timezone: str = "UTC"

    def school_today(self) -> date:
        return self.cover().today()

    def cover(self) -> CoverDesk:
        return CoverDesk(self.store, self.clock, self.timezone)

    def school_midnight(self, day: date) -> datetime:
        return datetime.combine(day, time(0), tzinfo=ZoneInfo(self.timezone))


def may_see_words(person: Person, case: Case) -> bool:
    """Leads and deputies read a case's words; the head only for a concern about an adult."""
    return person.role in SAFEGUARDING_ROLES and (person.role is not Role.HEAD or case.about_adult)


def outcome_words(outcome: Outcome) -> dict[str, str]:
    return words(f"case.outcome_{outcome.value}")


def known_outcome(token: str) -> Outcome | None:
    """The outcome a chronology step records, if it is one of the fixed list."""
    return next((outcome for outcome in Outcome if outcome.value == token), None)


async def act_on_case(desk: CaseDesk, actor: Person, verb: str, args: str, *, origin: str) -> Answer:
    """Run `note|assign|close|reopen C-… …` for `actor` (a member of the safeguarding staff,
    checked by the caller). `origin` names the message or command that asked: the same one
    retried records nothing twice."""
    reference, _, rest = args.strip().partition(" ")
    case = await desk.store.get_case(reference) if reference else None
    if case is None:
        return Answer(Message(key="case.not_found", fields={"reference": reference or "-"}), False)
    rest = rest.strip()
    if verb == "note":
        return await _note(desk, actor, case, rest, origin)
    if verb == "assign":
        return await _assign(desk, actor, case, rest, origin)
    if verb == "close":
        return await _close(desk, actor, case, rest, origin)
    return await _reopen(desk, actor, case, rest, origin)


async def _note(desk: CaseDesk, actor: Person, case: Case, text: str, origin: str) -> Answer:
    if not text:
        return Answer(Message(key="case.note_usage"), False)
    if not may_see_words(actor, case):  # a note may quote the report: only for those who may read it
        return Answer(Message(key="case.note_head_adult_only", fields={"reference": case.reference}), False)
    step = _step(desk, actor, "note", origin, note=text)
    return await _change(desk, actor, case, lifecycle.note(step), Message(key="case.note_added", fields={"reference": case.reference}))


async def _assign(desk: CaseDesk, actor: Person, case: Case, who: str, origin: str) -> Answer:
    staff = [p for p in await desk.cover().case_people() if p.role in SAFEGUARDING_ROLES]
    chosen = named(staff, who)
    if len(chosen) != 1:
        names = ", ".join(sorted({p.name or str(p.ref) for p in staff})) or "-"
        return Answer(Message(key="case.assign_usage", fields={"staff": names}), False)
    assignee = chosen[0]
    step = _step(desk, actor, "assigned", origin, to=str(assignee.ref))
    told = outbox_item(assignee.ref, Message(key="case.assigned_to_you", fields={"reference": case.reference, "by": actor.name}),
                       key=f"{case.reference}|assigned|{origin}", due_at=desk.clock.now())
    done = Message(key="case.assigned", fields={"reference": case.reference, "person": assignee.name or str(assignee.ref)})
    return await _change(desk, actor, case, lifecycle.assign(step, str(assignee.ref)), done, messages=(told,),
                         detail={"to": str(assignee.ref)})


async def _close(desk: CaseDesk, actor: Person, case: Case, rest: str, origin: str) -> Answer:
    said = _outcome(desk.catalog, rest)
    if said is None or not said[1]:
        return Answer(Message(key="case.close_usage"), False)
    outcome, reason = said
    step = _step(desk, actor, "closed", origin, outcome=outcome.value, reason=reason)
    done = Message(key="case.closed", fields={"reference": case.reference, "outcome": outcome_words(outcome)})
    return await _change(desk, actor, case, lifecycle.close(step, outcome), done, detail={"outcome": outcome.value},
                         disarmed=(CaseKeys(case.reference).review_timer(),))


async def _reopen(desk: CaseDesk, actor: Person, case: Case, reason: str, origin: str) -> Answer:
    if not reason:
        return Answer(Message(key="case.reopen_usage"), False)
    step = _step(desk, actor, "reopened", origin, reason=reason)
    review = review_timer(case.reference, desk.clock.now() + timedelta(days=desk.review_days))  # reviewed again, as when acknowledged
    return await _change(desk, actor, case, lifecycle.reopen(step), Message(key="case.reopened", fields={"reference": case.reference}),
                         timers=(review,))


def _outcome(catalog: Catalog, rest: str) -> tuple[Outcome, str] | None:
    """The outcome that `rest` starts with — its token (`social_care`) or its name in either
    language (`referred to children's social care`, `已转介儿童社会服务`) — and the reason after it."""
    folded = rest.casefold()
    for outcome in Outcome:
        for name in (outcome.value, *(catalog.say(f"case.outcome_{outcome.value}", locale) for locale in LOCALES)):
            if folded.startswith(name.casefold() + " "):
                return outcome, rest[len(name):].strip()
    return None


def _step(desk: CaseDesk, actor: Person, action: str, origin: str, **detail: str) -> CaseStep:
    return CaseStep(at=desk.clock.now(), action=action, actor=str(actor.ref), detail={**detail, "event": origin})


async def _change(desk: CaseDesk, actor: Person, case: Case, action: CaseAction, done: Message, *, messages: tuple[DueItem, ...] = (),
                  timers: tuple[DueItem, ...] = (), disarmed: tuple[str, ...] = (), detail: dict[str, str] | None = None) -> Answer:
    """Apply `action` with its audit record (and any message) in one write; a refusal writes nothing."""

    def recorded(moved: Moved) -> Effects:
        audited: tuple[AuditRecord, ...] = tuple(
            decision(desk.clock, action=event.name, actor=str(actor.ref), actor_role=actor.role.value, subject=str(case.reporter),
                     group=str(case.group or ""), clause=CLAUSE, outcome=case.reference, detail=detail)
            for event in moved.events)
        chain = CaseKeys(case.reference).escalation_timers() if moved.ends_chain else ()
        return Effects(messages=messages, timers=timers, audit=audited, disarmed=(*chain, *disarmed))

    try:
        await desk.store.change_case(case.reference, action, recorded)
    except lifecycle.AlreadyDone:
        return Answer(done, True)  # the same message or command, retried: recorded once already
    except lifecycle.NotClosed:
        return Answer(Message(key="case.not_closed", fields={"reference": case.reference}), False)
    except lifecycle.CaseRefused as refused:
        return Answer(Message(key="case.not_open", fields={"reference": refused.case.reference}), False)
    return Answer(done, True)

