"""One limiter for every channel: a sender waits exactly until its window has room."""

from __future__ import annotations

from handlers.send_slots import take_send_slot
from state.clock import ManualClock
from state.store import Store


async def test_a_full_window_is_waited_out_then_the_slot_is_taken(store: Store, clock: ManualClock) -> None:
    started = clock.now()
    for _ in range(3):
        await take_send_slot(store, "wecom:user:li", ((2, 1.0),), clock.sleep)
    assert (clock.now() - started).total_seconds() == 1.0
    assert await store.reserve_send_slot("wecom:user:li", ((1, 1.0),)) == 1.0  # the third took its slot, at 1 s
