"""Cover for a lead who is away (000 §3: the procedure holds when its people are absent; 004
strategy 9: a concern is dealt with straight away, holidays and absences included).

A safeguarding lead (or the head) names a member of staff to cover until a date: `cover NAME
until YYYY-MM-DD` in a 1:1, or `esafety-bot cover set`. Until the end of that day (school time)
the case chain treats them as a lead: new cases and escalations reach them, and they may
acknowledge, read and act on cases. Only the case chain: their role for anything else (a class
group's supervision, above all) is still their own, so a covering teacher alone with students
is still a teacher alone with students. Each change is audited, the person covering is told
privately, and the weekly digest names who is covering.
"""

from __future__ import annotations

from dataclasses import dataclass, replace
from datetime import date, timedelta
from zoneinfo import ZoneInfo

from handlers.audit import decision
from handlers.duties import Deps
from handlers.messenger import Message
from handlers.outbox import outbox_item
from handlers.roster import named
from handlers.spoken_time import date_words
from state.clock import Clock
from state.effects import Effects
from state.models import Person, Role
from state.records import Cover
from state.store import Store

CLAUSE = "000 §3; 004 strategy 9"
COVER_ROLES = frozenset({Role.DSL, Role.HEAD})
"""Who may set or end cover: the lead who is going away, or the head (by their roster role)."""
COVERING_ROLES = frozenset({Role.TEACHER, Role.ADMIN, Role.DEPUTY_DSL})
"""Who may cover: staff not already in the chain as a lead. Never the head, who would then read
the words of every case (the head reads them only for concerns about an adult), nor oneself."""
LONGEST = timedelta(days=366)


@dataclass(frozen=True)
class CoverDesk:
    """What cover needs: the Store, the clock, and the school's time zone (a cover ends with its day)."""

    store: Store
    clock: Clock
    timezone: str

    def today(self) -> date:
        return self.clock.now().astimezone(ZoneInfo(self.timezone)).date()

    async def active(self) -> dict[str, Cover]:
        """Covers still running today, by person."""
        today = self.today()
        return {str(cover.person): cover for cover in await self.store.list_covers() if cover.until >= today}

    async def case_people(self) -> list[Person]:
        """The roster as the case chain sees it: each person covering, a lead."""
        covers = await self.active()
        return [as_lead(person, covers) for person in await self.store.list_people()]


def cover_desk(deps: Deps) -> CoverDesk:
    return CoverDesk(deps.store, deps.clock, deps.school_timezone)


def as_lead(person: Person, covers: dict[str, Cover]) -> Person:
    return replace(person, role=Role.DSL) if str(person.ref) in covers and person.role is not Role.DSL else person


async def who_covers(desk: CoverDesk) -> Message:
    """`cover` alone: who is covering now, and until when."""
    covers = sorted((await desk.active()).values(), key=lambda c: c.until)
    people = {str(p.ref): p for p in await desk.store.list_people()}
    lines = tuple(("case.cover_line", {"person": _name(people, str(c.person)), "until": date_words(c.until)}) for c in covers)
    return Message(key="case.cover_list", fields={"count": len(covers)}, lines=lines)


async def cover_command(desk: CoverDesk, actor: Person, args: str, *, origin: str) -> tuple[Message, bool]:
    """`cover` (who covers), `cover NAME until YYYY-MM-DD`, `cover NAME off`; the reply, and
    whether anything changed. `actor` is as the roster says (a dsl or the head): covering for a
    lead never lets anyone set cover."""
    text = args.strip()
    if not text:
        return await who_covers(desk), False
    if text.endswith(" off"):
        who, until = text.removesuffix(" off"), None
    elif " until " in text:
        who, _, day = text.rpartition(" until ")
        until = _date(day.strip())
        if until is None or not desk.today() <= until <= desk.today() + LONGEST:
            return Message(key="case.cover_usage"), False
    else:
        return Message(key="case.cover_usage"), False
    chosen = named([p for p in await desk.store.list_people() if p.role in COVERING_ROLES], who)
    if len(chosen) != 1 or chosen[0].ref == actor.ref:
        return Message(key="case.cover_usage"), False
    if until is None:
        return await _end(desk, actor, chosen[0], origin)
    return await _set(desk, actor, Cover(person=chosen[0].ref, until=until, set_by=str(actor.ref), set_at=desk.clock.now()), chosen[0],
                      origin)


async def _set(desk: CoverDesk, actor: Person, cover: Cover, person: Person, origin: str) -> tuple[Message, bool]:
    """Audited and told first (once per request), then stored: a crash between the two is
    finished by the request's retry, never leaves a cover nobody audited."""
    told = Message(key="case.cover_started", fields={"by": actor.name or str(actor.ref), "until": date_words(cover.until)})
    await desk.store.commit(Effects(
        messages=(outbox_item(person.ref, told, key=f"cover|{origin}|{person.ref}", due_at=desk.clock.now()),),
        audit=(decision(desk.clock, action="cover.set", actor=str(actor.ref), actor_role=actor.role.value, subject=str(person.ref),
                        clause=CLAUSE, outcome=cover.until.isoformat()),)), once=f"cover|{origin}")
    await desk.store.put_cover(cover)
    return Message(key="case.cover_set", fields={"person": person.name or str(person.ref), "until": date_words(cover.until)}), True


async def _end(desk: CoverDesk, actor: Person, person: Person, origin: str) -> tuple[Message, bool]:
    if str(person.ref) not in {str(c.person) for c in await desk.store.list_covers()}:
        return Message(key="case.cover_none_for", fields={"person": person.name or str(person.ref)}), False
    await desk.store.commit(Effects(
        messages=(outbox_item(person.ref, Message(key="case.cover_ended_you"), key=f"cover|{origin}|{person.ref}",
                              due_at=desk.clock.now()),),
        audit=(decision(desk.clock, action="cover.ended", actor=str(actor.ref), actor_role=actor.role.value, subject=str(person.ref),
                        clause=CLAUSE),)), once=f"cover|{origin}")
    await desk.store.end_cover(person.ref)
    return Message(key="case.cover_ended", fields={"person": person.name or str(person.ref)}), True


def _date(text: str) -> date | None:
    try:
        return date.fromisoformat(text)
    except ValueError:
        return None


def _name(people: dict[str, Person], ref: str) -> str:
    person = people.get(ref)
    return (person.name if person else "") or ref
