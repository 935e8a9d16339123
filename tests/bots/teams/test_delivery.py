"""Teams' app-wide send budget goes to the first lane (children's replies, urgent cases) first."""

from __future__ import annotations

import asyncio

from bots.teams.delivery import TeamsDelivery
from bots.waiting import eventually
from handlers.outbox import FIRST_LANE
from state.clock import ManualClock
from state.store import Store


async def test_routine_sends_wait_while_a_first_lane_send_waits_for_the_budget(store: Store, clock: ManualClock) -> None:
    """While a child's reply waits for the app-wide budget, a routine send does not take it;
    a first-lane send is never held by routine ones; once no reply waits, routine goes."""
    delivery = TeamsDelivery(store, sleep=clock.sleep)
    sent: list[str] = []

    async def send(name: str, *, first: bool) -> None:
        FIRST_LANE.set(first)

        async def operation() -> None:
            sent.append(name)

        await delivery.send(f"a:{name}", operation)

    with delivery.priority.waiting():  # a first-lane send is waiting for the budget
        routine = asyncio.create_task(send("routine", first=False))
        await send("child-reply", first=True)
        assert not await eventually(lambda: "routine" in sent, seconds=0.3), "a routine send took the budget first"
    await routine
    assert sent == ["child-reply", "routine"]


async def test_a_steady_first_lane_never_holds_a_routine_send_back_for_long(store: Store, clock: ManualClock) -> None:
    """Replies to children that never pause must not starve a lead's card: a routine send waits
    ROUTINE_WAIT_SECONDS at most, then goes."""
    delivery = TeamsDelivery(store, sleep=clock.sleep)
    delivery.priority.ROUTINE_WAIT_SECONDS = 0.2
    sent: list[str] = []

    async def card() -> None:
        sent.append("lead-card")

    with delivery.priority.waiting():  # the first lane is busy for the whole test
        FIRST_LANE.set(False)
        await asyncio.wait_for(delivery.send("a:lead", card), timeout=5)
    assert sent == ["lead-card"]
