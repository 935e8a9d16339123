"""The embedded Store: one SQLite file, the default when no REDIS_URL is set.

Every method that two processes (the server and the CLI) could race on is one immediate
transaction with a conditional update, which SQLite serialises across processes.
"""

from __future__ import annotations

import json
import sqlite3
from collections.abc import Callable, Collection, Mapping, Sequence
from dataclasses import replace
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from state import codec
from state.case_changes import CaseChange
from state.clock import Clock, SystemClock
from state.due import FORGET_INSTANCES_AFTER_SECONDS, Claim, DueItem, Overdue, Queue, Undelivered, lease_token
from state.effects import NO_EFFECTS, ONCE_MEMORY_SECONDS, ONCE_PREFIX, OUTBOX_KEY_PREFIX, Effects
from state.models import Group, GroupKey, Member, Person, PersonRef, normalise_user_id
from state.records import AuditEntry, AuditRecord, Case, CaseState, Lesson, Schedule, SchoolDays
from state.roster_diff import diff_roster
from state.send_slots import seconds_until_free
from state.sqlite_db import SqliteDatabase
from state.sqlite_inbound import InboundBatches
from state.sqlite_schema import QUEUE_ITEM, REMEMBER_KEY
from state.store import LOCK_SUFFIX, Durability, RosterChange, UnknownCase, format_case_reference
from state.store_intents import StoreIntents


