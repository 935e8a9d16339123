"""The audit chain on each backend: records sealed as they are appended, and a record edited,
deleted or reordered behind the Store's back (straight in the SQLite file, or with Redis
commands) found by verification. Also: Redis' Lua SHA-256 gives hashlib's digest, and a log
written before the chain is sealed when first opened."""

from __future__ import annotations

import hashlib
import sqlite3
from collections.abc import AsyncIterator, Awaitable, Callable

import pytest
import redis.asyncio as aioredis

from handlers.audit import decision
from state import codec
from state.audit_chain import verify
from state.clock import ManualClock
from state.redis_keys import RedisKeys
from state.redis_sha256 import SHA256
from state.sqlite import SqliteStore
from state.store import Store
from tests.conftest import StoreFactory

Tamper = Callable[[str], Awaitable[None]]


async def append(store: Store, clock: ManualClock, count: int) -> None:
    for n in range(count):
        await store.append_audit(decision(clock, action="case.note", actor=f"teams:lead{n}", clause="004 strategy 13", outcome=f"C-{n}"))


async def findings(store: Store) -> list[tuple[str, int]]:
    ends = await store.audit_chain_ends()
    return [(f.kind, f.seq) for f in verify(await store.read_sealed_audit(limit=-1), ends)]


async def edit_third_record(factory: StoreFactory) -> None:
    """Change one actor in the third record, straight in the database."""
    if factory.backend == "sqlite":
        with sqlite3.connect(factory.sqlite_path) as raw:
            raw.execute("UPDATE audit SET data = replace(data, 'teams:', 'wecom:') WHERE seq = 3")
        return
    client = aioredis.Redis.from_url(factory.redis_server.url, decode_responses=True)
    log = RedisKeys("esafety:").audit_log
    await client.lset(log, 2, (await client.lindex(log, 2)).replace("teams:", "wecom:"))
    await client.aclose()


@pytest.fixture
async def tamper(store_factory: StoreFactory) -> AsyncIterator[dict[str, Tamper]]:
    """Edit, delete and swap records without the Store, as someone with the database would."""
    if store_factory.backend == "sqlite":
        raw = sqlite3.connect(store_factory.sqlite_path, isolation_level=None)

        async def delete(_: str) -> None:
            raw.execute("DELETE FROM audit WHERE seq = 3")

        async def swap(_: str) -> None:
            raw.executescript("UPDATE audit SET seq = -1 WHERE seq = 3; UPDATE audit SET seq = 3 WHERE seq = 4; "
                              "UPDATE audit SET seq = 4 WHERE seq = -1;")

        yield {"edit": lambda _: edit_third_record(store_factory), "delete": delete, "swap": swap}
        raw.close()
        return
    client = aioredis.Redis.from_url(store_factory.redis_server.url, decode_responses=True)
    log = RedisKeys("esafety:").audit_log

    async def redis_delete(_: str) -> None:
        await client.lrem(log, 1, await client.lindex(log, 2))

    async def redis_swap(_: str) -> None:
        third, fourth = await client.lindex(log, 2), await client.lindex(log, 3)
        await client.lset(log, 2, fourth)
        await client.lset(log, 3, third)

    yield {"edit": lambda _: edit_third_record(store_factory), "delete": redis_delete, "swap": redis_swap}
    await client.aclose()


async def test_appended_records_are_sealed_and_verify(store: Store, clock: ManualClock) -> None:
    await append(store, clock, 6)
    ends = await store.audit_chain_ends()
    sealed = await store.read_sealed_audit(limit=-1)
    assert (ends.head_seq, ends.head_seal, [r.seq for r in sealed]) == (6, sealed[-1].seal, [1, 2, 3, 4, 5, 6])
    assert await findings(store) == []
    assert [e.seq for e in await store.read_audit(after_seq=4)] == [5, 6]


@pytest.mark.parametrize(("how", "found"), [("edit", [("edited", 3)]), ("delete", [("deleted", 3)]), ("swap", [("reordered", 3)])])
async def test_tampering_behind_the_stores_back_is_found(store: Store, clock: ManualClock, tamper: dict[str, Tamper], how: str,
                                                         found: list[tuple[str, int]], store_factory: StoreFactory) -> None:
    await append(store, clock, 6)
    await tamper[how](how)
    reported = await findings(store)
    if how == "swap" and store_factory.backend == "sqlite":  # keys swapped: each record is found at the other's place
        assert reported == [("reordered", 3), ("reordered", 4)]
    else:
        assert reported == found
    await append(store, clock, 1)  # the bot goes on appending after the damage, which stays visible
    assert (await findings(store))[:len(reported)] == reported


async def test_the_newest_record_deleted_shows_against_the_head(store: Store, clock: ManualClock, store_factory: StoreFactory) -> None:
    await append(store, clock, 4)
    if store_factory.backend == "sqlite":
        with sqlite3.connect(store_factory.sqlite_path) as raw:
            raw.execute("DELETE FROM audit WHERE seq = 4")
    else:
        client = aioredis.Redis.from_url(store_factory.redis_server.url)
        await client.rpop(RedisKeys("esafety:").audit_log)
        await client.aclose()
    assert await findings(store) == [("deleted", 4)]


async def test_redis_lua_sha256_is_hashlibs(store_factory: StoreFactory) -> None:
    """Every padding length around a 64-byte block's edge, and text in Chinese."""
    client = aioredis.Redis.from_url(store_factory.redis_server.url)
    digest = client.register_script(SHA256 + "\nreturn sha256(ARGV[1])")
    texts = ["", "abc", "安全 C-2026-000001\t{\"a\":\"/\"}", *("x" * n for n in range(50, 130))]
    try:
        assert [(await digest(args=[text])).decode() for text in texts] == [hashlib.sha256(t.encode()).hexdigest() for t in texts]
    finally:
        await client.aclose()


async def test_a_log_from_before_the_chain_is_sealed_when_first_opened(store_factory: StoreFactory, clock: ManualClock) -> None:
    records = [decision(clock, action="report.received", actor=f"teams:s{n}", clause="004 strategy 9") for n in range(3)]
    if store_factory.backend == "sqlite":
        with sqlite3.connect(store_factory.sqlite_path) as raw:  # the table as it was before
            raw.execute("CREATE TABLE audit (seq INTEGER PRIMARY KEY AUTOINCREMENT, data TEXT NOT NULL)")
            raw.executemany("INSERT INTO audit (data) VALUES (?)", [(codec.dumps(r),) for r in records])
        store: Store = await SqliteStore.open(store_factory.sqlite_path, clock=clock)
        store_factory.opened.append(store)
    else:
        client = aioredis.Redis.from_url(store_factory.redis_server.url)
        keys = RedisKeys("esafety:")
        await client.rpush(keys.audit_log, *[codec.dumps(r) for r in records])
        await client.set(keys.audit_seq, 3)
        await client.aclose()
        store = await store_factory.open()
    assert [e.record for e in await store.read_audit()] == records
    assert await findings(store) == []
    await append(store, clock, 1)
    assert (await store.audit_chain_ends()).head_seq == 4
    assert await findings(store) == []
    reopened = await store_factory.open()  # sealing is once: opened again, nothing changes
    assert await reopened.read_sealed_audit(limit=-1) == await store.read_sealed_audit(limit=-1)
