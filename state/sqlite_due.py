"""The embedded Store's due work: timers, the outbox and the inbox, claimed with leases
(state/due.py), and the late work the auditor looks for."""

from __future__ import annotations

import json
import sqlite3
from collections.abc import Collection
from dataclasses import replace
from datetime import UTC, datetime

from state import codec
from state.due import FORGET_INSTANCES_AFTER_SECONDS, Claim, DueItem, Overdue, Queue, Undelivered, lease_token
from state.sqlite_base import SqliteBase, insert_due


class SqliteDueWork(SqliteBase):
    async def schedule_due(self, item: DueItem, *, replace: bool = False) -> bool:
        return await self._db.write(lambda c: insert_due(c, item, replace=replace))

    async def claim_due(self, queue: Queue, *, limit: int, lease_seconds: float, holder: str = "") -> list[Claim]:
        now = self._now()

        def work(c: sqlite3.Connection) -> list[Claim]:
            rows = c.execute(DUE_NOW, (queue.value, now, limit)).fetchall()
            dead = [row[0] for row in c.execute(DEAD_HOLDERS, (now, holder))]
            if dead and len(rows) < limit:  # rare: only while a stopped instance's leases may be held
                rows += c.execute(TAKEN_OVER, (queue.value, now, json.dumps(dead), limit - len(rows))).fetchall()
            claims = []
            for item_id, data in rows:
                token = lease_token(holder)
                c.execute(
                    "UPDATE due SET due_at = ?, token = ? WHERE queue = ? AND item_id = ?",
                    (now + lease_seconds, token, queue.value, item_id),
                )
                claims.append(Claim(codec.loads(DueItem, data), token))
            return claims

        return await self._db.write(work)

    async def heartbeat(self, holder: str, *, alive_seconds: float) -> None:
        now = self._now()

        def work(c: sqlite3.Connection) -> None:
            c.execute("INSERT INTO instances (holder, alive_until) VALUES (?, ?) ON CONFLICT (holder) DO UPDATE SET "
                      "alive_until = excluded.alive_until", (holder, now + alive_seconds))
            c.execute("DELETE FROM instances WHERE alive_until < ?", (now - FORGET_INSTANCES_AFTER_SECONDS,))

        await self._db.write(work)

    async def finish_due(self, claim: Claim) -> bool:
        sql = "DELETE FROM due WHERE queue = ? AND item_id = ? AND token = ?"
        return await self._db.write(lambda c: c.execute(sql, _claimed(claim)).rowcount == 1)

    async def retry_due(self, claim: Claim, *, delay_seconds: float, error: str, attempt: bool = True) -> bool:
        item = replace(claim.item, attempts=claim.item.attempts + attempt, last_error=error)
        sql = "UPDATE due SET due_at = ?, token = NULL, data = ? WHERE queue = ? AND item_id = ? AND token = ?"
        args = (self._now() + delay_seconds, codec.dumps(item), *_claimed(claim))
        return await self._db.write(lambda c: c.execute(sql, args).rowcount == 1)

    async def release_due(self, claim: Claim) -> bool:
        sql = "UPDATE due SET due_at = ?, token = NULL WHERE queue = ? AND item_id = ? AND token = ?"
        args = (claim.item.due_at.timestamp(), *_claimed(claim))
        return await self._db.write(lambda c: c.execute(sql, args).rowcount == 1)

    async def park_due(self, claim: Claim, *, error: str) -> bool:
        item = replace(claim.item, attempts=claim.item.attempts + 1, last_error=error)
        sql = "UPDATE due SET parked = 1, token = NULL, data = ? WHERE queue = ? AND item_id = ? AND token = ?"
        return await self._db.write(lambda c: c.execute(sql, (codec.dumps(item), *_claimed(claim))).rowcount == 1)

    async def cancel_due(self, queue: Queue, item_id: str) -> bool:
        sql = "DELETE FROM due WHERE queue = ? AND item_id = ?"
        return await self._db.write(lambda c: c.execute(sql, (queue.value, item_id)).rowcount == 1)

    async def get_due(self, queue: Queue, item_id: str) -> DueItem | None:
        sql = "SELECT data FROM due WHERE queue = ? AND item_id = ?"
        row = await self._db.read(lambda c: c.execute(sql, (queue.value, item_id)).fetchone())
        return codec.loads(DueItem, row[0]) if row else None

    async def list_parked(self, queue: Queue) -> list[DueItem]:
        sql = "SELECT data FROM due WHERE queue = ? AND parked = 1 ORDER BY item_id"
        rows = await self._db.read(lambda c: c.execute(sql, (queue.value,)).fetchall())
        return [codec.loads(DueItem, row[0]) for row in rows]

    async def list_undelivered(self, queue: Queue) -> list[Undelivered]:
        now = self._now()
        rows = await self._db.read(lambda c: c.execute(UNDELIVERED, (queue.value, now)).fetchall())
        return [Undelivered(codec.loads(DueItem, data), bool(parked), None if parked else datetime.fromtimestamp(due_at, UTC))
                for _, data, parked, due_at in rows]

    async def redrive_due(self, queue: Queue, *, item_ids: Collection[str] = (), partitions: Collection[str] = ()) -> int:
        now, wanted, recipients = self._now(), set(item_ids), set(partitions)

        def work(c: sqlite3.Connection) -> int:
            chosen = [(now, queue.value, item_id) for item_id, data, _, _ in c.execute(UNDELIVERED, (queue.value, now))
                      if item_id in wanted or (recipients and codec.loads(DueItem, data).partition in recipients)]
            c.executemany("UPDATE due SET parked = 0, token = NULL, due_at = ? WHERE queue = ? AND item_id = ?", chosen)
            return len(chosen)

        return await self._db.write(work)

    async def due_depth(self, queue: Queue) -> int:
        row = await self._db.read(lambda c: c.execute("SELECT COUNT(*) FROM due WHERE queue = ?", (queue.value,)).fetchone())
        return int(row[0])

    async def overdue(self, queue: Queue, *, due_before: datetime) -> Overdue:
        args = (queue.value, due_before.timestamp(), self._now())

        def work(c: sqlite3.Connection) -> Overdue:
            (count,) = c.execute(OVERDUE_COUNT, args).fetchone()
            oldest = c.execute(OVERDUE_OLDEST, args).fetchone()
            if oldest is None:
                return Overdue()
            return Overdue(int(count), codec.loads(DueItem, oldest[0]), datetime.fromtimestamp(oldest[1], UTC))

        return await self._db.read(work)

    async def accept_inbound(self, key: str, item: DueItem, ttl_seconds: float) -> bool:
        """Batched with the deliveries arriving at the same time (state/sqlite_inbound.py)."""
        return await self._inbound.accept(key, item, self._now(), ttl_seconds)


