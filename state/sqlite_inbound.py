"""Accepting webhook deliveries into the SQLite inbox in batches: the hot path of both webhooks.

Each delivery must be remembered (its dedup key) and queued in one atomic write before the
webhook answers. Deliveries that arrive while the database thread is busy are taken together
when it is free: one query finds which keys are already remembered, and two `executemany`
statements remember and queue the rest, inside one of the database's group commits. Each
caller is answered after that commit, with whether its delivery was new.
"""

from __future__ import annotations

import asyncio
import sqlite3
import threading
from dataclasses import dataclass, field

from state import codec
from state.due import DueItem
from state.sqlite_db import SqliteDatabase
from state.sqlite_schema import QUEUE_ITEM, REMEMBER_KEY

KEYS_PER_QUERY = 500  # below SQLite's limit on bound parameters


@dataclass
class Delivery:
    key: str
    now: float
    remember_until: float
    item: DueItem
    data: str  # the item's JSON, encoded on the event loop
    answer: asyncio.Future[bool] = field(repr=False)


class InboundBatches:
    def __init__(self, database: SqliteDatabase) -> None:
        self._db = database
        self._lock = threading.Lock()  # the event loop adds, the database thread takes
        self._waiting: list[Delivery] = []
        self._flush_pending = False
        self._flushes: set[asyncio.Task[None]] = set()

    async def accept(self, key: str, item: DueItem, now: float, ttl_seconds: float) -> bool:
        """True if `key` is new (the item is queued); False for a replay (nothing queued)."""
        answer: asyncio.Future[bool] = asyncio.get_running_loop().create_future()
        with self._lock:
            self._waiting.append(Delivery(key, now, now + ttl_seconds, item, codec.dumps(item), answer))
            start, self._flush_pending = not self._flush_pending, True
        if start:
            flush = asyncio.create_task(self._flush())
            self._flushes.add(flush)
            flush.add_done_callback(self._flushes.discard)
        return await answer

    async def _flush(self) -> None:
        taken: list[Delivery] = []
        try:
            fresh = await self._db.write(lambda c: self._write(c, self._take(taken)))
        except BaseException as error:  # the write never ran, or failed: whoever was waiting hears it
            for delivery in self._take(taken):
                if not delivery.answer.done():
                    delivery.answer.set_exception(error)
            if not isinstance(error, Exception):
                raise
            return
        for delivery, is_new in zip(taken, fresh, strict=True):
            if not delivery.answer.done():
                delivery.answer.set_result(is_new)

    def _take(self, taken: list[Delivery]) -> list[Delivery]:
        """Take what is waiting, once: if the group commit runs this write again (another write
        in its group failed), the same deliveries are written, and none is left unanswered."""
        with self._lock:
            if not taken:
                taken[:], self._waiting, self._flush_pending = self._waiting, [], False
        return taken

    @staticmethod
    def _write(c: sqlite3.Connection, taken: list[Delivery]) -> list[bool]:
        """Remember and queue the deliveries not yet seen; for each, whether it was new (of one
        key twice in a batch, only the first)."""
        seen = _remembered(c, [d.key for d in taken], min((d.now for d in taken), default=0.0))
        new: dict[str, Delivery] = {}
        for delivery in taken:
            if delivery.key not in seen and delivery.key not in new:
                new[delivery.key] = delivery
        c.executemany(REMEMBER_KEY, [(d.key, d.remember_until, d.now) for d in new.values()])
        c.executemany(QUEUE_ITEM.format(verb="REPLACE"),
                      [(d.item.queue.value, d.item.item_id, d.item.due_at.timestamp(), d.data) for d in new.values()])
        return [new.get(delivery.key) is delivery for delivery in taken]


def _remembered(c: sqlite3.Connection, keys: list[str], now: float) -> set[str]:
    """The keys still remembered (not expired) at `now`."""
    found: set[str] = set()
    for start in range(0, len(keys), KEYS_PER_QUERY):
        chunk = keys[start:start + KEYS_PER_QUERY]
        marks = ",".join("?" * len(chunk))
        found |= {row[0] for row in c.execute(f"SELECT key FROM seen WHERE key IN ({marks}) AND expires_at > ?", (*chunk, now))}
    return found
