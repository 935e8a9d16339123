"""What every part of the embedded Store shares: its database, clock and inbound batches, and the
writes more than one part makes inside its own transaction (a due item, an effect, a counter)."""

from __future__ import annotations

import sqlite3

from state import codec
from state.clock import Clock
from state.due import DueItem, Queue
from state.effects import ONCE_MEMORY_SECONDS, OUTBOX_KEY_PREFIX, Effects
from state.sqlite_audit import append_sealed
from state.sqlite_db import SqliteDatabase
from state.sqlite_inbound import InboundBatches
from state.sqlite_schema import QUEUE_ITEM, REMEMBER_KEY


class SqliteBase:
    """The parts of `state.sqlite.SqliteStore` (its due work, its records) are written against this."""

    _db: SqliteDatabase
    _clock: Clock
    _inbound: InboundBatches

    def _now(self) -> float:
        return self._clock.now().timestamp()

    async def _put(self, table: str, column: str, key: str, data: str) -> None:
        sql = f"INSERT OR REPLACE INTO {table} ({column}, data) VALUES (?, ?)"
        await self._db.write(lambda c: c.execute(sql, (key, data)))

    async def _get(self, table: str, column: str, key: str) -> str | None:
        sql = f"SELECT data FROM {table} WHERE {column} = ?"
        row = await self._db.read(lambda c: c.execute(sql, (key,)).fetchone())
        return row[0] if row else None


def increment_counter(c: sqlite3.Connection, name: str) -> int:
    row = c.execute(
        "INSERT INTO counters (name, value) VALUES (?, 1) ON CONFLICT (name) DO UPDATE SET value = value + 1 RETURNING value",
        (name,),
    ).fetchone()
    return int(row[0])


def insert_due(c: sqlite3.Connection, item: DueItem, *, replace: bool) -> bool:
    sql = QUEUE_ITEM.format(verb="REPLACE" if replace else "IGNORE")
    return c.execute(sql, (item.queue.value, item.item_id, item.due_at.timestamp(), codec.dumps(item))).rowcount == 1


def apply_effects(c: sqlite3.Connection, effects: Effects, now: float) -> int:
    """Write a decision's effects inside the caller's transaction; the last audit seq (0 if none)."""
    for item in effects.messages:
        if remember_key(c, OUTBOX_KEY_PREFIX + item.item_id, now, ONCE_MEMORY_SECONDS):
            insert_due(c, item, replace=True)
    for item in effects.timers:
        insert_due(c, item, replace=True)
    for item_id in effects.disarmed:
        c.execute("DELETE FROM due WHERE queue = ? AND item_id = ?", (Queue.TIMERS.value, item_id))
    seq = 0
    for record in effects.audit:
        seq = append_sealed(c, codec.dumps(record))
    return seq


def remember_key(c: sqlite3.Connection, key: str, now: float, ttl_seconds: float) -> bool:
    """One statement: insert the key, or renew it if what was remembered has expired."""
    return c.execute(REMEMBER_KEY, (key, now + ttl_seconds, now)).rowcount == 1
