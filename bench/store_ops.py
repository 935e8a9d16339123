"""Store throughput on both backends: the three writes every duty leans on.

- case + outbox entry + escalation timer in one atomic write (a child's report),
- claiming a due timer and finishing it (escalations, reminders, deliveries),
- appending to the audit log.

Baselines from the same run: one bare INSERT per transaction with the same durability
(SQLite, `synchronous=FULL`), and one bare SET through the same client (Redis, AOF fsync on
every write). Run with `make bench`. Our goal (none was given): GOAL_PER_SECOND of each, so a burst of
100 children's reports is stored within a second.
"""

from __future__ import annotations

import sqlite3
import tempfile
from datetime import UTC, datetime
from pathlib import Path

import redis.asyncio as aioredis

from bench.results import Figure, Section
from bench.timing import Result, measure, report
from state.clock import SystemClock
from state.due import DueItem, Queue
from state.effects import Effects
from state.models import GroupKey, PersonRef, Role
from state.records import AuditRecord, Case
from state.redis import RedisStore
from state.redis_server import RedisServer
from state.sqlite import SqliteStore
from state.store import Store

COUNT = 300
GOAL_PER_SECOND = 100
GROUP = GroupKey("teams", "19:bench")


async def store_results(store: Store) -> list[Result]:
    now = datetime.now(UTC)

    async def save_case(i: int) -> None:
        reference = f"C-2026-{i:06d}"
        case = Case(reference=reference, reporter=PersonRef("teams", "s1"), reporter_role=Role.STUDENT,
                    received_at=now, text="bench", group=GROUP)
        await store.save_case_with_delivery(case, Effects(
            messages=(DueItem(queue=Queue.OUTBOX, item_id=f"{reference}|dsl", kind="case.deliver", due_at=now),),
            timers=(DueItem(queue=Queue.TIMERS, item_id=f"{reference}|escalate", kind="case.escalate", due_at=now),)), origin=reference)

    async def claim_and_finish(i: int) -> None:
        claims = await store.claim_due(Queue.TIMERS, limit=1, lease_seconds=60)
        await store.finish_due(claims[0])

    async def append_audit(i: int) -> None:
        await store.append_audit(AuditRecord(at=now, action="bench", actor="system", group=str(GROUP), clause="000 §5"))

    return [
        await measure("case + outbox + timer (one atomic write)", save_case, count=COUNT),
        await measure("claim a due timer and finish it", claim_and_finish, count=COUNT),
        await measure("append to the audit log", append_audit, count=COUNT),
    ]


def section(title: str, results: list[Result], baseline: Result) -> Section:
    """Print the table and return the figures: each operation's rate against the bare write."""
    report(title, results, baseline)
    return Section(f"Store operations: {title}", f"One caller, {COUNT} operations a round, 5 rounds. Baseline, same run: "
                   f"{baseline.name.removeprefix('baseline: ')}. Our goal: a burst of {GOAL_PER_SECOND} reports stored within a second.",
                   tuple(Figure(result.name, result.ops_per_second, "ops/s", baseline.ops_per_second,
                                f"our goal: ≥ {GOAL_PER_SECOND} ops/s", result.ops_per_second >= GOAL_PER_SECOND) for result in results))


async def sqlite_section(folder: Path) -> Section:
    bare = sqlite3.connect(folder / "bare.db", isolation_level=None)
    bare.execute("PRAGMA journal_mode = WAL")
    bare.execute("PRAGMA synchronous = FULL")
    bare.execute("CREATE TABLE t (v TEXT)")

    async def bare_insert(i: int) -> None:
        bare.execute("BEGIN IMMEDIATE")
        bare.execute("INSERT INTO t VALUES (?)", (str(i),))
        bare.execute("COMMIT")

    baseline = await measure("baseline: bare INSERT, one transaction", bare_insert, count=COUNT)
    store = await SqliteStore.open(folder / "bench.db", clock=SystemClock())
    try:
        return section("SQLite (WAL, synchronous=FULL)", await store_results(store), baseline)
    finally:
        await store.close()
        bare.close()


async def redis_section(folder: Path) -> Section:
    server = RedisServer(folder)
    server.start()
    try:
        client = aioredis.Redis.from_url(server.url)

        async def bare_set(i: int) -> None:
            await client.set(f"bare:{i}", "v")

        baseline = await measure("baseline: bare SET", bare_set, count=COUNT)
        await client.aclose()
        store = await RedisStore.from_url(server.url, clock=SystemClock())
        try:
            return section("Redis (AOF, appendfsync always)", await store_results(store), baseline)
        finally:
            await store.close()
    finally:
        server.stop()


async def main() -> list[Section]:
    print(f"Store operations, {COUNT} per round, 5 rounds; medians over rounds")
    with tempfile.TemporaryDirectory(prefix="esafety-bench-") as scratch:
        return [await sqlite_section(Path(scratch)), await redis_section(Path(scratch))]
