"""The DueWorkPort contract (state/ports.py), run on each backend (ids `[sqlite]` and `[redis]`):
Durable due work: timers, the outbox and the inbox, claimed with leases, never dropped."""

from __future__ import annotations

import asyncio
from dataclasses import replace
from datetime import timedelta

from state.due import Overdue, Queue
from state.ports import DueWorkPort
from tests.conftest import START, StoreFactory
from tests.state.contract.samples import due


class TestDueWorkPort:
    async def test_claims_only_due_items_in_order(self, store: DueWorkPort, store_factory: StoreFactory) -> None:
        """Items due now are claimed earliest first; later ones wait."""
        for item in (due("b", 0), due("a", 0), due("late", 60)):
            assert await store.schedule_due(item) is True
        assert await store.schedule_due(due("a", 30)) is False
        claims = await store.claim_due(Queue.TIMERS, limit=10, lease_seconds=300)
        assert [c.item.item_id for c in claims] == ["a", "b"]
        store_factory.clock.advance(60)
        assert [c.item.item_id for c in await store.claim_due(Queue.TIMERS, limit=10, lease_seconds=30)] == ["late"]

    async def test_two_claimers_one_winner(self, store_factory: StoreFactory) -> None:
        """Two instances claiming at once never both get the same item."""
        first, second = await store_factory.open(), await store_factory.open()
        for n in range(50):
            await first.schedule_due(due(f"item-{n:02d}"))
        batches = await asyncio.gather(*(s.claim_due(Queue.TIMERS, limit=7, lease_seconds=60) for s in (first, second) * 5))
        claimed = [c.item.item_id for batch in batches for c in batch]
        assert len(claimed) == len(set(claimed)) == 50

    async def test_lease_expiry_hands_item_on(self, store: DueWorkPort, store_factory: StoreFactory) -> None:
        """An instance that dies holding a lease does not lose the item: it is claimable again."""
        await store.schedule_due(due("x"))
        stale = (await store.claim_due(Queue.TIMERS, limit=1, lease_seconds=30))[0]
        assert await store.claim_due(Queue.TIMERS, limit=1, lease_seconds=30) == []
        store_factory.clock.advance(31)
        fresh = (await store.claim_due(Queue.TIMERS, limit=1, lease_seconds=30))[0]
        assert await store.finish_due(stale) is False
        assert await store.finish_due(fresh) is True
        assert await store.get_due(Queue.TIMERS, "x") is None

    async def test_a_stopped_instances_leases_are_taken_over_at_once(self, store: DueWorkPort, store_factory: StoreFactory) -> None:
        """While its holder's heartbeat goes on, a leased item stays with it; once the heartbeat
        has stopped, another instance takes it at once, long before the lease runs out; the old
        holder can no longer settle it."""
        await store.heartbeat("a", alive_seconds=15)
        await store.heartbeat("b", alive_seconds=15)
        await store.schedule_due(due("x"))
        (held,) = await store.claim_due(Queue.TIMERS, limit=5, lease_seconds=300, holder="a")
        assert await store.claim_due(Queue.TIMERS, limit=5, lease_seconds=300, holder="b") == []
        store_factory.clock.advance(10)
        await store.heartbeat("a", alive_seconds=15)  # a still beats: nothing is taken
        store_factory.clock.advance(10)
        assert await store.claim_due(Queue.TIMERS, limit=5, lease_seconds=300, holder="b") == []
        store_factory.clock.advance(6)  # a's last beat was 16 s ago
        (taken,) = await store.claim_due(Queue.TIMERS, limit=5, lease_seconds=300, holder="b")
        assert taken.item.item_id == "x"
        assert await store.finish_due(held) is False
        assert await store.finish_due(taken) is True

    async def test_a_released_item_keeps_its_place(self, store: DueWorkPort, store_factory: StoreFactory) -> None:
        """Given back untouched (its recipient busy), an item keeps its own due time: a
        recipient's messages are claimed again in their order, with no attempt counted."""
        for item_id in ("b", "c"):
            await store.schedule_due(due(item_id))
        store_factory.clock.advance(5)
        claims = {c.item.item_id: c for c in await store.claim_due(Queue.TIMERS, limit=5, lease_seconds=60)}
        await store.release_due(claims["c"])
        await store.release_due(claims["b"])
        again = await store.claim_due(Queue.TIMERS, limit=5, lease_seconds=60)
        assert [(c.item.item_id, c.item.attempts) for c in again] == [("b", 0), ("c", 0)]

    async def test_a_graceful_stop_frees_its_leases(self, store: DueWorkPort) -> None:
        await store.heartbeat("a", alive_seconds=15)
        await store.schedule_due(due("x"))
        await store.claim_due(Queue.TIMERS, limit=5, lease_seconds=300, holder="a")
        await store.heartbeat("a", alive_seconds=0)
        assert [c.item.item_id for c in await store.claim_due(Queue.TIMERS, limit=5, lease_seconds=300, holder="b")] == ["x"]

    async def test_retry_counts_attempts_and_waits(self, store: DueWorkPort, store_factory: StoreFactory) -> None:
        """A failed send comes back later with the error recorded."""
        await store.schedule_due(due("x", queue=Queue.OUTBOX))
        claim = (await store.claim_due(Queue.OUTBOX, limit=1, lease_seconds=30))[0]
        assert await store.retry_due(claim, delay_seconds=10, error="429 Too Many Requests") is True
        assert await store.claim_due(Queue.OUTBOX, limit=1, lease_seconds=30) == []
        store_factory.clock.advance(10)
        again = (await store.claim_due(Queue.OUTBOX, limit=1, lease_seconds=30))[0]
        assert (again.item.attempts, again.item.last_error) == (1, "429 Too Many Requests")

    async def test_parked_items_are_kept_not_dropped(self, store: DueWorkPort) -> None:
        """A send that finally fails is parked with its error, never silently dropped."""
        await store.schedule_due(due("x", queue=Queue.OUTBOX))
        claim = (await store.claim_due(Queue.OUTBOX, limit=1, lease_seconds=30))[0]
        assert await store.park_due(claim, error="403 bot not installed") is True
        parked = await store.list_parked(Queue.OUTBOX)
        assert [(p.item_id, p.last_error) for p in parked] == [("x", "403 bot not installed")]
        assert await store.claim_due(Queue.OUTBOX, limit=1, lease_seconds=0) == []
        assert await store.schedule_due(due("x", queue=Queue.OUTBOX)) is False

    async def test_undelivered_items_are_listed_and_redriven(self, store: DueWorkPort, store_factory: StoreFactory) -> None:
        """What failed is listed (parked, or waiting with its next attempt) and can be made due
        now, by id or by recipient; fresh items and items in hand are neither."""
        for item_id, recipient in (("parked", "teams:lead"), ("waiting", "teams:lead"), ("other", "teams:head"), ("fresh", "teams:lead"),
                                   ("held", "teams:lead")):
            await store.schedule_due(replace(due(item_id, queue=Queue.OUTBOX), partition=recipient))
        claims = {c.item.item_id: c for c in await store.claim_due(Queue.OUTBOX, limit=5, lease_seconds=30)}
        await store.park_due(claims["parked"], error="unreachable: never installed")
        await store.retry_due(claims["waiting"], delay_seconds=600, error="unreachable: never installed")
        await store.retry_due(claims["other"], delay_seconds=600, error="403")
        await store.retry_due(claims["fresh"], delay_seconds=0, error="")
        listed = await store.list_undelivered(Queue.OUTBOX)
        assert [(u.item.item_id, u.parked, u.item.last_error) for u in listed] == [
            ("other", False, "403"), ("parked", True, "unreachable: never installed"), ("waiting", False, "unreachable: never installed")]
        assert listed[2].next_attempt == store_factory.clock.now() + timedelta(seconds=600)
        assert await store.redrive_due(Queue.OUTBOX, partitions=["teams:lead"]) == 2  # not "held" (in hand), not "fresh"
        due_now = {c.item.item_id for c in await store.claim_due(Queue.OUTBOX, limit=10, lease_seconds=30)}
        assert due_now == {"parked", "waiting", "fresh"}
        assert await store.list_parked(Queue.OUTBOX) == []
        assert await store.redrive_due(Queue.OUTBOX, item_ids=["other"]) == 1
        assert [c.item.item_id for c in await store.claim_due(Queue.OUTBOX, limit=10, lease_seconds=30)] == ["other"]

    async def test_depth_counts_waiting_held_and_parked_items(self, store: DueWorkPort) -> None:
        """An outbox's depth is everything it holds, whatever each item's state."""
        assert await store.due_depth(Queue.OUTBOX) == 0
        for item_id in ("a", "b", "c"):
            await store.schedule_due(due(item_id, queue=Queue.OUTBOX))
        await store.schedule_due(due("timer"))
        held, parked, _ = await store.claim_due(Queue.OUTBOX, limit=3, lease_seconds=30)
        await store.park_due(parked, error="403")
        assert await store.due_depth(Queue.OUTBOX) == 3
        await store.finish_due(held)
        assert (await store.due_depth(Queue.OUTBOX), await store.due_depth(Queue.TIMERS)) == (2, 1)

    async def test_overdue_is_late_work_nobody_holds(self, store: DueWorkPort, store_factory: StoreFactory) -> None:
        """Late work: due before the cutoff and not in hand. An item in hand is late only once its
        lease ran out; a parked item or one waiting for its next attempt is not late."""
        clock = store_factory.clock
        for item_id, after in (("old", 0), ("older", -60), ("future", 600), ("held", -120), ("parked", -120), ("waiting", -120)):
            await store.schedule_due(due(item_id, after, queue=Queue.OUTBOX))
        assert await store.overdue(Queue.OUTBOX, due_before=START - timedelta(seconds=200)) == Overdue()
        claims = {c.item.item_id: c for c in await store.claim_due(Queue.OUTBOX, limit=3, lease_seconds=300)}
        assert set(claims) == {"held", "parked", "waiting"}
        await store.park_due(claims["parked"], error="403")
        await store.retry_due(claims["waiting"], delay_seconds=60, error="timeout")
        late = await store.overdue(Queue.OUTBOX, due_before=clock.now())
        assert (late.count, late.oldest and late.oldest.item_id, late.since) == (1, "older", START - timedelta(seconds=60))
        clock.advance(400)  # the lease of "held" ran out 100 s ago; "waiting" is due again since 340 s
        late = await store.overdue(Queue.OUTBOX, due_before=clock.now() - timedelta(seconds=90))
        assert (late.count, late.oldest and late.oldest.item_id) == (4, "older")
        assert await store.overdue(Queue.TIMERS, due_before=clock.now()) == Overdue()

    async def test_work_waiting_behind_its_recipients_message_in_hand_is_not_late(self, store: DueWorkPort,
                                                                                   store_factory: StoreFactory) -> None:
        """A message given back because its recipient's previous one is being sent keeps its old
        due time, but it is waiting its turn, not late; once the recipient is free, it is late."""
        clock = store_factory.clock
        for item_id in ("first", "second"):
            await store.schedule_due(replace(due(item_id, queue=Queue.OUTBOX), partition="teams:lead"))
        await store.schedule_due(replace(due("other", queue=Queue.OUTBOX), partition="teams:head"))
        claims = {c.item.item_id: c for c in await store.claim_due(Queue.OUTBOX, limit=3, lease_seconds=600)}
        await store.release_due(claims["second"])
        await store.release_due(claims["other"])
        clock.advance(300)
        late = await store.overdue(Queue.OUTBOX, due_before=clock.now() - timedelta(seconds=120))
        assert (late.count, late.oldest and late.oldest.item_id) == (1, "other")
        await store.finish_due(claims["first"])
        late = await store.overdue(Queue.OUTBOX, due_before=clock.now() - timedelta(seconds=120))
        assert (late.count, late.oldest and late.oldest.item_id) == (2, "other")

    async def test_cancel_and_replace(self, store: DueWorkPort) -> None:
        """A timer can be moved (replace) or cancelled (escalation after acknowledgement)."""
        await store.schedule_due(due("x", 60))
        assert await store.schedule_due(due("x", 0), replace=True) is True
        assert [c.item.item_id for c in await store.claim_due(Queue.TIMERS, limit=5, lease_seconds=5)] == ["x"]
        assert await store.cancel_due(Queue.TIMERS, "x") is True
        assert await store.cancel_due(Queue.TIMERS, "x") is False

    async def test_a_delivery_is_refused_until_its_memory_expires(self, store: DueWorkPort, store_factory: StoreFactory) -> None:
        """A replayed delivery id is refused until its memory expires; then it is new again."""
        item = due("teams:activity-1", queue=Queue.INBOX)
        assert await store.accept_inbound("teams:activity-1", item, ttl_seconds=600) is True
        assert await store.accept_inbound("teams:activity-1", item, ttl_seconds=600) is False
        store_factory.clock.advance(601)
        assert await store.accept_inbound("teams:activity-1", item, ttl_seconds=600) is True

    async def test_concurrent_deliveries_of_one_key_are_accepted_once(self, store_factory: StoreFactory) -> None:
        """The same delivery arriving many times at once, at two instances: one is new, one item queued."""
        first, second = await store_factory.open(), await store_factory.open()
        item = due("teams:a:chat|1", queue=Queue.INBOX)
        answers = await asyncio.gather(*(s.accept_inbound("teams:activity:1", item, ttl_seconds=600) for s in (first, second) * 10))
        assert answers.count(True) == 1
        assert len(await first.claim_due(Queue.INBOX, limit=5, lease_seconds=5)) == 1

    async def test_accept_inbound_queues_once(self, store: DueWorkPort) -> None:
        """A WeCom retry of a callback is accepted once and queued once."""
        item = due("wecom:123", queue=Queue.INBOX)
        assert await store.accept_inbound("wecom:msg:123", item, ttl_seconds=600) is True
        assert await store.accept_inbound("wecom:msg:123", item, ttl_seconds=600) is False
        claims = await store.claim_due(Queue.INBOX, limit=5, lease_seconds=30)
        assert [c.item for c in claims] == [item]

    async def test_a_message_is_queued_once_even_after_it_was_delivered(self, store: DueWorkPort) -> None:
        assert await store.queue_message_once(due("reply:e1", queue=Queue.OUTBOX)) is True
        (claim,) = await store.claim_due(Queue.OUTBOX, limit=5, lease_seconds=30)
        await store.finish_due(claim)
        assert await store.queue_message_once(due("reply:e1", queue=Queue.OUTBOX)) is False
        assert await store.claim_due(Queue.OUTBOX, limit=5, lease_seconds=30) == []
