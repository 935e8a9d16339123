"""Applying a roster to the Store, and asking it who someone is.

Leavers removed by an import are audited one by one: a child who left must stop being
treated as a student of the class, and the record shows when that happened.
"""

from __future__ import annotations

from collections.abc import Sequence

from handlers.audit import record_decision
from handlers.roster_import import ParsedRoster
from state.clock import Clock
from state.models import Member, Person, Role
from state.store import RosterChange, Store

ROSTER_CLAUSE = "000 §5; 004 strategy 18"


async def import_roster(store: Store, clock: Clock, roster: ParsedRoster, *, merge: bool, actor: str) -> RosterChange:
    """Replace the roster of the file's channels (or, with `merge`, add and update only, each
    row pinned over what a directory sync would say)."""
    if merge:
        change = await store.merge_roster(roster.pinned().people)
    else:
        change = await store.replace_roster(roster.channels, roster.people)
    for leaver in change.removed:
        await record_decision(store, clock, action="roster.removed", actor=actor, subject=leaver, clause=ROSTER_CLAUSE)
    await record_decision(
        store, clock, action="roster.imported", actor=actor, clause=ROSTER_CLAUSE,
        outcome="merged" if merge else "replaced",
        detail={"channels": ",".join(sorted(roster.channels)), "added": str(len(change.added)),
                "updated": str(len(change.updated)), "removed": str(len(change.removed))},
    )
    return change


async def class_members(store: Store, channel: str, class_name: str) -> list[Member]:
    """Everyone the roster places in `class_name` on `channel`: its students, their parents and its
    teachers. Stands in for a group's members when the channel cannot list them (a WeCom 班级群
    that is not a customer group), so supervision still asks whether the admin team is there
    (000 §5): a guest who joined cannot be seen this way, which the group's status says."""
    return [Member(user_id=person.user_id, display_name=person.name, platform_id=person.user_id)
            for person in await store.list_people(channel) if class_name and class_name in person.classes]


async def identify(store: Store, channel: str, user_id: str) -> Person:
    """The roster's person, or an `unknown` stranger with least privilege (a guest). `user_id`
    is spelled as its channel spells it (bots/<channel>/ids.py), so an exact match finds them."""
    person = await store.get_person(channel, user_id)
    if person is not None:
        return person
    return Person(channel=channel, user_id=user_id, name="", role=Role.UNKNOWN)


async def identify_reporter(store: Store, channel: str, user_id: str) -> Person:
    """Who is reporting; if the Store cannot even say, a stranger: the report path must still
    answer the child (it will say 'try again or tell a trusted adult')."""
    try:
        return await identify(store, channel, user_id)
    except Exception:  # the Store is down
        return Person(channel=channel, user_id=user_id, name="", role=Role.UNKNOWN)


def named(people: Sequence[Person], text: str) -> list[Person]:
    """Those of `people` a person meant by `text`: their `channel:user_id`, or their full name
    (either case). More than one (two of the same name) is for the caller to refuse."""
    wanted = text.strip().casefold()
    return [person for person in people if wanted and wanted in (str(person.ref).casefold(), person.name.casefold())]
