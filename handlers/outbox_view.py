"""What waits in the outbox, and why, for the people who can fix it.

An undelivered alert that nobody can see is the silence this product exists to prevent (004
strategy 9; 000 §3). `esafety-bot outbox list` shows every message that failed at least once:
a short id, its recipient by name and role (or group name), what it is (its text key, never
its words), whether it waits for a retry or is parked, and the reason. `outbox retry` sends the
chosen ones (or all) again now; every retry is audited.
"""

from __future__ import annotations

import hashlib
from dataclasses import dataclass
from datetime import datetime

from handlers.audit import record_decision
from handlers.outbox import SEND, envelope, redrive, undelivered_in_every_lane
from state.clock import Clock
from state.due import Undelivered
from state.models import Group, GroupKey, Person
from state.store import Store

CLAUSE = "004 strategy 9"


class NotWaiting(LookupError):
    """A short id that names no undelivered message."""


@dataclass(frozen=True)
class Waiting:
    short_id: str
    recipient: str  # "Dr Lead (dsl)", "Class 5A (group)", or the reference when unknown
    what: str  # the message's text key: never its words (a case card's words stay with the lead)
    parked: bool
    next_attempt: datetime | None
    reason: str


def short_id(item_id: str) -> str:
    return hashlib.sha256(item_id.encode()).hexdigest()[:8]


async def undelivered(store: Store) -> list[Waiting]:
    people = {str(person.ref): person for person in await store.list_people()}
    groups = {str(group.key): group for group in await store.list_groups()}
    return [_described(u, people, groups) for u in await undelivered_in_every_lane(store)]


async def retry(store: Store, clock: Clock, short_ids: list[str], *, actor: str) -> int:
    """Send again now the messages with these short ids (every one, if none is given)."""
    waiting = {short_id(u.item.item_id): u.item.item_id for u in await undelivered_in_every_lane(store)}
    unknown = [wanted for wanted in short_ids if wanted not in waiting]
    if unknown:
        raise NotWaiting(f"no undelivered message with id {', '.join(unknown)} (see `esafety-bot outbox list`)")
    chosen = [waiting[wanted] for wanted in short_ids] if short_ids else list(waiting.values())
    count = await redrive(store, item_ids=chosen)
    await record_decision(store, clock, action="outbox.retried", actor=actor, clause=CLAUSE, outcome=f"{count} message(s)",
                          detail={"ids": ",".join(short_id(item_id) for item_id in chosen)[:500]})
    return count


def _described(waiting: Undelivered, people: dict[str, Person], groups: dict[str, Group]) -> Waiting:
    item = waiting.item
    if item.kind != SEND:  # not a message (an item parked for a kind no handler knows): said as it is
        return Waiting(short_id(item.item_id), item.partition or "-", item.kind, waiting.parked, waiting.next_attempt, item.last_error)
    sealed = envelope(item)
    recipient = sealed.recipient
    if isinstance(sealed.address, GroupKey):
        group = groups.get(str(sealed.address))
        who = f"{group.name} (group)" if group and group.name else recipient
    else:
        person = people.get(recipient)
        who = f"{person.name} ({person.role.value})" if person else f"{recipient} (not on the roster)"
    return Waiting(short_id(item.item_id), who, sealed.message.key, waiting.parked, waiting.next_attempt, item.last_error)
