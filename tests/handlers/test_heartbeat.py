"""An instance's heartbeat: beating keeps its claims; its recorded stop frees them at once."""

from __future__ import annotations

import asyncio

from handlers.heartbeat import Heartbeat, instance_id
from state.clock import ManualClock
from state.due import DueItem, Queue
from state.store import Store


async def test_claims_stay_while_it_beats_and_are_free_once_it_stopped(store: Store, clock: ManualClock) -> None:
    mine, other = Heartbeat(store, instance_id()), Heartbeat(store, instance_id())
    assert mine.holder != other.holder
    assert "/" not in mine.holder  # a lease token is `holder/random`
    await mine.beat()
    await store.schedule_due(DueItem(queue=Queue.TIMERS, item_id="x", kind="t", due_at=clock.now()))
    assert len(await store.claim_due(Queue.TIMERS, limit=1, lease_seconds=300, holder=mine.holder)) == 1
    clock.advance(60)  # its first beat is old now: a beat must have come since
    stop = asyncio.Event()
    stop.set()
    await mine.run_until(stop)  # beats once even when told to stop at once
    assert await store.claim_due(Queue.TIMERS, limit=1, lease_seconds=300, holder=mine.holder) == []  # never its own lease
    assert await store.claim_due(Queue.TIMERS, limit=1, lease_seconds=300, holder=other.holder) == []  # it beats
    await mine.stopped()
    assert [c.item.item_id for c in await store.claim_due(Queue.TIMERS, limit=1, lease_seconds=300, holder=other.holder)] == ["x"]
