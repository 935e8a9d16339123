"""Durable due work: timers, the delivery outbox and the inbound inbox share one mechanism.

A piece of work that must happen later (an escalation step, a re-check, a reminder, a message
to deliver, a callback to process) is a row with a due time, never only an in-memory sleep, so a
restart loses nothing and a second instance duplicates nothing (DESIGN.md, data flow). Claiming
takes a lease: the claimer gets a token and the item is hidden until the lease runs out, so an
instance that dies mid-work hands the item on instead of losing it.
"""

from __future__ import annotations

import uuid
from dataclasses import dataclass, field
from datetime import datetime
from enum import StrEnum
from typing import Any


class Queue(StrEnum):
    TIMERS = "timers"  # decisions due later: escalate a case, re-check a group, post a reminder
    OUTBOX = "outbox"  # messages to deliver, at least once, one per recipient per step: the routine lane
    OUTBOX_FIRST = "outbox_first"  # the first lane: replies to children and urgent cases, never behind routine staff messages
    INBOX = "inbox"  # accepted webhook deliveries waiting to be processed


OUTBOX_LANES = (Queue.OUTBOX_FIRST, Queue.OUTBOX)
"""The outbox's lanes, first first: each has its own worker and its own items in hand."""


@dataclass(frozen=True, kw_only=True)
class DueItem:
    """`item_id` is the idempotency key: scheduling an id that is already queued does nothing,
    which is what makes 'one card per recipient per step' and 'one welcome per join' hold."""

    queue: Queue
    item_id: str
    kind: str
    due_at: datetime
    payload: dict[str, Any] = field(default_factory=dict, repr=False)  # an outbox message may carry a report's words
    attempts: int = 0
    last_error: str = ""
    partition: str = ""  # items of one partition (one sender's messages) are worked one at a time, in order


FORGET_INSTANCES_AFTER_SECONDS = 7_200  # a stopped instance is remembered past the longest lease (an hour), then forgotten


def lease_token(holder: str) -> str:
    """A claim's token: `holder/random` names the instance holding it, so another instance
    can take the item over as soon as that instance's heartbeat stops."""
    return f"{holder}/{uuid.uuid4().hex}" if holder else uuid.uuid4().hex


@dataclass(frozen=True)
class Claim:
    """A leased item. Only the holder of `token` may finish, retry or park it."""

    item: DueItem
    token: str


@dataclass(frozen=True)
class Undelivered:
    """An item that failed at least once and is not done: `parked` (a person must act, or it
    waits for its recipient) or waiting for `next_attempt`."""

    item: DueItem
    parked: bool
    next_attempt: datetime | None = None


@dataclass(frozen=True)
class Overdue:
    """The late work of one queue: how many items nobody has in hand whose time (or whose lease)
    ran out before a cutoff, and the oldest of them with that time. A live worker takes an item
    within seconds of its time; late work means a worker stopped (handlers/auditor.py)."""

    count: int = 0
    oldest: DueItem | None = None
    since: datetime | None = None
