"""Outbound messages, durably: every message a duty sends is an outbox entry first.

The entry's id is the idempotency key (one card per recipient per step), so a retried duty
never sends twice; the worker sends it through the channel, retries what can be retried with
bounded back-off, and parks what cannot be sent with the error recorded — never dropped. A
person the channel cannot reach yet (e.g. a lead who never installed the bot) is never parked:
the admin team is told, so a person can fix it (004 strategy 9: concerns must reach the lead),
and the message waits, tried again with back-off (UNREACHABLE_BACKOFF_SECONDS) and at once when
they become reachable (handlers/redelivery.py).
"""

from __future__ import annotations

import logging
from collections.abc import Awaitable, Collection
from contextvars import ContextVar
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from handlers.audit import record_decision
from handlers.duties import Deps
from handlers.messenger import Message, Sent, Unreachable
from handlers.names import group_words, person_words
from handlers.runtime.retry import RetryLater
from handlers.tallies import DELIVERIES_FAILED
from state import codec
from state.due import OUTBOX_LANES, DueItem, Queue, Undelivered
from state.models import GroupKey, PersonRef, Role
from state.store import Store

log = logging.getLogger(__name__)
FIRST_LANE: ContextVar[bool] = ContextVar("esafety_first_lane", default=False)
"""Whether the send in progress is a first-lane message (set by `deliver` for its own task): a
channel whose rate budget is shared by all its sends lets these go first."""
SEND = "message.send"
RECEIPT_DAYS = 30
ADMIN_ROLES = (Role.ADMIN, Role.HEAD)
UNREACHABLE_BACKOFF_SECONDS = ((900, 300), (3_600, 900), (4 * 3_600, 3_600), (12 * 3_600, 3 * 3_600))
"""How long a message waits for a recipient who cannot be reached yet, by how long it has waited
already: every 5 minutes in its first 15, every 15 in its first hour, hourly for 4 hours, every
3 hours for 12, then every 6 hours. Waiting is never a failed attempt: it never parks."""


def unreachable_backoff(waited_seconds: float) -> float:
    return next((every for within, every in UNREACHABLE_BACKOFF_SECONDS if waited_seconds < within), 6 * 3_600)


@dataclass(frozen=True, kw_only=True)
class Envelope:
    """What an outbox entry carries, stored as its payload field for field: to whom, what, and
    what a case's chronology needs once it is sent."""

    to: str  # "group" or "person"
    recipient: str
    message: Message
    case: str = ""  # the case it belongs to: its delivery is recorded in the case's chronology
    step: int = 0  # the escalation step it was sent at
    keep_receipt: bool = False  # a case card: its receipt is kept, to update it in place later
    follows: str = ""  # the outbox id of the message this one must not overtake

    @property
    def address(self) -> GroupKey | PersonRef:
        return GroupKey.parse(self.recipient) if self.to == "group" else PersonRef.parse(self.recipient)


def _stored(sealed: Envelope) -> dict[str, Any]:
    """The envelope as its payload, leaving out the case fields it does not use: an entry that is
    not a case's reads the same to an instance of the previous version (a rolling upgrade)."""
    plain: dict[str, Any] = codec.to_plain(sealed)
    return {name: value for name, value in plain.items() if name in ("to", "recipient", "message") or value}


def envelope(item: DueItem) -> Envelope:
    """An outbox entry's payload, read back."""
    return codec.from_plain(Envelope, item.payload)


def outbox_item(recipient: GroupKey | PersonRef, message: Message, *, key: str, due_at: datetime, first: bool = False,
                case: str = "", step: int = 0, keep_receipt: bool = False, follows: str = "") -> DueItem:
    """One outbox entry; a case's entries carry its reference and step (Envelope). A
    recipient's messages are one partition: sent one at a time, in order (a lead gets the case
    card before the words it says will follow). `first` puts it in the first lane (replies to
    children, urgent cases: 004 strategy 9), which routine staff messages, however many or
    however rate-limited, never hold up."""
    sealed = Envelope(to="group" if isinstance(recipient, GroupKey) else "person", recipient=str(recipient), message=message,
                      case=case, step=step, keep_receipt=keep_receipt, follows=follows)
    return DueItem(queue=Queue.OUTBOX_FIRST if first else Queue.OUTBOX, item_id=key, kind=SEND, due_at=due_at, partition=str(recipient),
                   payload=_stored(sealed))


