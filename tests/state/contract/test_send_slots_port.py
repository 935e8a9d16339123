"""The SendSlotsPort contract (state/ports.py), run on each backend (ids `[sqlite]` and `[redis]`):
Shared send budgets: each channel's rate windows, across instances."""

from __future__ import annotations

import pytest

from state.ports import SendSlotsPort
from tests.conftest import StoreFactory


class TestSendSlotsPort:
    async def test_send_slots_follow_every_window(self, store: SendSlotsPort, store_factory: StoreFactory) -> None:
        """3 per second and 4 per 10 s: the 4th send waits a second, the 5th until the 10 s window frees."""
        windows = [(3, 1.0), (4, 10.0)]
        assert [await store.reserve_send_slot("conv", windows) for _ in range(3)] == [0, 0, 0]
        assert await store.reserve_send_slot("conv", windows) == pytest.approx(1.0)
        store_factory.clock.advance(1)
        assert await store.reserve_send_slot("conv", windows) == 0
        assert await store.reserve_send_slot("conv", windows) == pytest.approx(9.0)
        assert await store.reserve_send_slot("other", windows) == 0