class SqliteStore(StoreIntents):
    def __init__(self, database: SqliteDatabase, clock: Clock) -> None:
        self._db = database
        self._clock = clock
        self._inbound = InboundBatches(database)

    @classmethod
    async def open(cls, path: str | Path, clock: Clock | None = None) -> SqliteStore:
        return cls(await SqliteDatabase.open(path), clock or SystemClock())

    def _now(self) -> float:
        return self._clock.now().timestamp()

    async def ping(self) -> None:
        await self._db.read(lambda c: c.execute("SELECT 1").fetchone())

    async def durability(self) -> Durability:
        def work(c: sqlite3.Connection) -> tuple[str, int]:
            return str(c.execute("PRAGMA journal_mode").fetchone()[0]), int(c.execute("PRAGMA synchronous").fetchone()[0])

        journal, synchronous = await self._db.read(work)
        level = SYNCHRONOUS.get(synchronous, str(synchronous))
        if journal.lower() == "wal" and synchronous >= 2:
            return Durability(True, f"SQLite, journal mode {journal}, synchronous {level}: a crash or a power cut loses nothing committed")
        return Durability(False, f"SQLite, journal mode {journal}, synchronous {level}: a power cut can lose or corrupt recent writes "
                                 f"(the file system may not support WAL: keep the database on a local disk)")

    async def close(self) -> None:
        await self._db.close()

    async def backup(self, target: str | Path) -> None:
        await self._db.backup_to(target)

    # -- roster ------------------------------------------------------------------------
    async def replace_roster(self, channels: Collection[str], people: Sequence[Person]) -> RosterChange:
        def work(c: sqlite3.Connection) -> RosterChange:
            marks = ",".join("?" * len(channels))
            old = _people(c.execute(f"SELECT data FROM people WHERE channel IN ({marks})", tuple(channels)))
            c.execute(f"DELETE FROM people WHERE channel IN ({marks})", tuple(channels))
            _put_people(c, people)
            return diff_roster(old, people, removing=True)

        return await self._db.write(work)

    async def merge_roster(self, people: Sequence[Person]) -> RosterChange:
        def work(c: sqlite3.Connection) -> RosterChange:
            old = _people(c.execute("SELECT data FROM people"))
            _put_people(c, people)
            return diff_roster(old, people, removing=False)

        return await self._db.write(work)

    async def get_person(self, channel: str, user_id: str) -> Person | None:
        key = (channel, normalise_user_id(channel, user_id))
        row = await self._db.read(lambda c: c.execute("SELECT data FROM people WHERE channel=? AND user_id=?", key).fetchone())
        return codec.loads(Person, row[0]) if row else None

    async def list_people(self, channel: str | None = None) -> list[Person]:
        query = "SELECT data FROM people WHERE ? IS NULL OR channel = ? ORDER BY channel, user_id"
        return await self._db.read(lambda c: _people(c.execute(query, (channel, channel))))

    async def save_person_address(self, ref: PersonRef, address: dict[str, Any]) -> None:
        await self._put("person_addresses", "ref", str(ref), codec.dumps(address))

    async def get_person_address(self, ref: PersonRef) -> dict[str, Any] | None:
        data = await self._get("person_addresses", "ref", str(ref))
        return dict(json.loads(data)) if data else None

    # -- groups --------------------------------------------------------------------------
    async def register_group(self, group: Group) -> bool:
        sql = "INSERT OR IGNORE INTO groups (key, data) VALUES (?, ?)"
        args = (str(group.key), codec.dumps(group))
        return await self._db.write(lambda c: c.execute(sql, args).rowcount == 1)

    async def save_group(self, group: Group) -> None:
        await self._put("groups", "key", str(group.key), codec.dumps(group))

    async def replace_group(self, expected: Group, new: Group, effects: Effects = NO_EFFECTS) -> bool:
        sql = "UPDATE groups SET data = ? WHERE key = ? AND data = ?"
        args, now = (codec.dumps(new), str(expected.key), codec.dumps(expected)), self._now()

        def work(c: sqlite3.Connection) -> bool:
            if c.execute(sql, args).rowcount != 1:
                return False
            _apply(c, effects, now)
            return True

        return await self._db.write(work)

    async def get_group(self, key: GroupKey) -> Group | None:
        data = await self._get("groups", "key", str(key))
        return codec.loads(Group, data) if data else None

    async def list_groups(self) -> list[Group]:
        rows = await self._db.read(lambda c: c.execute("SELECT data FROM groups ORDER BY key").fetchall())
        return [codec.loads(Group, row[0]) for row in rows]

    async def set_group_members(self, key: GroupKey, members: Sequence[Member]) -> None:
        await self._put("group_members", "key", str(key), codec.dumps(list(members)))

    async def group_members(self, key: GroupKey) -> list[Member]:
        data = await self._get("group_members", "key", str(key))
        return [codec.from_plain(Member, item) for item in json.loads(data)] if data else []

    # -- schedules ---------------------------------------------------------------------
    async def save_schedule(self, schedule: Schedule) -> None:
        await self._put("schedules", "key", str(schedule.group), codec.dumps(schedule))

    async def get_schedule(self, key: GroupKey) -> Schedule | None:
        data = await self._get("schedules", "key", str(key))
        return codec.loads(Schedule, data) if data else None

    async def list_schedules(self) -> list[Schedule]:
        rows = await self._db.read(lambda c: c.execute("SELECT data FROM schedules ORDER BY key").fetchall())
        return [codec.loads(Schedule, row[0]) for row in rows]

    async def save_calendar(self, spans: Sequence[SchoolDays]) -> None:
        await self._put("calendar", "name", "school", codec.dumps(list(spans)))

    async def get_calendar(self) -> list[SchoolDays]:
        data = await self._get("calendar", "name", "school")
        return [codec.from_plain(SchoolDays, item) for item in json.loads(data)] if data else []

    async def advance_rotation(self, key: GroupKey) -> int:
        return await self._db.write(lambda c: _increment(c, f"rotation:{key}") - 1)

    # -- lessons -------------------------------------------------------------------------
    async def start_lesson(self, lesson: Lesson) -> bool:
        sql = "INSERT OR IGNORE INTO lessons (lesson_id, group_key, active, started_at, data) VALUES (?, ?, 1, ?, ?)"
        args = (lesson.lesson_id, str(lesson.group), lesson.started_at.timestamp(), codec.dumps(lesson))
        return await self._db.write(lambda c: c.execute(sql, args).rowcount == 1)

    async def active_lesson(self, key: GroupKey) -> Lesson | None:
        sql = "SELECT data FROM lessons WHERE group_key = ? AND active = 1"
        row = await self._db.read(lambda c: c.execute(sql, (str(key),)).fetchone())
        return codec.loads(Lesson, row[0]) if row else None

    async def save_lesson(self, lesson: Lesson) -> None:
        sql = "UPDATE lessons SET active = ?, data = ? WHERE lesson_id = ?"
        args = (int(lesson.ended_at is None), codec.dumps(lesson), lesson.lesson_id)
        await self._db.write(lambda c: c.execute(sql, args))

    async def list_lessons(self) -> list[Lesson]:
        rows = await self._db.read(lambda c: c.execute("SELECT data FROM lessons ORDER BY started_at").fetchall())
        return [codec.loads(Lesson, row[0]) for row in rows]

    # -- cases ---------------------------------------------------------------------------
    async def next_case_reference(self, year: int) -> str:
        number = await self._db.write(lambda c: _increment(c, f"case:{year}"))
        return format_case_reference(year, number)

    async def case_reference_for(self, origin: str) -> str | None:
        row = await self._db.read(lambda c: c.execute("SELECT reference FROM case_origins WHERE origin = ?", (origin,)).fetchone())
        return str(row[0]) if row else None

    async def save_case_with_delivery(self, case: Case, effects: Effects, *, origin: str) -> str:
        reference, now = case.reference.upper(), self._now()

        def write(c: sqlite3.Connection) -> str:
            earlier = c.execute("SELECT reference FROM case_origins WHERE origin = ?", (origin,)).fetchone()
            if earlier:
                return str(earlier[0])
            c.execute("INSERT INTO cases (reference, state, received_at, data) VALUES (?, ?, ?, ?)",
                      (reference, case.state.value, case.received_at.timestamp(), codec.dumps(case)))
            c.execute("INSERT INTO case_origins (origin, reference) VALUES (?, ?)", (origin, reference))
            _apply(c, effects, now)
            return case.reference

        return await self._db.write(write)

    async def get_case(self, reference: str) -> Case | None:
        data = await self._get("cases", "reference", reference.strip().upper())
        return codec.loads(Case, data) if data else None

    async def list_cases(self, states: Collection[CaseState] | None = None) -> list[Case]:
        wanted = [state.value for state in (CaseState if states is None else states)]
        sql = f"SELECT data FROM cases WHERE state IN ({', '.join('?' * len(wanted))}) ORDER BY received_at, reference"
        rows = await self._db.read(lambda c: c.execute(sql, wanted).fetchall())
        return [codec.loads(Case, row[0]) for row in rows]

    async def change_case(self, reference: str, change: CaseChange, effects: Callable[[Case], Effects] | None = None) -> Case | None:
        key, now = reference.strip().upper(), self._now()

        def work(c: sqlite3.Connection) -> Case | None:
            row = c.execute("SELECT data FROM cases WHERE reference = ?", (key,)).fetchone()
            if row is None:
                raise UnknownCase(key)
            changed = change(codec.loads(Case, row[0]))
            if changed is not None:
                c.execute("UPDATE cases SET state = ?, data = ? WHERE reference = ?", (changed.state.value, codec.dumps(changed), key))
                if effects is not None:
                    _apply(c, effects(changed), now)
            return changed

        return await self._db.write(work)

    # -- due work ------------------------------------------------------------------------
    async def schedule_due(self, item: DueItem, *, replace: bool = False) -> bool:
        return await self._db.write(lambda c: _insert_due(c, item, replace=replace))

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

    # -- replay protection and inbox --------------------------------------------------------
    async def accept_inbound(self, key: str, item: DueItem, ttl_seconds: float) -> bool:
        """Batched with the deliveries arriving at the same time (state/sqlite_inbound.py)."""
        return await self._inbound.accept(key, item, self._now(), ttl_seconds)

    # -- caches --------------------------------------------------------------------------
    async def cache_get(self, key: str) -> str | None:
        sql = "SELECT value FROM cache WHERE key = ? AND expires_at > ?"
        row = await self._db.read(lambda c: c.execute(sql, (key, self._now())).fetchone())
        return row[0] if row else None

    async def cache_set(self, key: str, value: str, ttl_seconds: float) -> None:
        sql = "INSERT OR REPLACE INTO cache (key, value, expires_at) VALUES (?, ?, ?)"
        await self._db.write(lambda c: c.execute(sql, (key, value, self._now() + ttl_seconds)))

    async def cache_add(self, key: str, value: str, ttl_seconds: float) -> bool:
        now = self._now()

        def work(c: sqlite3.Connection) -> bool:
            c.execute("DELETE FROM cache WHERE key = ? AND expires_at <= ?", (key, now))
            sql = "INSERT OR IGNORE INTO cache (key, value, expires_at) VALUES (?, ?, ?)"
            return c.execute(sql, (key, value, now + ttl_seconds)).rowcount == 1

        return await self._db.write(work)

    async def cache_delete(self, key: str) -> None:
        await self._db.write(lambda c: c.execute("DELETE FROM cache WHERE key = ?", (key,)))

    async def release_lock(self, name: str, owner: str) -> bool:
        sql = "DELETE FROM cache WHERE key = ? AND value = ? AND expires_at > ?"
        return await self._db.write(lambda c: c.execute(sql, (name + LOCK_SUFFIX, owner, self._now())).rowcount == 1)

    # -- send slots ----------------------------------------------------------------------
    async def reserve_send_slot(self, bucket: str, windows: Sequence[tuple[int, float]]) -> float:
        now = self._now()
        horizon = max(per for _, per in windows)

        def work(c: sqlite3.Connection) -> float:
            c.execute("DELETE FROM send_slots WHERE bucket = ? AND at <= ?", (bucket, now - horizon))
            sent = [row[0] for row in c.execute("SELECT at FROM send_slots WHERE bucket = ? ORDER BY at", (bucket,))]
            wait = seconds_until_free(sent, now, windows)
            if wait == 0:
                c.execute("INSERT INTO send_slots (bucket, at) VALUES (?, ?)", (bucket, now))
            return wait

        return await self._db.write(work)

    # -- tallies ---------------------------------------------------------------------------
    async def add_tallies(self, counts: Mapping[str, int]) -> None:
        rows = list(counts.items())
        await self._db.write(lambda c: c.executemany(ADD_TALLY, rows))

    async def read_tallies(self) -> dict[str, int]:
        rows = await self._db.read(lambda c: c.execute("SELECT name, value FROM tallies").fetchall())
        return {name: int(value) for name, value in rows}

    # -- audit ---------------------------------------------------------------------------
    async def commit(self, effects: Effects, *, once: str | None = None) -> bool:
        now = self._now()

        def work(c: sqlite3.Connection) -> bool:
            if once is not None and not _remember(c, ONCE_PREFIX + once, now, ONCE_MEMORY_SECONDS):
                return False
            _apply(c, effects, now)
            return True

        return await self._db.write(work)

    async def append_audit(self, record: AuditRecord, *, key: str | None = None) -> AuditEntry | None:
        now = self._now()

        def work(c: sqlite3.Connection) -> int | None:
            if key is not None and not _remember(c, ONCE_PREFIX + key, now, ONCE_MEMORY_SECONDS):
                return None
            return _apply(c, Effects(audit=(record,)), now)

        seq = await self._db.write(work)
        return AuditEntry(seq, record) if seq is not None else None

    async def read_audit(self, *, after_seq: int = 0, limit: int = 1000) -> list[AuditEntry]:
        sql = "SELECT seq, data FROM audit WHERE seq > ? ORDER BY seq LIMIT ?"
        rows = await self._db.read(lambda c: c.execute(sql, (after_seq, limit)).fetchall())
        return [AuditEntry(seq, codec.loads(AuditRecord, data)) for seq, data in rows]

    # -- plumbing ------------------------------------------------------------------------
    async def _put(self, table: str, column: str, key: str, data: str) -> None:
        sql = f"INSERT OR REPLACE INTO {table} ({column}, data) VALUES (?, ?)"
        await self._db.write(lambda c: c.execute(sql, (key, data)))

    async def _get(self, table: str, column: str, key: str) -> str | None:
        sql = f"SELECT data FROM {table} WHERE {column} = ?"
        row = await self._db.read(lambda c: c.execute(sql, (key,)).fetchone())
        return row[0] if row else None


