"""The Redis backend's own guard, beside the contract every backend passes."""

from __future__ import annotations

import redis.asyncio as aioredis

from state.due import Queue
from state.redis import RedisStore
from state.redis_server import RedisServer
from tests.conftest import START, empty_redis
from tests.state.contract.samples import due


async def test_a_stray_due_id_without_its_item_does_not_jam_claims(redis_server: object, clock: object) -> None:
    """Redis only: an id left in the due set without its item (a partial manual clean-up) is
    dropped by the claim instead of breaking every later claim."""
    assert isinstance(redis_server, RedisServer)
    await empty_redis(redis_server)
    store = await RedisStore.from_url(redis_server.url, clock=clock)  # type: ignore[arg-type]
    try:
        await store.schedule_due(due("good"))
        client = aioredis.Redis.from_url(redis_server.url)
        zsets = [k for k in await client.keys("*due*timers*") if await client.type(k) == b"zset"]
        assert len(zsets) == 1
        await client.zadd(zsets[0], {"stray": START.timestamp() - 1})
        await client.aclose()
        claims = await store.claim_due(Queue.TIMERS, limit=5, lease_seconds=30)
        assert [c.item.item_id for c in claims] == ["good"]
    finally:
        await store.close()
