"""The Store methods named for what they are for, built the same way on every backend from its
own atomic primitives (the inbox's remember-and-queue, the cache), so the two backends cannot
drift apart on them."""

from __future__ import annotations

from state.due import DueItem
from state.effects import ONCE_MEMORY_SECONDS, OUTBOX_KEY_PREFIX
from state.models import PersonRef
from state.store import LOCK_SUFFIX, REPORT_WINDOW_PREFIX, Store


class StoreIntents:
    """Mixed into each backend; see `state.store.Store` for what each method promises."""

    async def queue_message_once(self: Store, item: DueItem) -> bool:
        return await self.accept_inbound(OUTBOX_KEY_PREFIX + item.item_id, item, ONCE_MEMORY_SECONDS)

    async def open_report_window(self: Store, reporter: PersonRef, case: str, seconds: float) -> None:
        await self.cache_set(REPORT_WINDOW_PREFIX + str(reporter), case, seconds)

    async def report_window(self: Store, reporter: PersonRef) -> str | None:
        return await self.cache_get(REPORT_WINDOW_PREFIX + str(reporter))

    async def take_lock(self: Store, name: str, owner: str, ttl_seconds: float) -> bool:
        return await self.cache_add(name + LOCK_SUFFIX, owner, ttl_seconds)