def _people(cursor: sqlite3.Cursor) -> list[Person]:
    return [codec.loads(Person, row[0]) for row in cursor]


def _put_people(c: sqlite3.Connection, people: Sequence[Person]) -> None:
    c.executemany(
        "INSERT OR REPLACE INTO people (channel, user_id, data) VALUES (?, ?, ?)",
        [(p.channel, p.user_id, codec.dumps(p)) for p in people],
    )


def _increment(c: sqlite3.Connection, name: str) -> int:
    row = c.execute(
        "INSERT INTO counters (name, value) VALUES (?, 1) ON CONFLICT (name) DO UPDATE SET value = value + 1 RETURNING value",
        (name,),
    ).fetchone()
    return int(row[0])


def _insert_due(c: sqlite3.Connection, item: DueItem, *, replace: bool) -> bool:
    sql = QUEUE_ITEM.format(verb="REPLACE" if replace else "IGNORE")
    return c.execute(sql, (item.queue.value, item.item_id, item.due_at.timestamp(), codec.dumps(item))).rowcount == 1


def _apply(c: sqlite3.Connection, effects: Effects, now: float) -> int:
    """Write a decision's effects inside the caller's transaction; the last audit seq (0 if none)."""
    for item in effects.messages:
        if _remember(c, OUTBOX_KEY_PREFIX + item.item_id, now, ONCE_MEMORY_SECONDS):
            _insert_due(c, item, replace=True)
    for item in effects.timers:
        _insert_due(c, item, replace=True)
    for item_id in effects.disarmed:
        c.execute("DELETE FROM due WHERE queue = ? AND item_id = ?", (Queue.TIMERS.value, item_id))
    seq = 0
    for record in effects.audit:
        seq = int(c.execute("INSERT INTO audit (data) VALUES (?)", (codec.dumps(record),)).lastrowid or 0)
    return seq


