"""Applying the school's directory to the roster, without ever losing the safeguarding staff.

A school keeps its classes, students, teachers and staff groups in its directory (Microsoft 365
for Teams; WeCom's school contacts), so the roster is read from there rather than from a CSV
that goes stale the day a child joins or leaves (000 §5: the roster decides who supervises a
group; 004 strategy 18). A channel's reader lists the people the directory knows; this module
turns that into the channel's new roster and applies it through the very guard `roster import`
uses (handlers/roster_guard.py): a sync that would leave no dsl, remove every deputy or head, or
remove more than half of a channel's people is refused whole unless forced.

What the directory does not decide stays as the school set it:
- consent (000 §5.1–5.2, §5.10) is never in the directory: each person keeps the consent on
  record, and a sync never changes it;
- a person's locale, and their role when the school's file pinned it (`roster import --merge`),
  are kept over the directory's;
- people the school's file put on the roster (parents, staff outside the directory) are kept; only
  those a sync brought are removed when the directory no longer lists them.
Every difference is audited, person by person.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field, replace

from handlers.audit import record_decision
from handlers.directory_classes import link_class_teams
from handlers.roster import ROSTER_CLAUSE
from handlers.roster_guard import ImportPlan, RosterRefused, guarded_import, plan_import
from handlers.roster_import import ParsedRoster
from state.clock import Clock
from state.due import DueItem
from state.models import STAFF_ROLES, GroupKey, Person
from state.store import RosterChange, Store


class DirectoryError(RuntimeError):
    """The directory could not be read whole: nothing was applied."""


@dataclass(frozen=True)
class Listing:
    """A channel's directory, read whole: its people, its classes by id (a class team's group id
    is its class's id; a 班级群's chat id), and the class groups the directory names, each with
    the join that brings the bot into it (queued when the bot is not in it yet)."""

    people: Sequence[Person]
    classes: Mapping[str, str] = field(default_factory=dict)
    joins: Mapping[GroupKey, DueItem] = field(default_factory=dict)


@dataclass(frozen=True)
class Changes:
    """What one change in the directory touched, read on its own (a WeCom change_school_contact
    callback): the people as the directory lists them now, and the ids it no longer lists."""

    people: Sequence[Person]
    gone: frozenset[str] = frozenset()


@dataclass(frozen=True)
class SyncOutcome:
    """What a sync planned, and what it applied (None for a dry run)."""

    channel: str
    plan: ImportPlan
    change: RosterChange | None
    joining: tuple[GroupKey, ...] = ()  # class groups the directory names that the bot is not in yet

    @property
    def kept_pinned(self) -> list[Person]:
        """People whose role the school's file pinned over the directory's."""
        return [person for person in self.plan.after if person.pinned and person.from_directory]


def roster_from_directory(channel: str, listed: Sequence[Person], stored: Sequence[Person]) -> ParsedRoster:
    """The channel's roster after a sync: the directory's people (keeping each one's consent,
    locale and pinned role), and the people the school's file put there that it does not list."""
    if not listed:
        raise DirectoryError(f"{channel}: the directory listed nobody; nothing was applied (check the app's permissions)")
    on_record = {str(person.ref): person for person in stored if person.channel == channel}
    after: list[Person] = []
    for person in listed:
        old = on_record.get(str(person.ref))
        if old is not None:
            person = replace(person, consent=old.consent, locale=old.locale, pinned=old.pinned,
                             role=old.role if old.pinned else person.role)
        after.append(person)
    listed_refs = {str(person.ref) for person in listed}
    after += [person for ref, person in on_record.items() if ref not in listed_refs and not person.from_directory]
    return ParsedRoster(tuple(after))


async def sync_channel(store: Store, clock: Clock, channel: str, listed: Sequence[Person], *, dry_run: bool = False,
                       force: bool = False, actor: str = "directory") -> SyncOutcome:
    """Plan the channel's new roster from the directory and, unless a dry run, apply it through
    the roster guard (RosterRefused, nothing written, audited) and audit every difference."""
    stored = await store.list_people()
    roster = roster_from_directory(channel, listed, stored)
    plan = plan_import(stored, roster, merge=False)
    if dry_run:
        return SyncOutcome(channel, plan, None)
    try:
        change = await guarded_import(store, clock, roster, merge=False, actor=actor, force=force)
    except RosterRefused as refused:
        await record_decision(store, clock, action="directory.refused", actor=actor, clause=ROSTER_CLAUSE, outcome=channel,
                              detail={"losses": "; ".join(refused.losses)[:500]})
        raise
    for action, refs in (("directory.added", change.added), ("directory.updated", change.updated)):
        for ref in refs:
            await record_decision(store, clock, action=action, actor=actor, subject=ref, clause=ROSTER_CLAUSE, outcome=channel)
    return SyncOutcome(channel, plan, change)


async def sync_changes(store: Store, clock: Clock, channel: str, changes: Changes, *, actor: str = "directory") -> SyncOutcome:
    """Apply one change without reading the whole directory: everyone an earlier sync brought stays
    as stored, the people the change touched are replaced by what the directory says now, and the
    ids it no longer lists go. Through the same guard and audit as a whole sync. A member of staff
    the directory also lists as a parent (WeCom lets a parent's id be a staff userid) stays staff:
    a family record never demotes the role the staff groups gave."""
    stored = {person.user_id: person for person in await store.list_people(channel) if person.from_directory}
    touched = {person.user_id for person in changes.people} | changes.gone
    kept = [person for userid, person in stored.items() if userid not in touched]
    fresh = [replace(person, role=stored[person.user_id].role) if _stays_staff(stored.get(person.user_id), person) else person
             for person in changes.people]
    return await sync_channel(store, clock, channel, [*kept, *fresh], actor=actor)


def _stays_staff(before: Person | None, after: Person) -> bool:
    return before is not None and before.role in STAFF_ROLES and after.role not in STAFF_ROLES


async def sync_listing(store: Store, clock: Clock, channel: str, listing: Listing, *, dry_run: bool = False, force: bool = False,
                       actor: str = "directory") -> SyncOutcome:
    """Sync the people, then (unless a dry run) link the channel's class teams to their classes
    and queue a join for each class group the directory names that the bot is not in yet (a
    school's 班级群 come under supervision without anyone adding the bot by hand)."""
    outcome = await sync_channel(store, clock, channel, listing.people, dry_run=dry_run, force=force, actor=actor)
    joining = tuple([key for key in listing.joins if await store.get_group(key) is None])
    if not dry_run:
        await link_class_teams(store, clock, channel, listing.classes)
        for key in joining:
            await store.schedule_due(listing.joins[key])
            await record_decision(store, clock, action="group.join_queued", actor=actor, group=str(key), clause="000 §5",
                                  outcome=listing.classes.get(key.conversation_id, ""))
    return replace(outcome, joining=joining)
