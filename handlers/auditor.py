"""The chain's own auditor: work that should have happened and has not.

Every duty that matters to a child runs from durable due work: a report waits in the inbox, an
escalation step in the timers, a lead's card in the outbox. A worker that silently stopped (a
crashed task, a stuck loop, a process that still answers HTTP) would leave that work waiting
while nobody noticed, until a child's report went unanswered (004 strategy 9: concerns reach
the designated staff at once; 000 §3: a formal procedure, not a hope). So every instance checks,
every CHECK_EVERY_SECONDS, that nothing is overdue by more than the margin (work waiting its turn
behind a message being sent to the same recipient is not late). When something is, the head and
the admin team are told directly through every channel they are on (not through the
outbox, which may be the part that stopped), the decision is audited, /readyz says `degraded`
and /metrics counts it. Only queues, kinds and times are named: never a report's words.
"""

from __future__ import annotations

import asyncio
import logging
from contextlib import suppress
from dataclasses import dataclass
from datetime import datetime, timedelta

from handlers.audit import record_decision
from handlers.duties import Deps
from handlers.messenger import Message
from handlers.outbox import ADMIN_ROLES
from state.due import Overdue, Queue
from state.models import Person, Role
from state.store import Store

log = logging.getLogger(__name__)
CLAUSE = "004 strategy 9; 000 §3"
AUDITED_QUEUES = (Queue.INBOX, Queue.OUTBOX_FIRST, Queue.TIMERS, Queue.OUTBOX)
"""Every queue of due work: children's messages waiting to be read, replies and cards waiting to
go, escalation steps and reminders waiting to happen."""
CHECK_EVERY_SECONDS = 30.0
ALERTED = "auditor:late-work-alerted"
"""The shared key (a cache entry) that says late work has been alerted: one alert for all instances."""
REALERT_SECONDS = 3_600
"""While work stays late (the same item or others), it is alerted again each hour: never silence, never a flood."""
RETELL_SECONDS = 300
"""When nobody could be told (every channel down, or the check failed mid-way), the next try is 5 minutes later."""
SEND_SECONDS = 10.0
"""Each alert gets this long to go out: a channel that hangs must not hold the check (or shutdown) up."""


@dataclass(frozen=True)
class LateWork:
    """One queue's overdue items."""

    queue: Queue
    overdue: Overdue


async def late_work(store: Store, now: datetime, margin_seconds: float) -> list[LateWork]:
    """The queues holding work overdue by more than `margin_seconds` at `now`."""
    cutoff = now - timedelta(seconds=margin_seconds)
    found = [LateWork(queue, await store.overdue(queue, due_before=cutoff)) for queue in AUDITED_QUEUES]
    return [late for late in found if late.overdue.count]


def oldest_of(late: list[LateWork]) -> LateWork:
    return min(late, key=lambda each: each.overdue.since.timestamp() if each.overdue.since else float("inf"))


def describe(late: list[LateWork], now: datetime, margin_seconds: float) -> str:
    """One line for /readyz, the log and `doctor`: how much is late, where, and for how long."""
    count = sum(each.overdue.count for each in late)
    where = ", ".join(f"{each.queue.value}: {each.overdue.count}" for each in late)
    oldest = oldest_of(late)
    waited = _minutes_since(oldest.overdue.since, now)
    kind = oldest.overdue.oldest.kind if oldest.overdue.oldest else "?"
    return (f"{count} item(s) of due work overdue by more than {margin_seconds:.0f} s ({where}); the oldest, "
            f"a {kind} in {oldest.queue.value}, has waited {waited} min: a worker may have stopped")


def late_message(late: list[LateWork], now: datetime, margin_seconds: float) -> Message:
    """What the head and the admin team are told of late work, and what the console's operations page shows."""
    oldest = oldest_of(late)
    return Message(key="admin.work_overdue", fields={
        "count": sum(each.overdue.count for each in late),
        "margin": f"{margin_seconds / 60:g}",
        "minutes": _minutes_since(oldest.overdue.since, now),
        "where": ", ".join(f"{each.queue.value} {each.overdue.count}" for each in late)})


