"""Doing durable work when it falls due: timers, outbox deliveries and inbox events.

The worker claims due items with a lease, runs the handler for each item's `kind`, and then
finishes it, retries it with bounded back-off, or parks it with the error where a person can
see it. Nothing is dropped silently. If the process stops mid-item the lease runs out and
another instance (or this one, restarted) takes it: at-least-once, so handlers are idempotent.

A channel send has no idempotency key, so an item done must not be run again by this worker;
issue 17's fault tests found two ways it was, both now closed here:
- an item done whose finish the Store did not take (a paused Redis; or refused, because the
  worker's own poll claimed it again just before and that claim is still on its way back) is
  remembered for a few leases and, when it comes back to this worker, finished without being
  run again (so a handler that re-arms its own item must arm it for later: an identical item
  is taken for the occurrence already done);
- an outbox item whose lease ran out while it was still in hand (a send stalled behind a paused
  Redis or a rate limit's wait) is claimed again by this worker's next poll: that claim renews
  the lease of the send in hand, which is then settled with it, rather than given back (which
  left the first claim's finish refused and the message to be sent again). Other work (timers,
  the inbox) only queues keyed messages, so running it again repeats nothing anyone sees, and
  it is run again as before: with the time as it is now, which a stalled first run may not be.
What stays possible: another instance taking a send that outlasted its lease (only behind
Teams' hourly limit to one chat, over 300 s), or a restart between a send and its record.
"""

from __future__ import annotations

import asyncio
import logging
import time
from collections.abc import Awaitable, Callable, Mapping

from handlers.runtime.doorbell import Doorbell
from handlers.runtime.retry import PermanentFailure, RetryLater, RetryPolicy, TryAgain
from state.due import OUTBOX_LANES, Claim, DueItem, Queue
from state.store import Store

log = logging.getLogger(__name__)

ItemHandler = Callable[[DueItem], Awaitable[None]]


SHUTDOWN_GRACE_SECONDS = 5.0
DONE_MEMORY_FACTOR = 3
"""An item done but not recorded is remembered for this many of its leases: long enough for the
lease to bring it back, not for ever (it may hold a child's words)."""
AFTER_AN_ITEM = (*OUTBOX_LANES, Queue.TIMERS)
"""Who may have work at once after an item is done: its messages, a timer it armed due now. Only
webhooks (and other instances, found by polling) bring inbox work, so its worker is not woken
for nothing on every finished item."""


async def _finish_or_hand_on(running: set[asyncio.Task[None]]) -> None:
    if not running:
        return
    _, waiting = await asyncio.wait(running, timeout=SHUTDOWN_GRACE_SECONDS)
    for task in waiting:
        task.cancel()
    if waiting:
        log.warning("%d item(s) still in hand at shutdown: left to their lease, to be taken again", len(waiting))
        await asyncio.gather(*waiting, return_exceptions=True)


