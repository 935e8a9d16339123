"""The KeyValuePort contract (state/ports.py), run on each backend (ids `[sqlite]` and `[redis]`):
The cache with expiry, and locks released only by their owner."""

from __future__ import annotations

from state.ports import KeyValuePort
from tests.conftest import StoreFactory


class TestKeyValuePort:
    async def test_cache_expiry_and_add(self, store: KeyValuePort, store_factory: StoreFactory) -> None:
        """A cached token expires on time; `cache_add` lets one refresher in at a time."""
        await store.cache_set("token", "abc", ttl_seconds=100)
        assert await store.cache_get("token") == "abc"
        assert await store.cache_add("lock", "me", ttl_seconds=5) is True
        assert await store.cache_add("lock", "you", ttl_seconds=5) is False
        store_factory.clock.advance(101)
        assert await store.cache_get("token") is None
        assert await store.cache_add("lock", "you", ttl_seconds=5) is True
        await store.cache_delete("lock")
        assert await store.cache_get("lock") is None

    async def test_a_lock_is_released_only_by_its_owner(self, store_factory: StoreFactory) -> None:
        """A hold that ran out and was taken by another instance is theirs: the first owner's late
        release deletes nothing, and nobody else can take it until they release it."""
        first, second = await store_factory.open(), await store_factory.open()
        assert await first.take_lock("wecom-token", "owner-a", 10) is True
        assert await second.take_lock("wecom-token", "owner-b", 10) is False
        store_factory.clock.advance(11)
        assert await second.take_lock("wecom-token", "owner-b", 10) is True
        assert await first.release_lock("wecom-token", "owner-a") is False
        assert await first.take_lock("wecom-token", "owner-c", 10) is False
        assert await second.release_lock("wecom-token", "owner-b") is True
        assert await first.take_lock("wecom-token", "owner-c", 10) is True
        assert await first.cache_get("wecom-token") is None  # a lock is not a cache entry of the same name
