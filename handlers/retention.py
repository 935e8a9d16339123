"""How long the safeguarding record is kept, and the one way to delete from it (000 §3; 004
strategy 13). UK guidance keeps child-protection records until the child's date of birth plus
25 years, so nothing is ever deleted by default (`ESAFETY_CASE_RETENTION_DAYS` unset). A school
whose policy requires deletion sets its retention period; then a dsl or the head may purge what
is older, by name, after confirming: closed cases received before the date (never an open one)
and the audit records before it. The purge is itself audited, and the audit chain stays
verifiable: the first record kept follows the last one deleted (state/audit_chain.py).
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from handlers.audit import decision, iter_audit
from state.audit_chain import Purged
from state.clock import Clock
from state.models import Person, Role
from state.records import CaseState
from state.store import Store

CLAUSE = "000 §3; 004 strategy 13"
PURGE_ROLES = frozenset({Role.DSL, Role.HEAD})
"""Who may delete from the safeguarding record, once it is past the school's retention period."""


class PurgeRefused(PermissionError):
    """Someone without the role asked for a purge: nothing was deleted, and that was audited."""


@dataclass(frozen=True)
class PurgePlan:
    """What a purge before `before` would delete, to be confirmed first."""

    before: datetime
    references: tuple[str, ...]
    audit_records: int


async def plan_purge(store: Store, before: datetime) -> PurgePlan:
    """Closed cases received before `before`, and the audit records before it: the log's
    oldest ones, up to the first that is not (a prefix, so the chain has one new anchor)."""
    cases = tuple(c.reference for c in await store.list_cases({CaseState.CLOSED}) if c.received_at < before)
    count = 0
    async for entry in iter_audit(store):
        if entry.record.at >= before:
            break
        count += 1
    return PurgePlan(before, cases, count)


async def check_may_purge(store: Store, clock: Clock, actor: Person) -> None:
    """Only a dsl or the head may purge: anyone else is refused (PurgeRefused), and the refusal audited."""
    if actor.role not in PURGE_ROLES:
        await store.append_audit(decision(clock, action="case.command_refused", actor=str(actor.ref), actor_role=actor.role.value,
                                          clause=CLAUSE, outcome="purge"))
        raise PurgeRefused(f"{actor.name or actor.ref} is {actor.role.value}: only a dsl or the head may purge the safeguarding record")


async def purge(store: Store, clock: Clock, plan: PurgePlan, actor: Person) -> Purged:
    """Delete what `plan` names (what is still closed and old), audited before (who, what they
    asked) and after (what went): a crash in between leaves the intent on the record, never a
    deletion nobody audited."""
    await check_may_purge(store, clock, actor)
    await store.append_audit(decision(clock, action="cases.purge_started", actor=str(actor.ref), actor_role=actor.role.value,
                                      clause=CLAUSE, outcome=",".join(plan.references)[:500],
                                      detail={"before": plan.before.isoformat(), "cases": str(len(plan.references)),
                                              "audit_records": str(plan.audit_records)}))
    purged = await store.purge_before(plan.before, references=plan.references, audit_records=plan.audit_records)
    await store.append_audit(decision(clock, action="cases.purged", actor=str(actor.ref), actor_role=actor.role.value, clause=CLAUSE,
                                      outcome=",".join(purged.cases)[:500],
                                      detail={"before": plan.before.isoformat(), "cases": str(len(purged.cases)),
                                              "audit_records": str(purged.audit_records), "anchor": str(purged.anchor_seq)}))
    return purged