DUE_NOW = "SELECT item_id, data FROM due WHERE queue = ? AND parked = 0 AND due_at <= ? ORDER BY due_at, item_id LIMIT ?"
DEAD_HOLDERS = "SELECT holder FROM instances WHERE alive_until <= ? AND holder != ?"
"""Instances whose heartbeat stopped (now, claimer): never the claimer itself, which is running."""
TAKEN_OVER = ("SELECT item_id, data FROM due WHERE queue = ? AND parked = 0 AND due_at > ? AND instr(token, '/') > 0 "
              "AND substr(token, 1, instr(token, '/') - 1) IN (SELECT value FROM json_each(?)) ORDER BY due_at, item_id LIMIT ?")
"""Items still leased by those instances (queue, now, JSON list of holders, limit)."""
LATE = ("FROM due AS late WHERE late.queue = ?1 AND late.parked = 0 AND late.due_at < ?2 AND NOT EXISTS ("
        "SELECT 1 FROM due AS held WHERE held.queue = late.queue AND held.token IS NOT NULL AND held.due_at > ?3 "
        "AND json_extract(held.data, '$.partition') != '' "
        "AND json_extract(held.data, '$.partition') = json_extract(late.data, '$.partition'))")
"""Late work (queue, cutoff, now): a claim moves `due_at` to its lease's end, so an item in hand is
late only once its lease ran out; an item whose partition (recipient) has one in hand waits its
turn, and is not late."""
OVERDUE_COUNT = "SELECT COUNT(*) " + LATE
OVERDUE_OLDEST = "SELECT late.data, late.due_at " + LATE + " ORDER BY late.due_at, late.item_id LIMIT 1"
UNDELIVERED = ("SELECT item_id, data, parked, due_at FROM due WHERE queue = ? AND (token IS NULL OR due_at <= ?) "
               "AND (parked = 1 OR json_extract(data, '$.last_error') != '') ORDER BY item_id")
"""Items that failed at least once and are not in hand (a lease that ran out is not in hand)."""


def _claimed(claim: Claim) -> tuple[str, str, str]:
    return (claim.item.queue.value, claim.item.item_id, claim.token)