async def queue_once(deps: Deps, item: DueItem) -> bool:
    """Queue an outbox entry unless its key was queued in the last RECEIPT_DAYS — even if it has
    been delivered (and removed) since: remembering the key and queuing are one atomic step."""
    return await deps.store.queue_message_once(item)


async def send_durably(deps: Deps, recipient: GroupKey | PersonRef, message: Message, *, key: str, first: bool = False,
                       case: str = "", keep_receipt: bool = False) -> bool:
    """Queue `message` for `recipient` under idempotency `key`; False if that key was used before."""
    item = outbox_item(recipient, message, key=key, due_at=deps.clock.now(), first=first, case=case, keep_receipt=keep_receipt)
    return await queue_once(deps, item)


async def deliver(item: DueItem, deps: Deps) -> None:
    """The outbox worker's handler for `message.send`."""
    sealed = envelope(item)
    message, recipient = sealed.message, sealed.address
    FIRST_LANE.set(item.queue is Queue.OUTBOX_FIRST)
    try:
        if isinstance(recipient, GroupKey):
            sent = await deps.messenger.send_to_group(recipient, message)
        else:
            sent = await deps.messenger.send_to_person(recipient, message)
    except Exception as error:
        deps.tallies.count(DELIVERIES_FAILED, channel=recipient.channel, reason=failure_reason(error))
        if not isinstance(error, Unreachable):
            raise
        await _report_unreachable(deps, item, message)
        raise RetryLater(f"unreachable: {error}", unreachable_backoff((deps.clock.now() - item.due_at).total_seconds())) from error
    if sealed.keep_receipt:  # a message that will be updated in place (a case card)
        await after_sending(item, "receipt", deps.store.cache_set(f"receipt:{item.item_id}", codec.dumps(sent), RECEIPT_DAYS * 86_400))


def failure_reason(error: BaseException) -> str:
    """A failed send's reason as a /metrics label: one of a few fixed words (unreachable, timeout,
    network, channel_error), never the error's own text."""
    if isinstance(error, Unreachable):
        return "unreachable"
    if isinstance(error, TimeoutError):
        return "timeout"
    if isinstance(error, OSError | ConnectionError):
        return "network"
    return "channel_error"  # the channel answered with an error, or kept failing


async def undelivered_in_every_lane(store: Store) -> list[Undelivered]:
    """What failed at least once and is not done, in every lane."""
    return [waiting for lane in OUTBOX_LANES for waiting in await store.list_undelivered(lane)]


async def redrive(store: Store, *, item_ids: Collection[str] = (), partitions: Collection[str] = ()) -> int:
    """Make the named undelivered messages, or every one waiting for `partitions` (recipients),
    due now, in whichever lane each is."""
    return sum([await store.redrive_due(lane, item_ids=item_ids, partitions=partitions) for lane in OUTBOX_LANES])


async def after_sending(item: DueItem, what: str, bookkeeping: Awaitable[object]) -> None:
    """Bookkeeping after a message went out must never fail the item: a retry would send it
    again (the lead would get the card and the child's words twice). It is logged instead."""
    try:
        await bookkeeping
    except Exception as error:
        log.error("outbox item %s was sent but its %s was not recorded: %s", item.item_id, what, type(error).__name__)


async def receipt(deps: Deps, key: str) -> Sent | None:
    """The receipt of the message sent under outbox `key`, to update it in place later."""
    data = await deps.store.cache_get(f"receipt:{key}")
    return codec.loads(Sent, data) if data else None


async def _report_unreachable(deps: Deps, item: DueItem, message: Message) -> None:
    recipient = envelope(item).recipient
    await record_decision(deps.store, deps.clock, key=f"{item.item_id}|unreachable", action="delivery.unreachable", actor="system",
                          subject=recipient,
                          clause="004 strategy 9", outcome="parked", detail={"item": item.item_id})
    if message.key == "admin.unreachable_staff":
        return  # never alert about an alert: that could loop between unreachable admins
    people = await deps.store.list_people()
    if envelope(item).to == "group":
        who = group_words(await deps.store.get_group(GroupKey.parse(recipient)), await deps.store.list_groups())
    else:
        who = person_words(next((p for p in people if str(p.ref) == recipient), None))
    for admin in [p for p in people if p.role in ADMIN_ROLES]:
        await send_durably(deps, admin.ref, Message(key="admin.unreachable_staff", fields={"person": who}),
                           key=f"unreachable:{recipient}:{admin.ref}")
