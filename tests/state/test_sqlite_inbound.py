"""Webhook deliveries accepted in batches: each answered after the commit that holds it, a key
seen twice in one batch queued once, and none left unanswered when the group is run again."""

from __future__ import annotations

import asyncio
from pathlib import Path

import pytest

from state.clock import ManualClock
from state.due import DueItem, Queue
from state.sqlite import SqliteStore
from tests.conftest import START


def delivery(n: int) -> DueItem:
    return DueItem(queue=Queue.INBOX, item_id=f"teams:a:chat|{n}", kind="teams.activity", due_at=START, payload={"n": n})


async def test_a_batch_remembers_each_key_once(tmp_path: Path, clock: ManualClock) -> None:
    store = await SqliteStore.open(tmp_path / "inbox.db", clock=clock)
    try:
        answers = await asyncio.gather(*(store.accept_inbound(f"seen-{n % 5}", delivery(n % 5), 600) for n in range(20)))
        assert answers.count(True) == 5
        claims = await store.claim_due(Queue.INBOX, limit=50, lease_seconds=5)
        assert sorted(c.item.payload["n"] for c in claims) == [0, 1, 2, 3, 4]
        assert await store.accept_inbound("seen-1", delivery(1), 600) is False
    finally:
        await store.close()


async def test_deliveries_are_answered_when_another_write_in_their_group_fails(tmp_path: Path, clock: ManualClock) -> None:
    """A failing write in the same group commit makes the group run again write by write: the
    deliveries are still written once and every caller answered."""
    store = await SqliteStore.open(tmp_path / "inbox.db", clock=clock)
    try:
        accepting = [store.accept_inbound(f"key-{n}", delivery(n), 600) for n in range(10)]
        failing = store._db.write(lambda c: c.execute("INSERT INTO no_such_table VALUES (1)"))
        outcomes = await asyncio.wait_for(asyncio.gather(*accepting, failing, return_exceptions=True), timeout=10)
        assert outcomes[:10] == [True] * 10
        assert isinstance(outcomes[10], Exception)
        assert len(await store.claim_due(Queue.INBOX, limit=50, lease_seconds=5)) == 10
    finally:
        await store.close()


@pytest.mark.parametrize("count", [1, 1200])
async def test_large_and_single_batches(tmp_path: Path, clock: ManualClock, count: int) -> None:
    """More keys than one query may bind, or just one: all accepted, all queued."""
    store = await SqliteStore.open(tmp_path / "inbox.db", clock=clock)
    try:
        answers = await asyncio.gather(*(store.accept_inbound(f"k-{n}", delivery(n), 600) for n in range(count)))
        assert all(answers)
        assert len(await store.claim_due(Queue.INBOX, limit=count + 1, lease_seconds=5)) == count
    finally:
        await store.close()