def _remember(c: sqlite3.Connection, key: str, now: float, ttl_seconds: float) -> bool:
    """One statement: insert the key, or renew it if what was remembered has expired."""
    return c.execute(REMEMBER_KEY, (key, now + ttl_seconds, now)).rowcount == 1


DUE_NOW = "SELECT item_id, data FROM due WHERE queue = ? AND parked = 0 AND due_at <= ? ORDER BY due_at, item_id LIMIT ?"
DEAD_HOLDERS = "SELECT holder FROM instances WHERE alive_until <= ? AND holder != ?"
"""Instances whose heartbeat stopped (now, claimer): never the claimer itself, which is running."""
TAKEN_OVER = ("SELECT item_id, data FROM due WHERE queue = ? AND parked = 0 AND due_at > ? AND instr(token, '/') > 0 "
              "AND substr(token, 1, instr(token, '/') - 1) IN (SELECT value FROM json_each(?)) ORDER BY due_at, item_id LIMIT ?")
"""Items still leased by those instances (queue, now, JSON list of holders, limit)."""
SYNCHRONOUS = {0: "OFF", 1: "NORMAL", 2: "FULL", 3: "EXTRA"}
LATE = ("FROM due AS late WHERE late.queue = ?1 AND late.parked = 0 AND late.due_at < ?2 AND NOT EXISTS ("
        "SELECT 1 FROM due AS held WHERE held.queue = late.queue AND held.token IS NOT NULL AND held.due_at > ?3 "
        "AND json_extract(held.data, '$.partition') != '' "
        "AND json_extract(held.data, '$.partition') = json_extract(late.data, '$.partition'))")
"""Late work (queue, cutoff, now): a claim moves `due_at` to its lease's end, so an item in hand is
late only once its lease ran out; an item whose partition (recipient) has one in hand waits its
turn, and is not late."""
OVERDUE_COUNT = "SELECT COUNT(*) " + LATE
OVERDUE_OLDEST = "SELECT late.data, late.due_at " + LATE + " ORDER BY late.due_at, late.item_id LIMIT 1"
ADD_TALLY = "INSERT INTO tallies (name, value) VALUES (?, ?) ON CONFLICT (name) DO UPDATE SET value = value + excluded.value"
UNDELIVERED = ("SELECT item_id, data, parked, due_at FROM due WHERE queue = ? AND (token IS NULL OR due_at <= ?) "
               "AND (parked = 1 OR json_extract(data, '$.last_error') != '') ORDER BY item_id")
"""Items that failed at least once and are not in hand (a lease that ran out is not in hand)."""


def _claimed(claim: Claim) -> tuple[str, str, str]:
    return (claim.item.queue.value, claim.item.item_id, claim.token)
