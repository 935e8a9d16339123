"""The Store's ports: one protocol per concern. `state.store.Store` is all of them: one backend
object implements every port, and a duty may ask for no more than the ports it uses. The contract
suite (tests/state/contract/, one class per port) runs every port over both backends."""

from __future__ import annotations

from collections.abc import Callable, Collection, Mapping, Sequence
from datetime import datetime
from pathlib import Path
from typing import TYPE_CHECKING, Any, Protocol

from state.audit_chain import ChainEnds, Purged, SealedRecord
from state.case_lifecycle import CaseAction, Moved
from state.due import Claim, DueItem, Overdue, Queue, Undelivered
from state.effects import NO_EFFECTS, Effects
from state.models import Group, GroupKey, Member, Person, PersonRef
from state.records import AuditEntry, AuditRecord, Case, CaseState, Cover, Lesson, Schedule, SchoolDays

if TYPE_CHECKING:
    from state.store import Durability, RosterChange


class Lifecycle(Protocol):
    """The database itself: it answers, keeps what it is given, and closes."""

    async def ping(self) -> None:
        """Raise StoreUnavailable unless the database answers (used by /readyz)."""

    async def close(self) -> None: ...

    async def durability(self) -> Durability:
        """Whether a committed write survives a crash and a power cut, in words (`doctor`)."""

    async def backup(self, target: Path) -> None:
        """Copy all it keeps to the new file `target`, consistently, while the bot runs. A
        backend whose data a tool of its own backs up refuses (BackupRefused, saying which)."""


class RosterPort(Protocol):
    """Who is who: roles decide every duty."""

    async def replace_roster(self, channels: Collection[str], people: Sequence[Person]) -> RosterChange:
        """Make `people` the whole roster of `channels`, atomically; others stay untouched."""

    async def merge_roster(self, people: Sequence[Person]) -> RosterChange: ...

    async def get_person(self, channel: str, user_id: str) -> Person | None: ...

    async def list_people(self, channel: str | None = None) -> list[Person]: ...

    async def save_person_address(self, ref: PersonRef, address: dict[str, Any]) -> None:
        """Keep the channel's way to reach this person privately (a Teams personal
        conversation reference, a member id) so alerts reach staff after a restart."""

    async def get_person_address(self, ref: PersonRef) -> dict[str, Any] | None: ...


class GroupsPort(Protocol):
    """The class groups the bot is in, their members, reminder schedules, term dates and lessons (000 §5)."""

    async def register_group(self, group: Group) -> bool:
        """Insert a group the bot has just joined; False (and nothing changed) if known."""

    async def save_group(self, group: Group) -> None: ...

    async def replace_group(self, expected: Group, new: Group, effects: Effects = NO_EFFECTS) -> bool:
        """Save `new` only if the group is still exactly `expected` (compare-and-set), with the
        effects of the change in the same atomic write; False (and nothing written) if it
        changed meanwhile — e.g. the bot was removed, or another check decided first."""

    async def get_group(self, key: GroupKey) -> Group | None: ...

    async def list_groups(self) -> list[Group]: ...

    async def set_group_members(self, key: GroupKey, members: Sequence[Member]) -> None: ...

    async def group_members(self, key: GroupKey) -> list[Member]: ...

    async def save_schedule(self, schedule: Schedule) -> None: ...

    async def get_schedule(self, key: GroupKey) -> Schedule | None: ...

    async def list_schedules(self) -> list[Schedule]: ...

    async def save_calendar(self, spans: Sequence[SchoolDays]) -> None:
        """Replace the school calendar (terms and holidays) as a whole."""

    async def get_calendar(self) -> list[SchoolDays]:
        """The school calendar; empty when none was imported (then every day counts as term)."""

    async def advance_rotation(self, key: GroupKey) -> int:
        """Return this group's reminder counter and add one, so consecutive reminders differ."""

    async def start_lesson(self, lesson: Lesson) -> bool:
        """Open a lesson; False if the group already has one running."""

    async def active_lesson(self, key: GroupKey) -> Lesson | None: ...

    async def save_lesson(self, lesson: Lesson) -> None:
        """Update a lesson (end, register); a lesson with `ended_at` is no longer active."""

    async def list_lessons(self) -> list[Lesson]: ...


