"""One limiter for every channel's rate windows: wait for a send slot, however many instances share it.

Teams (per conversation, and per app) and WeCom (per member, per robot, per app chat) each have
windows of so many sends per so many seconds. A slot is taken in the Store (`reserve_send_slot`,
atomic across instances); when none is free, the Store says how long until one is, and the
sender waits that long and asks again. Waiting for a slot is pacing, not a retry: nothing failed.
"""

from __future__ import annotations

import asyncio
from collections.abc import Awaitable, Callable, Sequence

from state.store import Store

Sleep = Callable[[float], Awaitable[None]]


async def take_send_slot(store: Store, bucket: str, windows: Sequence[tuple[int, float]], sleep: Sleep = asyncio.sleep) -> None:
    """Return once a slot in `bucket` is taken under every `(count, per_seconds)` window."""
    while (wait := await store.reserve_send_slot(bucket, windows)) > 0:
        await sleep(wait)
