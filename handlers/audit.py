"""The audit log: every decision that touches a child, in one place, in one order.

Every duty records through `record_decision` (refusals, escalations, supervision alerts,
consent gaps, roster changes). Records say who, what, which group, which rule and when, and
never carry report contents (DEVELOPERS.md, privacy; 004 strategy 13).
"""

from __future__ import annotations

import json
from collections.abc import AsyncIterator
from dataclasses import dataclass
from typing import IO, Any

from state import codec
from state.audit_chain import ChainEnds, Finding, verify
from state.clock import Clock
from state.records import AuditEntry, AuditRecord
from state.store import Store

EXPORT_FIELDS = ("seq", "at", "action", "actor", "actor_role", "subject", "group", "clause", "outcome", "detail")
"""The fields of one exported JSON line, documented in the README."""


def decision(
    clock: Clock,
    *,
    action: str,
    actor: str,
    clause: str,
    actor_role: str = "",
    subject: str = "",
    group: str = "",
    outcome: str = "",
    detail: dict[str, str] | None = None,
) -> AuditRecord:
    """One decision as an audit record, stamped with the clock's time: what a duty writes
    together with the change it decided (state/effects.py)."""
    return AuditRecord(at=clock.now(), action=action, actor=actor, actor_role=actor_role, subject=subject, group=group,
                       clause=clause, outcome=outcome, detail=detail or {})


async def record_decision(store: Store, clock: Clock, *, key: str | None = None, **fields: Any) -> AuditEntry | None:
    """Append one decision to the audit log. `key` names the event (and the decision) it
    records, so a retried event appends it once (None the second time)."""
    return await store.append_audit(decision(clock, **fields), key=key)


async def iter_audit(store: Store, *, page: int = 1000) -> AsyncIterator[AuditEntry]:
    after = 0
    while entries := await store.read_audit(after_seq=after, limit=page):
        for entry in entries:
            yield entry
        after = entries[-1].seq


async def export_audit(store: Store, out: IO[str]) -> int:
    """Write the whole log as JSON lines (fields: EXPORT_FIELDS); return how many."""
    count = 0
    async for entry in iter_audit(store):
        line = {"seq": entry.seq, **codec.to_plain(entry.record)}
        out.write(json.dumps({name: line[name] for name in EXPORT_FIELDS}, ensure_ascii=False) + "\n")
        count += 1
    return count


@dataclass(frozen=True)
class AuditVerdict:
    """What `audit verify` found: how many records it checked between the chain's ends, and
    every record edited, deleted, reordered or resealed (none when the log is intact)."""

    records: int
    ends: ChainEnds
    findings: list[Finding]

    @property
    def intact(self) -> bool:
        return not self.findings


async def verify_audit(store: Store, *, page: int = 5000) -> AuditVerdict:
    """Check the whole stored log against its seals and its ends (state/audit_chain.py). The
    ends are read before and after the records: a record appended meanwhile is past the first
    head and left for next time; one past even the second head was put there behind the Store's
    back, and is named."""
    ends = await store.audit_chain_ends()
    records, place = [], 0
    while batch := await store.read_sealed_audit(after_place=place, limit=page):
        records += batch
        place = batch[-1].place
    later = await store.audit_chain_ends()
    beyond = [Finding("beyond_head", r.seq, "it claims a place after the last record the log handed out") for r in records
              if r.seq > later.head_seq]
    checked = [r for r in records if r.seq <= ends.head_seq]
    return AuditVerdict(len(checked), ends, sorted([*verify(checked, ends), *beyond], key=lambda f: (f.seq, f.kind)))