class CasesPort(Protocol):
    """Concern cases and what is sent about them, each written once (004 strategies 8, 9, 13; 000 §3)."""

    async def next_case_reference(self, year: int) -> str:
        """A fresh `C-YYYY-NNNNNN`, unique across instances."""

    async def case_reference_for(self, origin: str) -> str | None:
        """The case already made from the event `origin` (a retried report), if any."""

    async def save_case_with_delivery(self, case: Case, effects: Effects, *, origin: str) -> str:
        """The case and all that follows it (deliveries, the escalation timer, the reporter's
        reply, its audit row) in one atomic write, once per event `origin`: the case is the system
        of record before the reporter hears 'received'. Returns the reference stored for
        `origin`: an earlier case's when the event was already reported (then nothing is written)."""

    async def get_case(self, reference: str) -> Case | None:
        """Look a case up by reference, ignoring case (`c-2026-000001` finds it)."""

    async def list_cases(self, states: Collection[CaseState] | None = None) -> list[Case]: ...

    async def change_case(self, reference: str, action: CaseAction, effects: Callable[[Moved], Effects] | None = None) -> Moved:
        """Apply `action` (state/case_lifecycle.py) atomically, writing the new case together
        with `effects(moved)`. A refusal (CaseRefused) propagates and nothing is written."""

    async def open_report_window(self, reporter: PersonRef, case: str, seconds: float) -> None:
        """For `seconds`, `reporter`'s next messages belong to `case`: a case reference, or a
        PENDING marker (a bare `report` was sent: the next message is the report itself)."""

    async def report_window(self, reporter: PersonRef) -> str | None:
        """What `reporter`'s next message belongs to, while a window is open."""


class DueWorkPort(Protocol):
    """Durable due work: timers, the outbox and the inbox, claimed with leases."""

    async def schedule_due(self, item: DueItem, *, replace: bool = False) -> bool:
        """Queue an item; with an id already queued, False unless `replace`."""

    async def claim_due(self, queue: Queue, *, limit: int, lease_seconds: float, holder: str = "") -> list[Claim]:
        """Lease up to `limit` items due now, earliest first, for `holder` (an instance id). Two
        claimers never get one item. Items leased by an instance whose heartbeat stopped are
        due now too: taken over at once, not at the end of their lease."""

    async def release_due(self, claim: Claim) -> bool:
        """Give a claimed item back untouched, due when it was (its own due time, so a
        recipient's messages keep their order): not an attempt, no error. Its recipient is busy
        in this instance, so the slot goes to someone else's message."""

    async def heartbeat(self, holder: str, *, alive_seconds: float) -> None:
        """`holder` is alive for `alive_seconds` more (0: it stopped, its leases are free now)."""

    async def finish_due(self, claim: Claim) -> bool: ...

    async def retry_due(self, claim: Claim, *, delay_seconds: float, error: str, attempt: bool = True) -> bool:
        """Give the item back with the error recorded and, unless `attempt` is False (waiting for
        a recipient is not a failed attempt), one more attempt counted."""

    async def park_due(self, claim: Claim, *, error: str) -> bool:
        """Stop retrying but keep the item and its error where a person can see it."""

    async def cancel_due(self, queue: Queue, item_id: str) -> bool: ...

    async def get_due(self, queue: Queue, item_id: str) -> DueItem | None: ...

    async def list_parked(self, queue: Queue) -> list[DueItem]: ...

    async def list_undelivered(self, queue: Queue) -> list[Undelivered]:
        """Every item that failed at least once and is not in hand: parked, or waiting for its
        next attempt (with the error that stopped it), by id."""

    async def redrive_due(self, queue: Queue, *, item_ids: Collection[str] = (), partitions: Collection[str] = ()) -> int:
        """Make the named undelivered items, or every undelivered item of `partitions` (a
        recipient), due now and no longer parked; items in hand are left alone. Returns how many."""

    async def due_depth(self, queue: Queue) -> int:
        """How many items `queue` holds: waiting, in hand or parked."""

    async def overdue(self, queue: Queue, *, due_before: datetime) -> Overdue:
        """The items of `queue` that are not parked, not in hand, and were due (or whose lease ran
        out) before `due_before`: work that live workers would have taken already."""

    async def accept_inbound(self, key: str, item: DueItem, ttl_seconds: float) -> bool:
        """Remember `key` and queue `item` atomically; False (nothing queued) for a replay."""

    async def queue_message_once(self, item: DueItem) -> bool:
        """Queue an outbox message unless its id was queued in the last ONCE_MEMORY_SECONDS, even
        if it has been delivered (and removed) since: remembering and queuing are one atomic step."""


