"""The embedded Store: one SQLite file, the default when no REDIS_URL is set.

Every method that two processes (the server and the CLI) could race on is one immediate
transaction with a conditional update, which SQLite serialises across processes. Its due work
(state/sqlite_due.py) and its records (state/sqlite_records.py) are parts of their own; this
module holds the rest: the roster, groups, schedules, lessons, caches and send slots.
"""

from __future__ import annotations

import json
import sqlite3
from collections.abc import Collection, Sequence
from pathlib import Path
from typing import Any

from state import codec
from state.clock import Clock, SystemClock
from state.effects import NO_EFFECTS, Effects
from state.models import Group, GroupKey, Member, Person, PersonRef
from state.records import Cover, Lesson, Schedule, SchoolDays
from state.roster_diff import diff_roster
from state.send_slots import seconds_until_free
from state.sqlite_base import apply_effects, increment_counter
from state.sqlite_db import SqliteDatabase
from state.sqlite_due import SqliteDueWork
from state.sqlite_inbound import InboundBatches
from state.sqlite_records import SqliteRecords
from state.store import LOCK_SUFFIX, Durability, RosterChange
from state.store_intents import StoreIntents


class SqliteStore(SqliteDueWork, SqliteRecords, StoreIntents):
    def __init__(self, database: SqliteDatabase, clock: Clock) -> None:
        self._db = database
        self._clock = clock
        self._inbound = InboundBatches(database)

    @classmethod
    async def open(cls, path: str | Path, clock: Clock | None = None) -> SqliteStore:
        return cls(await SqliteDatabase.open(path), clock or SystemClock())

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

    async def backup(self, target: Path) -> None:
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
        key = (channel, user_id)
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
        """Compares the records, not their stored text: a row written by an earlier version (without
        a field added since) is still the group its reader saw."""
        key, data, now = str(expected.key), codec.dumps(new), self._now()

        def work(c: sqlite3.Connection) -> bool:
            row = c.execute("SELECT data FROM groups WHERE key = ?", (key,)).fetchone()
            if row is None or codec.loads(Group, row[0]) != expected:
                return False
            c.execute("UPDATE groups SET data = ? WHERE key = ?", (data, key))
            apply_effects(c, effects, now)
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

    async def put_cover(self, cover: Cover) -> None:
        await self._put("covers", "person", str(cover.person), codec.dumps(cover))

    async def end_cover(self, person: PersonRef) -> bool:
        return await self._db.write(lambda c: c.execute("DELETE FROM covers WHERE person = ?", (str(person),)).rowcount == 1)

    async def list_covers(self) -> list[Cover]:
        rows = await self._db.read(lambda c: c.execute("SELECT data FROM covers ORDER BY person").fetchall())
        return [codec.loads(Cover, data) for (data,) in rows]

    async def advance_rotation(self, key: GroupKey) -> int:
        return await self._db.write(lambda c: increment_counter(c, f"rotation:{key}") - 1)

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

    # -- due work ------------------------------------------------------------------------

    # -- replay protection and inbox --------------------------------------------------------

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

    # -- audit ---------------------------------------------------------------------------

    # -- plumbing ------------------------------------------------------------------------


def _people(cursor: sqlite3.Cursor) -> list[Person]:
    return [codec.loads(Person, row[0]) for row in cursor]


def _put_people(c: sqlite3.Connection, people: Sequence[Person]) -> None:
    c.executemany(
        "INSERT OR REPLACE INTO people (channel, user_id, data) VALUES (?, ?, ?)",
        [(p.channel, p.user_id, codec.dumps(p)) for p in people],
    )


SYNCHRONOUS = {0: "OFF", 1: "NORMAL", 2: "FULL", 3: "EXTRA"}


