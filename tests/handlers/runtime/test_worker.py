"""The due-work runner: finish, retry with back-off, park — never drop."""

from __future__ import annotations

import asyncio
from dataclasses import replace
from datetime import datetime, timedelta
from typing import Any, cast

import pytest

from bots.waiting import eventually
from handlers.runtime.doorbell import Doorbell
from handlers.runtime.retry import PermanentFailure, RetryPolicy, TryAgain
from handlers.runtime.worker import DueWorker
from state.clock import ManualClock
from state.due import Claim, DueItem, Queue
from state.store import Store
from tests.conftest import START


def item(item_id: str, kind: str = "send") -> DueItem:
    return DueItem(queue=Queue.OUTBOX, item_id=item_id, kind=kind, due_at=START)


async def test_done_items_are_finished(store: Store) -> None:
    """A handler that succeeds removes its item."""
    seen: list[str] = []

    async def send(due: DueItem) -> None:
        seen.append(due.item_id)

    await store.schedule_due(item("a"))
    assert await DueWorker(store, Queue.OUTBOX, {"send": send}).run_once() == 1
    assert seen == ["a"]
    assert await store.get_due(Queue.OUTBOX, "a") is None


async def test_failures_retry_then_park_with_the_error(store: Store, clock: ManualClock) -> None:
    """A failing send is retried later and, after the last attempt, parked with its error."""

    async def send(due: DueItem) -> None:
        raise ConnectionError("connector down")

    worker = DueWorker(store, Queue.OUTBOX, {"send": send}, retry=RetryPolicy(max_attempts=3, base_seconds=1, cap_seconds=1))
    await store.schedule_due(item("a"))
    for _ in range(3):
        assert await worker.run_once() == 1
        clock.advance(2)
    parked = await store.list_parked(Queue.OUTBOX)
    assert [(p.item_id, p.attempts, p.last_error) for p in parked] == [("a", 3, "ConnectionError: connector down")]


async def test_a_channels_try_again_waits_as_long_as_it_asked_within_the_cap(store: Store, clock: ManualClock) -> None:
    """The worker is the only loop: a channel's Retry-After is the least it waits (spread a
    little, capped), and it counts as an attempt, so a channel that keeps asking is parked in the end."""

    async def send(due: DueItem) -> None:
        raise TryAgain("Teams answered 429", after_seconds=7 if due.attempts == 0 else 10_000)

    worker = DueWorker(store, Queue.OUTBOX, {"send": send}, retry=RetryPolicy(max_attempts=3, cap_seconds=300))
    await store.schedule_due(item("a"))
    await worker.run_once()
    clock.advance(6.9)
    assert await worker.run_once() == 0  # never sooner than asked
    clock.advance(1.5)
    assert await worker.run_once() == 1  # at most a fifth later; asked to wait 10,000 s now: waits the cap
    clock.advance(299)
    assert await worker.run_once() == 0
    clock.advance(1)
    assert await worker.run_once() == 1
    (parked,) = await store.list_parked(Queue.OUTBOX)
    assert (parked.attempts, parked.last_error) == (3, "TryAgain: Teams answered 429")


class Watched:
    """The real Store, watched: the items each claim took, and the first `unanswered` finishes
    not answered (as when Redis is paused)."""

    def __init__(self, store: Store, *, unanswered: int = 0, overtaken: int = 0) -> None:
        self._store = store
        self.unanswered = unanswered
        self.overtaken = overtaken  # finishes refused, as when a claim of the item committed just before
        self.refused = 0
        self.claimed: list[str] = []

    def __getattr__(self, name: str) -> Any:
        return getattr(self._store, name)

    async def claim_due(self, queue: Queue, **options: Any) -> list[Claim]:
        claims = await self._store.claim_due(queue, **options)
        self.claimed += [claim.item.item_id for claim in claims]
        return claims

    async def finish_due(self, claim: Claim) -> bool:
        if self.refused < self.unanswered:
            self.refused += 1
            raise TimeoutError("the Store did not answer")
        if self.refused < self.unanswered + self.overtaken:
            self.refused += 1
            return False
        return await self._store.finish_due(claim)