class Auditor:
    """Checks for late work and tells the admins; one per instance (they share the ALERTED key)."""

    def __init__(self, deps: Deps, margin_seconds: float) -> None:
        self.deps = deps
        self.margin_seconds = margin_seconds

    async def check(self) -> list[LateWork]:
        """One check: the late work found (empty when all is on time), alerted once an hour while
        work stays late; once nothing is late, the next late work is alerted at once."""
        now = self.deps.clock.now()
        late = await late_work(self.deps.store, now, self.margin_seconds)
        if late:
            await self._alert(late, now)
        else:
            await self.deps.store.cache_delete(ALERTED)
        return late

    async def run_until(self, stop: asyncio.Event) -> None:
        """Check every CHECK_EVERY_SECONDS until `stop`; a check that fails is logged, never fatal,
        and one still running when `stop` comes is cancelled (shutdown never waits for it)."""
        while not stop.is_set():
            with suppress(TimeoutError):
                await asyncio.wait_for(stop.wait(), CHECK_EVERY_SECONDS)
            if stop.is_set():
                return
            checking, stopping = asyncio.create_task(self.check()), asyncio.create_task(stop.wait())
            await asyncio.wait({checking, stopping}, timeout=CHECK_EVERY_SECONDS, return_when=asyncio.FIRST_COMPLETED)
            for task in (checking, stopping):
                task.cancel()
            await asyncio.gather(checking, stopping, return_exceptions=True)
            if checking.done() and not checking.cancelled() and checking.exception() is not None:
                log.warning("the auditor could not check for late work: %s", type(checking.exception()).__name__)

    async def _alert(self, late: list[LateWork], now: datetime) -> None:
        """Claimed for RETELL_SECONDS before anyone is told, so instances do not all tell at once
        and a telling that fails (or is cancelled) is tried again in minutes; held for an hour
        once someone has been told."""
        if not await self.deps.store.cache_add(ALERTED, "telling", RETELL_SECONDS):
            return  # told (or being told) already
        told = await self._tell_admins(late, now)
        if told:
            await self.deps.store.cache_set(ALERTED, "told", REALERT_SECONDS)
        log.error("LATE WORK: %s; %d message(s) sent%s", describe(late, now, self.margin_seconds), told,
                  "" if told else ": NOBODY COULD BE TOLD, trying again in 5 minutes")
        await record_decision(self.deps.store, self.deps.clock, key=f"{ALERTED}:{now.timestamp()}", action="auditor.overdue",
                              actor="system", subject="due work", clause=CLAUSE, outcome=f"told {told}",
                              detail={each.queue.value: str(each.overdue.count) for each in late})

    async def _tell_admins(self, late: list[LateWork], now: datetime) -> int:
        """Straight through each channel, one message per roster entry of the head and the admin
        team (so every channel each is on), or of the leads when none of those could be told; how
        many went out."""
        message = late_message(late, now, self.margin_seconds)
        people = [person for person in await self.deps.store.list_people() if person.channel in self.deps.channels]
        told = await self._tell([person for person in people if person.role in ADMIN_ROLES], message)
        if not told:  # no head or admin could be told: the leads, rather than nobody
            told = await self._tell([person for person in people if person.role is Role.DSL], message)
        return told

    async def _tell(self, people: list[Person], message: Message) -> int:
        told = 0
        for person in people:
            try:
                async with asyncio.timeout(SEND_SECONDS):
                    await self.deps.messenger.send_to_person(person.ref, message)
                told += 1
            except Exception as error:
                log.warning("late-work alert to %s not sent: %s", person.ref, type(error).__name__)
        return told


def _minutes_since(since: datetime | None, now: datetime) -> int:
    return int((now - since).total_seconds() // 60) if since else 0
