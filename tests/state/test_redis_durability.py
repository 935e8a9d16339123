"""A Redis that keeps nothing on disk is refused; what an accepted one can lose is said."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest
import redis.asyncio as aioredis

from bots.app import bootstrap
from bots.config import load_settings
from state.redis import RedisStore
from state.redis_durability import UNKNOWN, Persistence, VolatileRedis, read_persistence
from state.redis_server import RedisServer


@pytest.fixture
def volatile_redis(tmp_path: Path) -> Iterator[RedisServer]:
    server = RedisServer(tmp_path, durable=False)
    server.start()
    yield server
    server.stop()


async def test_a_redis_that_keeps_nothing_is_refused_with_the_setting_to_change(volatile_redis: RedisServer) -> None:
    with pytest.raises(VolatileRedis, match="appendonly yes"):
        await RedisStore.from_url(volatile_redis.url)


async def test_serve_refuses_it_unless_allowed(tmp_path: Path, volatile_redis: RedisServer) -> None:
    with pytest.raises(VolatileRedis):
        await bootstrap(load_settings({"REDIS_URL": volatile_redis.url}))
    bot = await bootstrap(load_settings({"REDIS_URL": volatile_redis.url, "ESAFETY_ALLOW_VOLATILE_REDIS": "1"}))
    await bot.store.ping()
    await bot.store.close()


async def test_doctor_hears_whether_a_store_keeps_its_writes(volatile_redis: RedisServer, redis_server: RedisServer) -> None:
    """The Store says, in words, whether a crash loses anything: a volatile Redis (allowed to
    start) does; the test suite's append-only Redis does not."""
    volatile = await RedisStore.from_url(volatile_redis.url, allow_volatile=True)
    durable = await RedisStore.from_url(redis_server.url)
    try:
        kept, lost = await durable.durability(), await volatile.durability()
    finally:
        await volatile.close()
        await durable.close()
    assert (kept.safe, kept.detail) == (True, f"Redis at 127.0.0.1:{redis_server.port}: append-only file, fsync always: "
                                              f"a crash or a power cut loses nothing")
    assert lost.safe is False
    assert lost.detail.startswith(f"Redis at 127.0.0.1:{volatile_redis.port} keeps nothing on disk")


async def test_the_settings_are_read_from_redis_itself(redis_server: RedisServer) -> None:
    client = aioredis.Redis.from_url(redis_server.url)
    try:
        assert await read_persistence(client) == Persistence(append_only=True, append_fsync="always", snapshots="")
        await client.config_set("appendfsync", "everysec")
        assert "a power cut up to about a second" in (await read_persistence(client)).risk()
    finally:
        await client.config_set("appendfsync", "always")
        await client.aclose()


async def test_where_config_is_not_allowed_info_decides(volatile_redis: RedisServer) -> None:
    """Managed services often forbid CONFIG: INFO persistence still says whether AOF is on."""
    admin = aioredis.Redis.from_url(volatile_redis.url)
    await admin.acl_setuser("app", enabled=True, passwords=["+secret"], keys=["*"], commands=["+@all", "-config"])
    await admin.aclose()
    limited = aioredis.Redis(host="127.0.0.1", port=volatile_redis.port, username="app", password="secret")
    try:
        persistence = await read_persistence(limited)
    finally:
        await limited.aclose()
    assert persistence == Persistence(append_only=False, append_fsync=UNKNOWN, snapshots=UNKNOWN)
    assert not persistence.keeps_nothing  # unknown snapshots: accepted, with the risk said
    assert "cannot be read" in persistence.risk()


@pytest.mark.parametrize(("persistence", "words"), [
    (Persistence(True, "always", ""), "loses nothing"),
    (Persistence(True, "no", ""), "about 30 seconds"),
    (Persistence(False, "everysec", "3600 1"), "snapshots only"),
])
def test_each_setting_says_what_it_risks(persistence: Persistence, words: str) -> None:
    assert words in persistence.risk()