class AuditPort(Protocol):
    """Effects of a decision and the audit log (append-only, one total order), and the shared tallies."""

    async def commit(self, effects: Effects, *, once: str | None = None) -> bool:
        """Write `effects` in one atomic step; with `once`, only the first time that key is seen
        (an event's effects, retried, are written once). False if `once` was seen."""

    async def append_audit(self, record: AuditRecord, *, key: str | None = None) -> AuditEntry | None:
        """Append `record`; with `key` (the event and decision it records), only once: a retry
        appends nothing and gets None."""

    async def read_audit(self, *, after_seq: int = 0, limit: int = 1000) -> list[AuditEntry]: ...

    async def purge_before(self, before: datetime, *, references: Collection[str], audit_records: int) -> Purged:
        """Delete, in one atomic step, the named cases if they are closed and were received before
        `before`, and the first `audit_records` records of the log if each is from before it; the
        next record then follows the last one deleted (the chain's new anchor). What was deleted."""

    async def read_sealed_audit(self, *, after_place: int = 0, limit: int = 1000) -> list[SealedRecord]:
        """The stored log as the chain sees it (state/audit_chain.py), in storage order after
        `after_place`: whatever is stored, tampered or not, for `audit verify` to judge."""

    async def audit_chain_ends(self) -> ChainEnds:
        """The chain's anchor and head as stored beside the log."""

    async def add_tallies(self, counts: Mapping[str, int]) -> None:
        """Add each count to its named running total, atomically."""

    async def read_tallies(self) -> dict[str, int]:
        """Every running total by name."""


class SendSlotsPort(Protocol):
    """Outbound rate limits, shared across instances."""

    async def reserve_send_slot(self, bucket: str, windows: Sequence[tuple[int, float]]) -> float:
        """Take a send slot under every `(count, per_seconds)` window and return 0, or take
        nothing and return how many seconds until one frees up."""


class CoverPort(Protocol):
    """Who covers for a lead who is away, and until when (one cover per person)."""

    async def put_cover(self, cover: Cover) -> None:
        """Set or replace `cover.person`'s cover."""

    async def end_cover(self, person: PersonRef) -> bool:
        """Remove a person's cover; False if they had none."""

    async def list_covers(self) -> list[Cover]:
        """Every cover stored, ended by date or not, by person."""


class KeyValuePort(Protocol):
    """Shared caches with expiry (tokens), and locks that only their owner releases."""

    async def cache_get(self, key: str) -> str | None: ...

    async def cache_set(self, key: str, value: str, ttl_seconds: float) -> None: ...

    async def cache_add(self, key: str, value: str, ttl_seconds: float) -> bool:
        """Set only if absent: one refresher at a time across instances."""

    async def cache_delete(self, key: str) -> None: ...

    async def take_lock(self, name: str, owner: str, ttl_seconds: float) -> bool:
        """Hold lock `name` for `owner` (a value unique to this attempt) for at most `ttl_seconds`;
        False while someone else holds it. One refresher of a shared token at a time."""

    async def release_lock(self, name: str, owner: str) -> bool:
        """Release `name` only if `owner` still holds it: a hold that ran out and was taken by
        another instance is theirs, never deleted by the first. False if it was not ours."""