class DueWorker:
    def __init__(
        self,
        store: Store,
        queue: Queue,
        handlers: Mapping[str, ItemHandler],
        *,
        lease_seconds: float = 60,
        batch: int = 20,
        concurrency: int = 8,
        retry: RetryPolicy | None = None,
        doorbell: Doorbell | None = None,
        holder: str = "",
    ) -> None:
        self._store = store
        self._queue = queue
        self._handlers = handlers
        self._lease = lease_seconds
        self._batch = batch
        self._concurrency = concurrency
        self._retry = retry or RetryPolicy()
        self._doorbell = doorbell or Doorbell()
        self._holder = holder  # this instance's id: its claims carry it (handlers/heartbeat.py)
        self._partitions: dict[str, asyncio.Lock] = {}
        self._waiting: dict[str, int] = {}  # items holding or awaiting each partition's lock
        self._done_unrecorded: dict[str, tuple[DueItem, float]] = {}  # by id: an item done, not recorded, and since when
        self._in_hand: dict[str, Claim] = {}  # outbox item id → its latest claim (a lease renewed by claiming it again)
        self._renews = queue in OUTBOX_LANES

    async def run_once(self) -> int:
        """Claim what is due and work through it, items side by side; return how many were claimed."""
        claims = await self._store.claim_due(self._queue, limit=self._batch, lease_seconds=self._lease, holder=self._holder)
        await asyncio.gather(*(self._work(claim) for claim in claims))
        return len(claims)

    async def run_until(self, stop: asyncio.Event, *, poll_seconds: float = 1.0) -> None:
        """Poll until `stop` is set. Up to `concurrency` items are in hand at once, and a free
        slot is refilled at once, so one slow recipient (a dead serviceUrl, a 429 storm) never
        holds a child's report behind it. An item whose partition (recipient) already has one in
        hand is given back at once, untouched, rather than waiting in a slot: a rate limit on
        one recipient never takes the slots another's messages need; when all that was due was
        given back, the worker waits for an item in hand to finish (or the poll) rather than
        the bell, so it does not claim the same items again and again. On stop, items in hand
        get `SHUTDOWN_GRACE_SECONDS` to finish; any still waiting (a long back-off) is
        cancelled, and its lease hands it on."""
        running: set[asyncio.Task[None]] = set()
        stopping = asyncio.create_task(stop.wait())
        bell = self._doorbell.bell(self._queue)
        try:
            while not stop.is_set():
                bell.clear()
                claimed = await self._claim(self._concurrency - len(running))
                claims = await self._one_per_partition(claimed)
                running |= {asyncio.create_task(self._work(claim)) for claim in claims}
                if claims and len(running) < self._concurrency:
                    continue
                ringing = asyncio.create_task(bell.wait())
                wake = {*running, stopping} if claimed and not claims else {*running, stopping, ringing}
                done, _ = await asyncio.wait(wake, timeout=poll_seconds, return_when=asyncio.FIRST_COMPLETED)
                ringing.cancel()
                running -= done
        finally:
            stopping.cancel()
            await _finish_or_hand_on(running)

    async def _one_per_partition(self, claims: list[Claim]) -> list[Claim]:
        """The claims to work now; the rest (their partition already in hand) are given back. A
        claim of an item already in hand renews its lease: it is kept for that item's settling.
        A new occurrence under an id in hand (a timer re-armed by its own handler) waits its turn."""
        kept: list[Claim] = []
        busy: list[Claim] = []
        in_hand = set(self._waiting)
        for claim in claims:
            held = self._in_hand.get(claim.item.item_id)
            if held is not None and held.item == claim.item:  # the same occurrence, its lease run out
                self._in_hand[claim.item.item_id] = claim
                continue
            partition = claim.item.partition
            (busy if held is not None or (partition and partition in in_hand) else kept).append(claim)
            in_hand.add(partition)
        try:
            await asyncio.gather(*(self._store.release_due(claim) for claim in busy))
        except Exception as error:  # the Store may be briefly unreachable: those wait out their lease
            log.warning("%s worker could not give back %d item(s): %s", self._queue, len(busy), type(error).__name__)
        return kept

    async def _claim(self, room: int) -> list[Claim]:
        if room <= 0:
            return []
        try:
            return await self._store.claim_due(self._queue, limit=room, lease_seconds=self._lease, holder=self._holder)
        except Exception as error:  # the Store may be briefly unreachable; keep polling
            log.warning("%s worker could not claim work: %s", self._queue, type(error).__name__)
            return []

    async def _work(self, claim: Claim) -> None:
        """Items of one partition (one sender's messages) run one at a time, in claim order: a
        child's bare `report` is taken before the words that follow it."""
        if not self._renews:
            await self._in_partition(claim)
            return
        self._in_hand[claim.item.item_id] = claim
        try:
            await self._in_partition(claim)
        finally:
            del self._in_hand[claim.item.item_id]

    async def _in_partition(self, claim: Claim) -> None:
        partition = claim.item.partition
        if not partition:
            await self._run(claim)
            return
        lock = self._partitions.setdefault(partition, asyncio.Lock())
        self._waiting[partition] = self._waiting.get(partition, 0) + 1
        try:
            async with lock:
                await self._run(claim)
        finally:
            self._waiting[partition] -= 1
            if not self._waiting[partition]:
                del self._waiting[partition], self._partitions[partition]

    async def _run(self, claim: Claim) -> None:
        item = claim.item
        if self._done_unrecorded.get(item.item_id, (None, 0.0))[0] == item:  # the same occurrence, not one re-armed since
            await self._finish(claim)
            return
        handler = self._handlers.get(item.kind)
        if handler is None:
            log.error("%s item %s has unknown kind %s: parked", self._queue, item.item_id, item.kind)
            await self._store.park_due(claim, error=f"no handler for kind {item.kind!r}")
            return
        try:
            await handler(item)
        except PermanentFailure as error:
            log.error("%s item %s parked: %s", self._queue, item.item_id, error)
            refusal = str(error)
            await self._settled(claim, lambda held: self._store.park_due(held, error=refusal))
        except RetryLater as error:
            log.log(logging.DEBUG if error.routine else logging.WARNING, "%s item %s waits %.0f s: %s", self._queue, item.item_id,
                    error.delay_seconds, error)
            wait, why = error.delay_seconds, str(error)
            await self._settled(claim, lambda held: self._store.retry_due(held, delay_seconds=wait, error=why, attempt=False))
        except Exception as error:
            reason = f"{type(error).__name__}: {error}"[:500]
            if item.attempts + 1 >= self._retry.max_attempts:
                log.error("%s item %s failed %d times: parked", self._queue, item.item_id, item.attempts + 1)
                await self._settled(claim, lambda held: self._store.park_due(held, error=reason))
            else:
                asked = _asked_wait(error)
                log.warning("%s item %s failed (attempt %d): retrying", self._queue, item.item_id, item.attempts + 1)
                delay = self._retry.delay(item.attempts, asked)
                await self._settled(claim, lambda held: self._store.retry_due(held, delay_seconds=delay, error=reason))
        else:
            await self._finish(claim)
            self._doorbell.ring(*AFTER_AN_ITEM)  # the work may have queued messages (a timer's, a callback's reply)

    def _latest(self, claim: Claim) -> Claim:
        """The claim that holds the item's lease now: a later claim of it renewed the lease."""
        return self._in_hand.get(claim.item.item_id, claim)

    async def _settled(self, claim: Claim, settle: Callable[[Claim], Awaitable[bool]]) -> bool:
        """Settle with the lease held now; again if a renewing claim came back while the Store
        was answering (the poll's claim can commit just before this settle)."""
        while True:
            held = self._latest(claim)
            settled = await settle(held)
            if settled or self._latest(claim) is held:
                return settled

    async def _finish(self, claim: Claim) -> None:
        try:
            finished = await self._settled(claim, self._store.finish_due)
        except Exception as error:
            self._remember_done(claim.item)
            log.warning("%s item %s was done but could not be marked finished (%s): it is finished when its lease brings it back, "
                        "not done again", self._queue, claim.item.item_id, type(error).__name__)
            return
        if finished:
            self._done_unrecorded.pop(claim.item.item_id, None)
        else:  # re-armed by its handler (another occurrence, which runs), or claimed again, that claim still on its way back
            self._remember_done(claim.item)

    def _remember_done(self, item: DueItem) -> None:
        """Kept for as long as the item's lease could bring it back here, then forgotten."""
        now = time.monotonic()
        self._done_unrecorded = {key: (kept, since) for key, (kept, since) in self._done_unrecorded.items()
                                 if now - since < DONE_MEMORY_FACTOR * self._lease}
        self._done_unrecorded[item.item_id] = (item, now)


def _asked_wait(error: BaseException) -> float | None:
    """The wait a channel asked for, even when a duty's failure wraps its TryAgain."""
    cause: BaseException | None = error
    while cause is not None:
        if isinstance(cause, TryAgain):
            return cause.after_seconds
        cause = cause.__cause__
    return None