@pytest.mark.parametrize("finish", ["unanswered", "overtaken"])
async def test_an_item_done_but_not_recorded_is_not_done_again(finish: str, store: Store, clock: ManualClock) -> None:
    """A card sent but not marked sent comes back when its lease runs out, and is then finished
    without being sent again (a channel send has no idempotency key): whether the Store did not
    answer (Redis paused) or refused the finish (the worker's own poll claimed it just before)."""
    sent: list[str] = []

    async def send(due: DueItem) -> None:
        sent.append(due.item_id)

    flaky = Watched(store, **{finish: 1})
    worker = DueWorker(cast(Store, flaky), Queue.OUTBOX, {"send": send}, lease_seconds=30)
    await store.schedule_due(item("a"))
    assert await worker.run_once() == 1
    assert flaky.refused == 1
    assert await store.get_due(Queue.OUTBOX, "a") is not None, "the item was kept: its finish was never recorded"
    clock.advance(31)
    assert await worker.run_once() == 1
    assert sent == ["a"]
    assert await store.get_due(Queue.OUTBOX, "a") is None


async def test_a_timer_re_armed_after_an_unrecorded_finish_still_runs(store: Store, clock: ManualClock) -> None:
    """Only the very occurrence that was done is finished unrun: a timer its handler armed again
    under the same id (the next reminder) runs when it falls due."""
    ran: list[datetime] = []

    async def fire(due: DueItem) -> None:
        ran.append(due.due_at)
        await store.schedule_due(replace(due, due_at=due.due_at + timedelta(hours=1)), replace=True)

    flaky = Watched(store, unanswered=1)
    worker = DueWorker(cast(Store, flaky), Queue.TIMERS, {"fire": fire}, lease_seconds=30)
    await store.schedule_due(DueItem(queue=Queue.TIMERS, item_id="reminder", kind="fire", due_at=START))
    assert await worker.run_once() == 1
    clock.advance(3600)
    assert await worker.run_once() == 1
    assert ran == [START, START + timedelta(hours=1)]


async def test_an_item_still_in_hand_when_its_lease_runs_out_is_done_once(store: Store, clock: ManualClock) -> None:
    """A send stalled past its lease (behind a paused Redis, a rate limit's wait) is claimed
    again by the worker's next poll: that renews the lease of the send in hand, which then
    finishes with it; the item is neither run a second time nor left to be sent again."""
    sent: list[str] = []
    started, release = asyncio.Event(), asyncio.Event()

    async def send(due: DueItem) -> None:
        started.set()
        await release.wait()
        sent.append(due.item_id)

    watched, stop = Watched(store), asyncio.Event()
    worker = DueWorker(cast(Store, watched), Queue.OUTBOX, {"send": send}, lease_seconds=30)
    task = asyncio.create_task(worker.run_until(stop, poll_seconds=0.01))
    try:
        await store.schedule_due(item("a"))
        await asyncio.wait_for(started.wait(), timeout=5)
        clock.advance(31)
        assert await eventually(lambda: watched.claimed == ["a", "a"]), "the worker did not claim the item whose lease ran out"
        release.set()

        async def finished() -> bool:
            return await store.get_due(Queue.OUTBOX, "a") is None

        assert await eventually(finished), "the send in hand did not finish with the renewed lease"
        clock.advance(60)
        await asyncio.sleep(0.1)
    finally:
        stop.set()
        await asyncio.wait_for(task, timeout=5)
    assert sent == ["a"]


async def test_unknown_kinds_and_permanent_failures_are_parked(store: Store) -> None:
    """Work nobody can do is kept for a person to see, not retried forever or dropped."""

    async def refuse(due: DueItem) -> None:
        raise PermanentFailure("recipient does not exist")

    await store.schedule_due(item("a", "mystery"))
    await store.schedule_due(item("b", "refuse"))
    await DueWorker(store, Queue.OUTBOX, {"refuse": refuse}).run_once()
    assert {p.item_id: p.last_error for p in await store.list_parked(Queue.OUTBOX)} == {
        "a": "no handler for kind 'mystery'", "b": "recipient does not exist"}


async def test_run_until_stops_when_told(store: Store, clock: ManualClock) -> None:
    """The polling loop works through due items and returns promptly on stop."""
    done = asyncio.Event()

    async def send(due: DueItem) -> None:
        done.set()

    stop = asyncio.Event()
    task = asyncio.create_task(DueWorker(store, Queue.OUTBOX, {"send": send}).run_until(stop, poll_seconds=0.01))
    await store.schedule_due(DueItem(queue=Queue.OUTBOX, item_id="later", kind="send", due_at=START + timedelta(seconds=5)))
    clock.advance(5)
    await asyncio.wait_for(done.wait(), timeout=5)
    stop.set()
    await asyncio.wait_for(task, timeout=5)


