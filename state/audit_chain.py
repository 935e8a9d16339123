"""A tamper-evident audit log: each record is sealed with the hash of the one before it.

The seal of record `seq` is SHA-256 over the seal before it, its seq and its stored text
(`seal(prev, seq, data)`); the first record follows the chain's anchor (GENESIS, or the last
record a purge removed). The Store keeps the chain's head (the last seq handed out and its
seal) beside the log, so removing the newest records shows too. Both backends seal inside the
same atomic write that appends the record: SQLite with `seal` here, Redis with the same hash
written in Lua (state/redis_sha256.py).

`verify` walks the stored log and names what was done to it: a record edited (its text no
longer gives its seal), deleted (a seq missing), reordered (a record, intact, at another's
place), or edited and sealed again by someone who recomputed its seal (the record after it
no longer follows from it). A chain is evidence, not a lock: anyone able to rewrite every
record and the head could reseal the lot, which is why the weekly digest carries the head's
seal out of the database to the people who read it.
"""

from __future__ import annotations

import hashlib
import json
import logging
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from datetime import datetime

from state import codec
from state.records import AuditEntry, AuditRecord

log = logging.getLogger(__name__)

GENESIS = "0" * 64
"""What the first record of a new log follows."""


def seal(prev: str, seq: int, data: str) -> str:
    return hashlib.sha256(f"{prev}\n{seq}\n{data}".encode()).hexdigest()


def stamped(data: str) -> datetime:
    """When a stored record says it was made (a purge keeps everything from its date on)."""
    return datetime.fromisoformat(json.loads(data)["at"])


def readable_entries(rows: Iterable[tuple[int, str]]) -> list[AuditEntry]:
    """The records a reader (the digest, an export) can use; one that no longer reads as a record
    (edited by hand) is left out with a warning rather than failing every reader: `audit verify`
    names it."""
    entries = []
    for seq, data in rows:
        try:
            entries.append(AuditEntry(seq, codec.loads(AuditRecord, data)))
        except (ValueError, TypeError, KeyError):
            log.warning("audit record %d does not read as a record: left out (audit verify names it)", seq)
    return entries


@dataclass(frozen=True)
class SealedRecord:
    """One stored record as the chain sees it: where it is stored (`place`, in storage order),
    the seq it claims, its text, the seal it follows and its own seal."""

    place: int
    seq: int
    data: str
    prev: str
    seal: str


@dataclass(frozen=True)
class ChainEnds:
    """Where the stored log must start and end: the anchor (the seq and seal the first record
    follows) and the head (the last seq handed out, and its seal)."""

    anchor_seq: int = 0
    anchor_seal: str = GENESIS
    head_seq: int = 0
    head_seal: str = GENESIS


@dataclass(frozen=True)
class Purged:
    """What a purge deleted: the cases, and the audit records up to the new anchor."""

    cases: tuple[str, ...]
    audit_records: int
    anchor_seq: int


@dataclass(frozen=True)
class Finding:
    """One thing wrong with the log: `kind` is edited, deleted, reordered or resealed."""

    kind: str
    seq: int
    detail: str


def verify(records: Sequence[SealedRecord], ends: ChainEnds) -> list[Finding]:
    """Every record edited, deleted, reordered or edited-and-resealed, by seq; [] when intact."""
    sealed_as = _sealed_seqs(records, ends)
    findings: list[Finding] = []
    intact: dict[int, SealedRecord] = {}
    latest = ends.anchor_seq
    for record in sorted(records, key=lambda r: r.place):
        seq = sealed_as.get(record.place)
        if seq is None:
            findings.append(Finding("edited", record.seq, "its text no longer gives its seal"))
            latest = max(latest, record.seq)
            continue
        if seq != record.seq or seq < latest:
            where = f"found after record {latest}" if seq < latest else f"found in place of record {record.seq}"
            findings.append(Finding("reordered", seq, where))
        intact[seq] = record
        latest = max(latest, seq)
    present = intact.keys() | {f.seq for f in findings if f.kind == "edited"}
    findings += [Finding("deleted", seq, "missing from the log") for seq in range(ends.anchor_seq + 1, ends.head_seq + 1)
                 if seq not in present]
    findings += _resealed(intact, ends)
    return sorted(findings, key=lambda f: (f.seq, f.kind))


def _sealed_seqs(records: Sequence[SealedRecord], ends: ChainEnds) -> dict[int, int]:
    """The seq each intact record (by place) was sealed with: its own, or, for a record moved
    elsewhere, one more than the record whose seal it follows (found from the anchor onwards)."""
    found = {r.place: r.seq for r in records if seal(r.prev, r.seq, r.data) == r.seal}
    follows = {ends.anchor_seal: ends.anchor_seq} | {r.seal: r.seq for r in records if r.place in found}
    moved = [r for r in records if r.place not in found]
    while progress := [r for r in moved if r.place not in found and r.prev in follows
                       and seal(r.prev, follows[r.prev] + 1, r.data) == r.seal]:
        for record in progress:
            found[record.place] = follows[record.seal] = follows[record.prev] + 1
    return found


def _resealed(intact: dict[int, SealedRecord], ends: ChainEnds) -> list[Finding]:
    """An intact record whose successor (or the head) follows a different seal was replaced by
    one sealed again; so was a first record not following the anchor."""
    found: list[Finding] = []
    for seq, record in intact.items():
        before = intact.get(seq - 1)
        if seq - 1 == ends.anchor_seq and record.prev != ends.anchor_seal:
            found.append(Finding("resealed", seq, "it does not follow the log's anchor"))
        elif before is not None and record.prev != before.seal:
            found.append(Finding("resealed", seq - 1, f"record {seq} does not follow from it"))
    last = intact.get(ends.head_seq)
    if last is not None and last.seal != ends.head_seal:
        found.append(Finding("resealed", ends.head_seq, "the log's head does not follow from it"))
    return found
