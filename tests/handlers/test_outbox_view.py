"""What waits in the outbox, described for staff, and sent again on request."""

from __future__ import annotations

import pytest

from handlers.duties import Deps
from handlers.messenger import Message
from handlers.outbox import outbox_item
from handlers.outbox_view import NotWaiting, retry, short_id, undelivered
from state.due import DueItem, Queue
from state.models import Group, GroupKey, PersonRef


async def waiting(deps: Deps, recipient: GroupKey | PersonRef, key: str, *, park: bool = False) -> None:
    await deps.store.schedule_due(outbox_item(recipient, Message(key="supervision.group_warning"), key=key, due_at=deps.clock.now()))
    (claim,) = await deps.store.claim_due(Queue.OUTBOX, limit=1, lease_seconds=60)
    if park:
        await deps.store.park_due(claim, error="403 Forbidden")
    else:
        await deps.store.retry_due(claim, delay_seconds=900, error="unreachable: never installed")


async def test_each_waiting_message_says_who_what_and_why(deps: Deps) -> None:
    group = GroupKey("teams", "19:5a")
    await deps.store.register_group(Group(key=group, name="Class 5A", joined_at=deps.clock.now()))
    await waiting(deps, group, "g1", park=True)
    await waiting(deps, PersonRef("teams", "stranger"), "p1")
    listed = {entry.short_id: entry for entry in await undelivered(deps.store)}
    parked, stranger = listed[short_id("g1")], listed[short_id("p1")]
    assert (parked.recipient, parked.what, parked.parked, parked.reason) == ("Class 5A (group)", "supervision.group_warning", True,
                                                                              "403 Forbidden")
    assert (stranger.recipient, stranger.parked) == ("teams:stranger (not on the roster)", False)


async def test_an_item_that_is_not_a_message_is_listed_as_it_is(deps: Deps) -> None:
    """Something parked in an outbox lane with a kind no handler knows still lists, by its kind."""
    odd = DueItem(queue=Queue.OUTBOX, item_id="odd-1", kind="something.else", due_at=deps.clock.now(), partition="teams:x")
    await deps.store.schedule_due(odd)
    (claim,) = await deps.store.claim_due(Queue.OUTBOX, limit=1, lease_seconds=60)
    await deps.store.park_due(claim, error="no handler for kind something.else")
    (listed,) = await undelivered(deps.store)
    assert (listed.recipient, listed.what, listed.parked) == ("teams:x", "something.else", True)


async def test_retry_all_or_by_id_and_unknown_ids_are_refused(deps: Deps) -> None:
    await waiting(deps, PersonRef("teams", "a"), "a1")
    await waiting(deps, PersonRef("teams", "b"), "b1")
    with pytest.raises(NotWaiting, match="0000beef"):
        await retry(deps.store, deps.clock, ["0000beef"], actor="cli")
    assert await retry(deps.store, deps.clock, [short_id("a1")], actor="cli") == 1
    assert await retry(deps.store, deps.clock, [], actor="cli") == 2
    audits = [e.record for e in await deps.store.read_audit() if e.record.action == "outbox.retried"]
    assert [a.outcome for a in audits] == ["1 message(s)", "2 message(s)"]
