"""Counts made in memory reach the Store's shared totals, and survive a Store that is briefly down."""

from __future__ import annotations

from pathlib import Path

from handlers.tallies import DELIVERIES_FAILED, WEBHOOK_REFUSED, Tallies, read_tally_name, tally_name
from state.redis import RedisStore
from state.redis_server import RedisServer


def test_a_tally_name_reads_back_as_its_metric_and_labels() -> None:
    name = tally_name(WEBHOOK_REFUSED, reason="forbidden", channel="wecom")
    assert name == tally_name(WEBHOOK_REFUSED, channel="wecom", reason="forbidden")  # label order does not matter
    assert read_tally_name(name) == (WEBHOOK_REFUSED, {"channel": "wecom", "reason": "forbidden"})


async def test_counts_wait_for_a_store_that_is_down_and_are_added_once_it_is_back(tmp_path: Path) -> None:
    server = RedisServer(tmp_path)
    server.start()
    try:
        store = await RedisStore.from_url(server.url)
        tallies = Tallies()
        tallies.count(DELIVERIES_FAILED, channel="teams", reason="timeout")
        await tallies.flush(store)
        tallies.count(DELIVERIES_FAILED, channel="teams", reason="timeout")
        server.stop()
        await tallies.flush(store)  # not added: kept for the next flush
        tallies.count(DELIVERIES_FAILED, channel="teams", reason="timeout")
        server.start()
        await tallies.flush(store)
        await tallies.flush(store)  # nothing left to add twice
        assert await store.read_tallies() == {tally_name(DELIVERIES_FAILED, channel="teams", reason="timeout"): 3}
        await store.close()
    finally:
        server.stop()
