"""Chat verbs: one table of who may use each verb and where, and one refusal.

Staff run the bot from chat: `status`, `recheck`, `schedule`, `lesson`, `register`, `cases`,
`case`, `note`, `assign`, `close`, `reopen`, `ack`, `cover` (typed in a 1:1, @mentioning the bot in a group, or pressed on a card).
Each is allowed to some roles only (000 §5: supervision is for staff; 004 strategy 9 and 13: a
concern is read and acted on by the safeguarding staff only). Whoever else uses one is refused in
private, the same way everywhere, and the refusal is audited: who, which verb, never the words.

What comes before this table is the child-safety ordering, explicit in each entry point
(handlers/direct_messages.py): an open report window, then `report`, then danger words, then a
worry from a student or a guest. So a child's "close friend of mine is being hurt" is never taken
for `close`. Adding a verb means adding one row here and its handler.
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from dataclasses import dataclass, field
from enum import Flag, auto
from typing import Any

from handlers.acknowledge import acknowledge
from handlers.audit import record_decision
from handlers.case_record import VERBS as RECORD_VERBS
from handlers.case_tools import case_command
from handlers.concerns import REPORT_BUTTON
from handlers.cover import COVER_ROLES, as_lead, cover_command, cover_desk
from handlers.duties import Deps
from handlers.lesson_commands import lesson_action, lesson_command, register_submitted, register_typed
from handlers.messenger import Message
from handlers.outbox import send_durably
from handlers.reminders import CLAUSE as REMINDERS_CLAUSE
from handlers.schedule_commands import schedule_command
from handlers.staff_commands import staff_command
from handlers.supervision import CLAUSE as SUPERVISION_CLAUSE
from state.models import SAFEGUARDING_ROLES, STAFF_ROLES, GroupKey, Person, Role

CASE_CLAUSE = "004 strategy 13"
LESSON_CLAUSE = "000 §5.5; 000 §5.6; 004 strategy 19"


class Place(Flag):
    PRIVATE = auto()  # a 1:1 with the bot
    GROUP = auto()  # a class group, the bot @mentioned
    CARD = auto()  # a button on one of the bot's cards


@dataclass(frozen=True, kw_only=True)
class Use:
    """One use of a verb: the words after it (or a card's data), where, and the event it came in."""

    verb: str
    event_id: str
    args: str = field(default="", repr=False)
    data: dict[str, Any] = field(default_factory=dict, repr=False)
    in_group: GroupKey | None = None


@dataclass(frozen=True)
class Refusal:
    """What a person not allowed a verb is told, and the audit row: its action, the clause of
    the rule, and its outcome (the verb, unless named)."""

    reply_key: str
    action: str
    clause: str
    outcome: str = ""


@dataclass(frozen=True, kw_only=True)
class Verb:
    roles: frozenset[Role]
    places: Place
    run: Callable[[Deps, Person, Use], Awaitable[None]]
    refusal: Callable[[Use], Refusal]
    case_chain: bool = False  # a member of staff covering for a lead uses it as a lead (handlers/cover.py)


STAFF_ONLY = Refusal("supervision.staff_only", "staff_command.refused", SUPERVISION_CLAUSE)
SCHEDULE_STAFF_ONLY = Refusal("supervision.staff_only", "staff_command.refused", REMINDERS_CLAUSE)
CASES_ONLY = Refusal("supervision.staff_only", "case.command_refused", CASE_CLAUSE)
ACK_REFUSED = Refusal("case.ack_refused", "case.ack_refused", CASE_CLAUSE, outcome="refused")


def _always(refusal: Refusal) -> Callable[[Use], Refusal]:
    return lambda _: refusal


def _lesson_refusal(use: Use) -> Refusal:
    """Named by what was tried: `lesson.start_refused`, `lesson.end_refused`, `lesson.register_refused`."""
    tried = "register" if use.verb == "register" else lesson_action(use.args, use.in_group) or "start"
    return Refusal("lesson.students_cannot_start", f"lesson.{tried}_refused", LESSON_CLAUSE)


async def _status(deps: Deps, person: Person, use: Use) -> None:
    await staff_command(deps, person, use.verb, "" if use.in_group else use.args, in_group=use.in_group, event_id=use.event_id)


async def _schedule(deps: Deps, person: Person, use: Use) -> None:
    await schedule_command(deps, person, use.args, in_group=use.in_group, event_id=use.event_id)


async def _lesson(deps: Deps, person: Person, use: Use) -> None:
    await lesson_command(deps, person, use.args, in_group=use.in_group, event_id=use.event_id)


async def _register(deps: Deps, person: Person, use: Use) -> None:
    if use.data:
        await register_submitted(deps, person, use.data, event_id=use.event_id)
    else:
        await register_typed(deps, person, use.args, event_id=use.event_id)


async def _case(deps: Deps, person: Person, use: Use) -> None:
    await case_command(deps, person, use.verb, use.args, event_id=use.event_id)


async def _cover(deps: Deps, person: Person, use: Use) -> None:
    message, _ = await cover_command(cover_desk(deps), person, use.args, origin=use.event_id)
    await send_durably(deps, person.ref, message, key=f"reply:{use.event_id}")


async def _ack(deps: Deps, person: Person, use: Use) -> None:
    await acknowledge(deps, person, str(use.data.get("case", "")) if use.data else use.args, event_id=use.event_id)


ANYWHERE_TYPED = Place.PRIVATE | Place.GROUP
VERBS: dict[str, Verb] = {
    "status": Verb(roles=STAFF_ROLES, places=ANYWHERE_TYPED, run=_status, refusal=_always(STAFF_ONLY)),
    "recheck": Verb(roles=STAFF_ROLES, places=ANYWHERE_TYPED, run=_status, refusal=_always(STAFF_ONLY)),
    "schedule": Verb(roles=STAFF_ROLES, places=ANYWHERE_TYPED, run=_schedule, refusal=_always(SCHEDULE_STAFF_ONLY)),
    "lesson": Verb(roles=STAFF_ROLES, places=ANYWHERE_TYPED, run=_lesson, refusal=_lesson_refusal),
    "register": Verb(roles=STAFF_ROLES, places=Place.PRIVATE | Place.CARD, run=_register, refusal=_lesson_refusal),
    **{verb: Verb(roles=SAFEGUARDING_ROLES, places=Place.PRIVATE, run=_case, refusal=_always(CASES_ONLY), case_chain=True)
       for verb in ("cases", "case", *RECORD_VERBS)},
    "ack": Verb(roles=SAFEGUARDING_ROLES, places=Place.PRIVATE | Place.CARD, run=_ack, refusal=_always(ACK_REFUSED), case_chain=True),
    "cover": Verb(roles=COVER_ROLES, places=Place.PRIVATE, run=_cover, refusal=_always(CASES_ONLY)),
}
"""verb → who may use it, where, what runs it, and how a refusal is told and audited."""


async def acting(deps: Deps, person: Person, verb: str) -> Person:
    """Who `person` is for `verb`: for the case chain's verbs, a member of staff covering for a
    lead is a lead (handlers/cover.py); for every other verb (`cover` itself included), whoever
    the roster says."""
    row = VERBS.get(verb)
    if row is not None and row.case_chain:
        return as_lead(person, await cover_desk(deps).active())
    return person


async def may_use(deps: Deps, person: Person, verb: str, place: Place) -> bool:
    """Whether `verb` is one at `place` and `person` is allowed it (as a lead, if covering one)."""
    row = VERBS.get(verb)
    return row is not None and place in row.places and (await acting(deps, person, verb)).role in row.roles


async def use_verb(deps: Deps, person: Person, use: Use, place: Place) -> bool:
    """Run `use` when its verb may be used at `place`, or refuse it: True either way; False when
    it is no verb there (the caller answers it as plain words)."""
    verb = VERBS.get(use.verb)
    if verb is None or place not in verb.places:
        return False
    person = await acting(deps, person, use.verb)
    if person.role in verb.roles:
        await verb.run(deps, person, use)
        return True
    refusal = verb.refusal(use)
    await record_decision(deps.store, deps.clock, key=f"{use.event_id}|refused", action=refusal.action, actor=str(person.ref),
                          actor_role=person.role.value, group=str(use.in_group or ""), clause=refusal.clause,
                          outcome=refusal.outcome or use.verb)
    await send_durably(deps, person.ref, _told(refusal, person), key=f"reply:{use.event_id}")
    return True


def _told(refusal: Refusal, person: Person) -> Message:
    """A child (or a guest) refused a verb still hears how to report a worry, with the button: their
    words may have been one (004 strategy 8)."""
    if person.role in (Role.STUDENT, Role.UNKNOWN):
        return Message(key=refusal.reply_key, lines=(("direct.report_still_possible", {}),), buttons=(REPORT_BUTTON,))
    return Message(key=refusal.reply_key)
