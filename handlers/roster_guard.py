"""A roster import must never quietly remove the people who receive reports.

Replacing a channel's roster with a two-row class file once removed the lead, the deputy, the
head and the admin and exited 0; every report after it reached nobody (004 strategy 9: concerns
go to the designated staff immediately; 000 §3: formal procedures). So an import is planned
first, against the stored roster: `--dry-run` shows the plan by role and writes nothing, and an
import that would leave a channel with no `dsl`, remove every deputy or head of a channel, or
remove more than half of a channel's people is refused, saying what would be lost, unless
forced. Any other way of replacing a roster (a directory sync) must go through this guard too.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

from handlers.audit import record_decision
from handlers.roster import ROSTER_CLAUSE, import_roster
from handlers.roster_import import ParsedRoster, RosterError
from state.clock import Clock
from state.models import Person, Role
from state.roster_diff import diff_roster
from state.store import RosterChange, Store

KEPT_ROLES = (Role.DEPUTY_DSL, Role.HEAD)  # a channel that had one must keep one


class RosterRefused(RosterError):
    """The import would lose the people who receive reports; nothing was written."""

    def __init__(self, losses: list[str]) -> None:
        super().__init__([*losses, "run with --dry-run to see every change, or --force to import anyway"])
        self.losses = losses


@dataclass(frozen=True)
class ImportPlan:
    """The stored and the resulting roster of the file's channels, and the difference."""

    before: tuple[Person, ...]
    after: tuple[Person, ...]
    change: RosterChange

    def by_role(self) -> dict[str, dict[str, list[Person]]]:
        """added / updated / removed → role → people, for the dry run's listing."""
        people = {str(person.ref): person for person in (*self.before, *self.after)}
        after = {str(person.ref): person for person in self.after}
        listing: dict[str, dict[str, list[Person]]] = {}
        for what, refs in (("added", self.change.added), ("updated", self.change.updated), ("removed", self.change.removed)):
            for ref in refs:
                person = after.get(ref, people[ref])
                listing.setdefault(what, {}).setdefault(person.role.value, []).append(person)
        return listing

    def losses(self) -> list[str]:
        """What this import would lose that reports depend on, channel by channel."""
        found: list[str] = []
        for channel in sorted({person.channel for person in (*self.before, *self.after)}):
            before = [person for person in self.before if person.channel == channel]
            after = [person for person in self.after if person.channel == channel]
            left = {str(person.ref) for person in after}
            removed = [person for person in before if str(person.ref) not in left]
            if not any(person.role is Role.DSL for person in after):
                found.append(f"{channel}: no safeguarding lead (dsl) would be left{_naming(removed, Role.DSL)}")
            for role in KEPT_ROLES:
                if any(person.role is role for person in before) and not any(person.role is role for person in after):
                    found.append(f"{channel}: every {role.value} would be removed{_naming(removed, role)}")
            if before and len(removed) * 2 > len(before):
                found.append(f"{channel}: {len(removed)} of its {len(before)} people would be removed (more than half)")
        return found


def plan_import(stored: Sequence[Person], roster: ParsedRoster, *, merge: bool) -> ImportPlan:
    """What importing `roster` would do to `stored`: replace the file's channels, or merge."""
    before = tuple(person for person in stored if person.channel in roster.channels)
    merged = {**{str(person.ref): person for person in before}, **{str(person.ref): person for person in roster.pinned().people}}
    after = tuple(merged.values()) if merge else roster.people
    return ImportPlan(before, after, diff_roster(before, after, removing=not merge))


async def guarded_import(store: Store, clock: Clock, roster: ParsedRoster, *, merge: bool, actor: str,
                         force: bool = False) -> RosterChange:
    """Import unless the plan loses the people reports depend on (RosterRefused, nothing
    written); forced anyway, the losses are audited with the import."""
    losses = plan_import(await store.list_people(), roster, merge=merge).losses()
    if losses and not force:
        raise RosterRefused(losses)
    change = await import_roster(store, clock, roster, merge=merge, actor=actor)
    if losses:
        await record_decision(store, clock, action="roster.forced", actor=actor, clause=ROSTER_CLAUSE, outcome="imported despite",
                              detail={"losses": "; ".join(losses)[:500]})
    return change


def _naming(removed: Sequence[Person], role: Role) -> str:
    names = [f"{person.name} ({person.ref})" for person in removed if person.role is role]
    return f": removes {', '.join(names)}" if names else ""
