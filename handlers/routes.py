"""The routing table: which duties each neutral event triggers, in order (STYLE.md lesson 3).

Later duties (supervision, direct messages, concerns, reminders) add their rows here.
"""

from __future__ import annotations

from collections.abc import Sequence

from handlers.dispatch import Route
from handlers.duties import Deps
from handlers.events import Event, GroupJoined, MembersChanged
from handlers.group_registry import remember_group, remember_members
from handlers.outbox import SEND, deliver
from handlers.worker import ItemHandler
from state.due import DueItem, Queue


def policy_routes() -> dict[type[Event], Sequence[Route]]:
    return {
        GroupJoined: [Route(remember_group)],
        MembersChanged: [Route(remember_members)],
    }


def due_work(deps: Deps) -> dict[Queue, dict[str, ItemHandler]]:
    """Which handler does each kind of durable work, per queue (timers, outbox, inbox)."""

    async def send(item: DueItem) -> None:
        await deliver(item, deps)

    return {Queue.OUTBOX: {SEND: send}}
