"""The embedded Store's records: concern cases (each one atomic read-modify-write), the audit log
(one total order), effects written once, and the shared tallies."""

from __future__ import annotations

import sqlite3
from collections.abc import Callable, Collection, Mapping
from datetime import datetime

from state import codec
from state.audit_chain import ChainEnds, Purged, SealedRecord, readable_entries
from state.case_lifecycle import CaseAction, Moved
from state.effects import ONCE_MEMORY_SECONDS, ONCE_PREFIX, Effects
from state.records import AuditEntry, AuditRecord, Case, CaseState
from state.sqlite_audit import chain_ends, purge_prefix, read_sealed
from state.sqlite_base import SqliteBase, apply_effects, increment_counter, remember_key
from state.store import UnknownCase, format_case_reference


class SqliteRecords(SqliteBase):
    async def next_case_reference(self, year: int) -> str:
        number = await self._db.write(lambda c: increment_counter(c, f"case:{year}"))
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
            apply_effects(c, effects, now)
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

    async def change_case(self, reference: str, action: CaseAction, effects: Callable[[Moved], Effects] | None = None) -> Moved:
        key, now = reference.strip().upper(), self._now()

        def work(c: sqlite3.Connection) -> Moved:
            row = c.execute("SELECT data FROM cases WHERE reference = ?", (key,)).fetchone()
            if row is None:
                raise UnknownCase(key)
            moved = action(codec.loads(Case, row[0]))  # a refusal raises: the transaction is rolled back
            c.execute("UPDATE cases SET state = ?, data = ? WHERE reference = ?", (moved.case.state.value, codec.dumps(moved.case), key))
            if effects is not None:
                apply_effects(c, effects(moved), now)
            return moved

        return await self._db.write(work)

    async def add_tallies(self, counts: Mapping[str, int]) -> None:
        rows = list(counts.items())
        await self._db.write(lambda c: c.executemany(ADD_TALLY, rows))

    async def read_tallies(self) -> dict[str, int]:
        rows = await self._db.read(lambda c: c.execute("SELECT name, value FROM tallies").fetchall())
        return {name: int(value) for name, value in rows}

    async def commit(self, effects: Effects, *, once: str | None = None) -> bool:
        now = self._now()

        def work(c: sqlite3.Connection) -> bool:
            if once is not None and not remember_key(c, ONCE_PREFIX + once, now, ONCE_MEMORY_SECONDS):
                return False
            apply_effects(c, effects, now)
            return True

        return await self._db.write(work)

    async def append_audit(self, record: AuditRecord, *, key: str | None = None) -> AuditEntry | None:
        now = self._now()

        def work(c: sqlite3.Connection) -> int | None:
            if key is not None and not remember_key(c, ONCE_PREFIX + key, now, ONCE_MEMORY_SECONDS):
                return None
            return apply_effects(c, Effects(audit=(record,)), now)

        seq = await self._db.write(work)
        return AuditEntry(seq, record) if seq is not None else None

    async def read_audit(self, *, after_seq: int = 0, limit: int = 1000) -> list[AuditEntry]:
        sql = "SELECT seq, data FROM audit WHERE seq > ? ORDER BY seq LIMIT ?"
        rows = await self._db.read(lambda c: c.execute(sql, (after_seq, limit)).fetchall())
        return readable_entries(rows)

    async def purge_before(self, before: datetime, *, references: Collection[str], audit_records: int) -> Purged:
        def work(c: sqlite3.Connection) -> Purged:
            wanted = [r.strip().upper() for r in references]
            marks = ", ".join("?" * len(wanted))
            doomed = [ref for (ref,) in c.execute(f"SELECT reference FROM cases WHERE reference IN ({marks}) AND state = ? "
                                                  "AND received_at < ? ORDER BY reference",
                                                  (*wanted, CaseState.CLOSED.value, before.timestamp())).fetchall()] if wanted else []
            for reference in doomed:
                c.execute("DELETE FROM cases WHERE reference = ?", (reference,))
                c.execute("DELETE FROM case_origins WHERE reference = ?", (reference,))
            deleted, anchor = purge_prefix(c, audit_records, before)
            return Purged(tuple(doomed), deleted, anchor)

        return await self._db.write(work)

    async def read_sealed_audit(self, *, after_place: int = 0, limit: int = 1000) -> list[SealedRecord]:
        return await self._db.read(lambda c: read_sealed(c, after_seq=after_place, limit=limit))

    async def audit_chain_ends(self) -> ChainEnds:
        return await self._db.read(chain_ends)


ADD_TALLY = "INSERT INTO tallies (name, value) VALUES (?, ?) ON CONFLICT (name) DO UPDATE SET value = value + excluded.value"
