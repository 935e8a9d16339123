"""The Redis Store's records: concern cases (compare-and-set in Lua), effects written once, the
audit log (one total order across instances) and the shared tallies."""

from __future__ import annotations

import itertools
from collections.abc import Callable, Collection, Mapping
from datetime import datetime
from typing import cast

from redis.exceptions import ResponseError

from state import codec
from state.audit_chain import GENESIS, ChainEnds, Purged, SealedRecord, readable_entries, stamped
from state.case_lifecycle import CaseAction, Moved
from state.effects import NO_EFFECTS, ONCE_MEMORY_SECONDS, ONCE_PREFIX, Effects
from state.records import AuditEntry, AuditRecord, Case, CaseState
from state.redis_base import RedisBase, _refusal, _text, _texts
from state.redis_effects import gc_ms
from state.store import UnknownCase, format_case_reference

SEAL_CHUNK = 200
"""Records sealed per script when an old log is first sealed: about 80 ms of Redis' time each."""


class RedisRecords(RedisBase):
    async def next_case_reference(self, year: int) -> str:
        return format_case_reference(year, int(await self._redis.incr(self._keys.case_counter(year))))

    async def case_reference_for(self, origin: str) -> str | None:
        reference = await self._redis.get(self._keys.case_origin(origin))
        return _text(reference) if reference is not None else None

    async def save_case_with_delivery(self, case: Case, effects: Effects, *, origin: str) -> str:
        """One Lua step: no instance ever sees the case without its deliveries, nor a delivery
        without its case; a second report of the same event finds the first case."""
        reference = case.reference.upper()
        args = self._effects_args([self._keys.case(reference), self._keys.cases_by_received, self._keys.case_origin(origin)])
        spec = args.spec(effects)
        try:
            stored = await self._run("SAVE_CASE", args.keys, [codec.dumps(case), case.received_at.timestamp(), reference,
                                                              gc_ms(ONCE_MEMORY_SECONDS), spec, repr(self._now())])
        except ResponseError as error:
            raise _refusal(error, reference) from None
        return case.reference if _text(stored) == reference else _text(stored)

    async def get_case(self, reference: str) -> Case | None:
        data = await self._redis.get(self._keys.case(reference.strip().upper()))
        return codec.loads(Case, data) if data is not None else None

    async def list_cases(self, states: Collection[CaseState] | None = None) -> list[Case]:
        references = _texts(cast(list[bytes], await self._redis.zrange(self._keys.cases_by_received, 0, -1)))
        rows = await self._redis.mget([self._keys.case(reference) for reference in references]) if references else []
        cases = [codec.loads(Case, row) for row in rows if row is not None]
        return [case for case in cases if states is None or case.state in states]

    async def change_case(self, reference: str, action: CaseAction, effects: Callable[[Moved], Effects] | None = None) -> Moved:
        """Compare-and-set in Lua with the change's effects: of two instances acknowledging at
        once, the loser re-reads and sees it acknowledged (and its effects were never written)."""
        reference = reference.strip().upper()
        key = self._keys.case(reference)
        while True:
            data = await self._redis.get(key)
            if data is None:
                raise UnknownCase(reference)
            moved = action(codec.loads(Case, data))  # a refusal raises before anything is written
            args = self._effects_args([key])
            spec = args.spec(effects(moved) if effects is not None else NO_EFFECTS)
            if await self._run("REPLACE_CASE", args.keys, [data, codec.dumps(moved.case), spec, repr(self._now())]):
                return moved

    async def add_tallies(self, counts: Mapping[str, int]) -> None:
        async with self._redis.pipeline(transaction=True) as pipe:
            for name, amount in counts.items():
                pipe.hincrby(self._keys.tallies, name, amount)
            await pipe.execute()

    async def read_tallies(self) -> dict[str, int]:
        return {_text(name): int(value) for name, value in (await self._redis.hgetall(self._keys.tallies)).items()}

    async def commit(self, effects: Effects, *, once: str | None = None) -> bool:
        return await self._commit(effects, once) >= 0

    async def append_audit(self, record: AuditRecord, *, key: str | None = None) -> AuditEntry | None:
        """Lua: the sequence number and the list position are taken together, one total order across instances."""
        seq = await self._commit(Effects(audit=(record,)), key)
        return AuditEntry(seq, record) if seq >= 0 else None

    async def _commit(self, effects: Effects, once: str | None) -> int:
        args = self._effects_args([])
        spec = args.spec(effects, once=ONCE_PREFIX + once if once is not None else None)
        return int(await self._run("COMMIT_EFFECTS", args.keys, [spec, repr(self._now())]))

    async def read_audit(self, *, after_seq: int = 0, limit: int = 1000) -> list[AuditEntry]:
        if limit == 0:
            return []
        anchor_seq = (await self.audit_chain_ends()).anchor_seq
        start = max(after_seq - anchor_seq, 0)  # seq n sits at index n - anchor - 1; as in SQL, a negative limit means no limit
        rows = await self._redis.lrange(self._keys.audit_log, start, start + limit - 1 if limit > 0 else -1)
        return readable_entries((record.seq, record.data) for record in _sealed(rows, start, anchor_seq))

    async def purge_before(self, before: datetime, *, references: Collection[str], audit_records: int) -> Purged:
        """The prefix is found here (a record's time is in its JSON), then cut in Lua, which checks
        the log's prefix is still the one read and each case still closed."""
        ends = await self.audit_chain_ends()
        head = _sealed(await self._redis.lrange(self._keys.audit_log, 0, audit_records - 1), 0, ends.anchor_seq) if audit_records else []
        prefix = list(itertools.takewhile(lambda record: stamped(record.data) < before, head))
        wanted = [r.strip().upper() for r in references]
        cases = {r: await self.get_case(r) for r in wanted}
        doomed = [r for r, case in cases.items() if case is not None and case.received_at < before]
        last = prefix[-1] if prefix else None
        args = [len(prefix), _joined(last) if last else "", f"{last.seq} {last.seal}" if last else "", *doomed]
        keys = [self._keys.audit_log, self._keys.audit_anchor, self._keys.cases_by_received, *(self._keys.case(r) for r in doomed)]
        try:
            gone = _texts(await self._run("PURGE", keys, args))
        except ResponseError as error:
            raise _refusal(error, "purge") from None
        return Purged(tuple(sorted(gone)), len(prefix), last.seq if last else ends.anchor_seq)

    async def read_sealed_audit(self, *, after_place: int = 0, limit: int = 1000) -> list[SealedRecord]:
        anchor_seq = (await self.audit_chain_ends()).anchor_seq
        rows = await self._redis.lrange(self._keys.audit_log, after_place, after_place + limit - 1 if limit > 0 else -1)
        return _sealed(rows, after_place, anchor_seq)

    async def audit_chain_ends(self) -> ChainEnds:
        anchor, head, seq = await self._redis.mget(self._keys.audit_anchor, self._keys.audit_head, self._keys.audit_seq)
        anchor_seq, anchor_seal = _text(anchor).split(" ") if anchor is not None else ("0", GENESIS)
        return ChainEnds(int(anchor_seq), anchor_seal, int(seq) if seq is not None else int(anchor_seq),
                         _text(head) if head is not None else anchor_seal)

    async def seal_existing_log(self) -> int:
        """Seal a log written before the chain existed, once, SEAL_CHUNK records per script so Redis
        is never blocked for long (state/redis_scripts.py); how many records."""
        keys = [self._keys.audit_log, self._keys.audit_head, self._keys.audit_seq, self._keys.audit_anchor, self._keys.audit_sealing,
                self._keys.audit_log_sealed]
        total = 0
        while True:
            sealed, done = await self._run("SEAL_EXISTING_LOG", keys, [SEAL_CHUNK])
            total += int(sealed)
            if int(done):
                return total


def _joined(record: SealedRecord) -> str:
    """A record as the log stores it."""
    return f"{record.seq}\t{record.prev}\t{record.seal}\t{record.data}"


def _sealed(rows: list[bytes | str], start: int, anchor_seq: int) -> list[SealedRecord]:
    """Stored items as the chain sees them; the place of the first is `start` + 1. An item not in
    the sealed form (written by an older version still running, or by hand) is read as it is,
    unsealed, at its place: `audit verify` names it, and nobody else fails on it."""
    records = []
    for place, row in enumerate(rows, start=start + 1):
        parts = _text(row).split("\t", 3)
        if len(parts) == 4 and parts[0].isdigit():
            seq, prev, sealed, data = parts
            records.append(SealedRecord(place=place, seq=int(seq), data=data, prev=prev, seal=sealed))
        else:
            records.append(SealedRecord(place=place, seq=anchor_seq + place, data=_text(row), prev="", seal=""))
    return records
