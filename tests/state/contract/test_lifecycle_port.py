"""The Lifecycle contract (state/ports.py), run on each backend (ids `[sqlite]` and `[redis]`):
Opening, closing and reopening a backend, and what it promises to keep."""

from __future__ import annotations

from pathlib import Path

import pytest

from state.due import Queue
from state.effects import Effects
from state.ports import Lifecycle
from state.sqlite import SqliteStore
from state.store import BackupRefused, Store
from tests.conftest import StoreFactory
from tests.state.contract.samples import ALICE, CLASS_5A, LEAD, audit, case, due, group


class TestLifecycle:
    async def test_each_backend_says_it_keeps_what_it_committed(self, store: Lifecycle) -> None:
        """As the suite runs them (SQLite in WAL with full sync, Redis with fsync always), nothing is lost in a crash."""
        durability = await store.durability()
        assert durability.safe is True
        assert "loses nothing" in durability.detail

    async def test_nothing_is_lost_across_a_restart(self, store_factory: StoreFactory) -> None:
        """Close and reopen (and for Redis, restart the server process): every record is still there."""
        store = await store_factory.open()
        await store.merge_roster([ALICE, LEAD])
        await store.register_group(group())
        await store.save_case_with_delivery(case("C-2026-000001"), Effects(messages=(due("deliver", queue=Queue.OUTBOX),)), origin="e1")
        await store.append_audit(audit("roster.imported"))
        await store.close()
        store_factory.opened.remove(store)
        store_factory.restart_server()
        reopened = await store_factory.open()
        assert await reopened.get_person("wecom", "lead01") == LEAD
        assert await reopened.get_group(CLASS_5A) == group()
        assert await reopened.get_case("C-2026-000001") == case("C-2026-000001")
        assert [c.item.item_id for c in await reopened.claim_due(Queue.OUTBOX, limit=5, lease_seconds=5)] == ["deliver"]
        assert [e.record.action for e in await reopened.read_audit()] == ["roster.imported"]

    async def test_a_backup_is_a_copy_or_a_named_refusal(self, store: Store, store_factory: StoreFactory, tmp_path: Path) -> None:
        """SQLite copies itself while it runs (the copy opens as a Store with everyone in it);
        Redis is backed up by its own persistence and says so, writing nothing."""
        await store.merge_roster([ALICE, LEAD])
        target = tmp_path / "copy.db"
        if store_factory.backend == "redis":
            with pytest.raises(BackupRefused, match="AOF"):
                await store.backup(target)
            assert not target.exists()
            return
        await store.backup(target)
        copy = await SqliteStore.open(target)
        try:
            assert await copy.list_people() == await store.list_people()
        finally:
            await copy.close()
