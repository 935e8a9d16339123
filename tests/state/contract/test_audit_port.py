"""The AuditPort contract (state/ports.py), run on each backend (ids `[sqlite]` and `[redis]`):
The audit log in one total order, effects written once, and the failure tallies."""

from __future__ import annotations

import asyncio

import pytest

from state.due import Queue
from state.effects import Effects
from state.records import AuditRecord
from state.store import Store
from tests.conftest import START, StoreFactory
from tests.state.contract.samples import audit, due


class TestAuditPort:
    async def test_audit_has_one_total_order_across_instances(self, store_factory: StoreFactory) -> None:
        """Appends from two instances interleave into one gapless sequence."""
        first, second = await store_factory.open(), await store_factory.open()
        await asyncio.gather(*(s.append_audit(audit(f"{name}-{n}")) for n in range(20) for s, name in ((first, "a"), (second, "b"))))
        entries = await first.read_audit()
        assert [e.seq for e in entries] == list(range(1, 41))
        assert [e.record.action for e in await second.read_audit(after_seq=38)] == [entries[38].record.action, entries[39].record.action]
        assert len(await first.read_audit(after_seq=10, limit=5)) == 5

    async def test_keyed_effects_and_audit_rows_are_written_once(self, store: Store) -> None:
        """An event retried writes its effects and its audit row once; a message queued by any
        path is queued once per id."""
        effects = Effects(messages=(due("reply:e1", queue=Queue.OUTBOX),), audit=(audit("dm.refused"),))
        assert await store.commit(effects, once="e1|refusal") is True
        assert await store.commit(effects, once="e1|refusal") is False
        assert await store.commit(Effects(messages=effects.messages)) is True  # the same message by another path: still once
        assert await store.append_audit(audit("case.acknowledged"), key="e2|ack") is not None
        assert await store.append_audit(audit("case.acknowledged"), key="e2|ack") is None
        assert [e.record.action for e in await store.read_audit()] == ["dm.refused", "case.acknowledged"]
        assert [c.item.item_id for c in await store.claim_due(Queue.OUTBOX, limit=5, lease_seconds=5)] == ["reply:e1"]

    async def test_audit_refuses_report_contents(self) -> None:
        """An audit record cannot carry a report's words."""
        with pytest.raises(ValueError, match="text"):
            AuditRecord(at=START, action="report.received", actor="system", detail={"text": "secret"})

    async def test_tallies_add_up_across_instances(self, store_factory: StoreFactory) -> None:
        """Each instance adds its counts; every instance reads the same totals."""
        first, second = await store_factory.open(), await store_factory.open()
        assert await first.read_tallies() == {}
        await first.add_tallies({"refused|teams": 2, "failed|wecom": 1})
        await second.add_tallies({"refused|teams": 3})
        await second.add_tallies({})
        assert await first.read_tallies() == await second.read_tallies() == {"refused|teams": 5, "failed|wecom": 1}