async def test_a_slow_item_does_not_hold_up_the_others(store: Store, clock: ManualClock) -> None:
    """One recipient that hangs (a dead serviceUrl) must not delay a child's report behind it."""
    release, done = asyncio.Event(), asyncio.Event()

    async def send(due: DueItem) -> None:
        if due.item_id == "a-stuck":
            await release.wait()
        else:
            done.set()

    stop = asyncio.Event()
    await store.schedule_due(item("a-stuck"))
    await store.schedule_due(item("b-report"))
    task = asyncio.create_task(DueWorker(store, Queue.OUTBOX, {"send": send}, batch=1).run_until(stop, poll_seconds=0.01))
    await asyncio.wait_for(done.wait(), timeout=5)
    release.set()
    stop.set()
    await asyncio.wait_for(task, timeout=5)
    assert await store.get_due(Queue.OUTBOX, "a-stuck") is None


async def test_the_doorbell_wakes_a_waiting_worker_at_once(store: Store) -> None:
    """Work queued in this process is taken at once, not at the next poll (here 60 s away)."""
    seen: list[str] = []

    async def send(due: DueItem) -> None:
        seen.append(due.item_id)

    doorbell = Doorbell()
    stop = asyncio.Event()
    worker = asyncio.create_task(DueWorker(store, Queue.OUTBOX, {"send": send}, doorbell=doorbell).run_until(stop, poll_seconds=60))
    await asyncio.sleep(0.05)  # the worker has found nothing and is waiting
    await store.schedule_due(item("rung"))
    doorbell.ring(Queue.OUTBOX)
    assert await eventually(lambda: seen == ["rung"], seconds=2)
    stop.set()
    await worker


async def test_one_partition_is_worked_in_order_others_side_by_side(store: Store) -> None:
    """One sender's items run one at a time, in the order they were claimed (a bare `report`
    before the words that follow it); another sender's item does not wait for them."""
    events: list[str] = []
    first_may_finish = asyncio.Event()

    async def handle(due: DueItem) -> None:
        events.append(f"start {due.item_id}")
        if due.item_id == "a1":
            await first_may_finish.wait()
        events.append(f"end {due.item_id}")

    for item_id, partition in (("a1", "child-a"), ("a2", "child-a"), ("b1", "child-b")):
        await store.schedule_due(DueItem(queue=Queue.INBOX, item_id=item_id, kind="in", due_at=START, partition=partition))
    worker = DueWorker(store, Queue.INBOX, {"in": handle})
    running = asyncio.create_task(worker.run_once())
    assert await eventually(lambda: "end b1" in events, seconds=5), "another partition waited"
    assert "start a2" not in events, "the second item of a partition started before the first ended"
    first_may_finish.set()
    assert await running == 3
    assert events.index("end a1") < events.index("start a2")


async def test_a_held_up_recipient_keeps_one_slot_and_the_others_pass(store: Store) -> None:
    """Two slots; one recipient's first message is held up (a rate limit) with two more queued
    behind it: those are given back untouched instead of taking the second slot, so another
    recipient's message goes at once; the first recipient's follow in order when it clears."""
    release, order = asyncio.Event(), []

    async def send(due: DueItem) -> None:
        if due.partition == "lead" and not release.is_set():
            await release.wait()
        order.append(due.item_id)

    for item_id, partition in (("lead-1", "lead"), ("lead-2", "lead"), ("lead-3", "lead"), ("child", "child")):
        await store.schedule_due(DueItem(queue=Queue.OUTBOX, item_id=item_id, kind="send", due_at=START, partition=partition))
    stop = asyncio.Event()
    worker = DueWorker(store, Queue.OUTBOX, {"send": send}, concurrency=2)
    running = asyncio.create_task(worker.run_until(stop, poll_seconds=0.05))
    assert await eventually(lambda: order == ["child"], seconds=5), order
    release.set()
    assert await eventually(lambda: len(order) == 4, seconds=5), order
    stop.set()
    await running
    assert order == ["child", "lead-1", "lead-2", "lead-3"]
    assert await store.list_undelivered(Queue.OUTBOX) == []  # given back untouched: no attempt, no error


def test_a_burst_of_short_retry_afters_still_takes_minutes_to_use_the_attempts_up() -> None:
    """Teams' `Retry-After: 1` is a floor, not the wait: the ten attempts span 7 to 14 minutes."""
    policy = RetryPolicy()
    waits = [policy.delay(attempts, asked=1) for attempts in range(policy.max_attempts - 1)]
    assert 405 <= sum(waits) <= 810
    assert all(wait <= policy.cap_seconds for wait in waits)
