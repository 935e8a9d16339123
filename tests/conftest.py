"""Shared fixtures: a real redis-server for the session, and the Store under test on each backend."""

from __future__ import annotations

import contextlib
import logging
import os
import tempfile
import time
from collections.abc import AsyncIterator, Iterator
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import pytest
import redis.asyncio as aioredis

from bots.teams.fakes.bot_connector import FakeBotConnector, every_connector
from bots.wecom.fakes.api import FakeWecomApi, every_wecom_api
from policy_text.catalog import LOCALES, Catalog
from state.case_lifecycle import Moved
from state.clock import ManualClock
from state.models import Person, Role
from state.records import Case
from state.redis import RedisStore
from state.redis_server import RedisServer
from state.sqlite import SqliteStore
from state.store import Store
from tests.privacy import PrivacyScan

START = datetime(2026, 11, 23, 9, 0, tzinfo=UTC)
FIXED_CLOCK_MODULES = ("tests/bots/test_demo.py", "tests/bots/test_cli.py")
"""Tests that keep their own fixed clock (the demo's) or start processes of their own."""


def pytest_configure(config: pytest.Config) -> None:
    """Under `make date-check` the machine's date must really have moved: the kernel stamps a
    new file with the true time, which libfaketime does not touch, so the two are compared."""
    if "FAKETIME" not in os.environ:
        return
    with tempfile.NamedTemporaryFile() as probe:
        true_now = os.stat(probe.name).st_mtime
    if time.time() - true_now < 300 * 86_400:
        raise pytest.UsageError("FAKETIME is set but the clock did not move a year ahead: the date check would check nothing")


def pytest_collection_modifyitems(items: list[pytest.Item]) -> None:
    """Mark every clock-sensitive test `fixed_clock`: it uses the fixed test clock, or a module
    that keeps a fixed clock of its own. `make test` runs these again with the machine's date a
    year ahead (libfaketime), so a test that mixes the real clock with a fixed one fails the
    day it is written, not the day the calendar overtakes it."""
    for item in items:
        if "clock" in getattr(item, "fixturenames", ()) or item.nodeid.startswith(FIXED_CLOCK_MODULES):
            item.add_marker(pytest.mark.fixed_clock)


@pytest.fixture(scope="session", autouse=True)
def privacy_scan(request: pytest.FixtureRequest) -> Iterator[PrivacyScan]:
    """Fails the run if any report text reached a log line (any level) or a group message."""
    scan = PrivacyScan()
    root = logging.getLogger()
    previous_level = root.level
    root.addHandler(scan)
    root.setLevel(logging.DEBUG)
    originals = {}
    for backend in (SqliteStore, RedisStore):
        for name in ("save_case_with_delivery", "change_case", "replace_roster", "merge_roster"):
            originals[(backend, name)] = getattr(backend, name)
            setattr(backend, name, _noting(scan, getattr(backend, name)))
    yield scan
    for (backend, name), method in originals.items():
        setattr(backend, name, method)
    root.removeHandler(scan)
    root.setLevel(previous_level)
    groups = [body for connector in every_connector() for body in connector.group_messages()]
    groups += [text for api in every_wecom_api() for text in wecom_group_texts(api)]
    leaks = scan.leaks(groups)
    if any(item.nodeid.startswith("tests/handlers/test_concerns.py") for item in request.session.items):
        assert scan.report_texts, "the privacy scan saw no reports: it would pass without checking anything"
    if any(item.nodeid.startswith("tests/bots/wecom/test_events.py") for item in request.session.items):
        assert scan.student_names, "the privacy scan saw no student names: it would check nothing"
        assert groups, "the privacy scan saw no group messages: it would check nothing"
    assert not leaks, "privacy leak:\n" + "\n".join(leaks[:20])


def wecom_group_texts(api: FakeWecomApi) -> list[dict[str, Any]]:
    """What went to WeCom groups: posts (appchat, robots) and texts sent to staff to forward."""
    catalog = Catalog.load()
    prefixes = tuple(catalog.entry("wecom.forward_to_group", locale).text.split("{group}")[0] for locale in LOCALES)
    forwarded = [body for body in api.sent_messages() if str((body.get("text") or {}).get("content", "")).startswith(prefixes)]
    return [body for _, body in api.group_posts()] + forwarded


def _noting(scan: PrivacyScan, method: Any) -> Any:
    async def wrapper(self: Any, *args: Any, **kwargs: Any) -> Any:
        for value in args:
            if isinstance(value, Case):
                scan.note(value.text)
            elif method.__name__.endswith("_roster"):
                for person in value if isinstance(value, list | tuple) else ():
                    if isinstance(person, Person) and person.role is Role.STUDENT:
                        scan.note_student(person.name)
        result = await method(self, *args, **kwargs)
        if isinstance(result, Moved):  # a case changed: words added to a report are noted too
            scan.note(result.case.text)
        return result

    return wrapper


@pytest.fixture
async def connector() -> AsyncIterator[FakeBotConnector]:
    """A fake Bot Connector on a free loopback port."""
    fake = FakeBotConnector()
    await fake.start()
    yield fake
    await fake.stop()


@pytest.fixture(scope="session")
def redis_server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[RedisServer]:
    server = RedisServer(tmp_path_factory.mktemp("redis"))
    server.start()
    yield server
    server.stop()


@pytest.fixture
def clock() -> ManualClock:
    return ManualClock(START)


async def empty_redis(server: RedisServer) -> None:
    """Empty the session's redis-server, restarting it first if an earlier test stopped it."""
    client = aioredis.Redis.from_url(server.url)
    try:
        await client.flushall()
    except aioredis.ConnectionError:
        server.start()
        await client.flushall()
    finally:
        await client.aclose()


class StoreFactory:
    """Opens (and reopens, for restart tests) the backend under test on the same data."""

    def __init__(self, backend: str, sqlite_path: Path, redis_server: RedisServer, clock: ManualClock) -> None:
        self.backend = backend
        self.sqlite_path = sqlite_path
        self.redis_server = redis_server
        self.clock = clock
        self.opened: list[Store] = []

    def restart_server(self) -> None:
        """Stop and start the database server itself (Redis); SQLite has none to restart."""
        if self.backend == "redis":
            self.redis_server.restart()

    async def open(self) -> Store:
        store: Store
        if self.backend == "sqlite":
            store = await SqliteStore.open(self.sqlite_path, clock=self.clock)
        else:
            store = await RedisStore.from_url(self.redis_server.url, clock=self.clock)
        self.opened.append(store)
        return store


@pytest.fixture(params=["sqlite", "redis"])
async def store_factory(
    request: pytest.FixtureRequest, tmp_path: Path, clock: ManualClock, redis_server: RedisServer
) -> AsyncIterator[StoreFactory]:
    """The backend under test: every contract test runs once on SQLite and once on Redis."""
    if request.param == "redis":
        await empty_redis(redis_server)
    factory = StoreFactory(request.param, tmp_path / "esafety.db", redis_server, clock)
    yield factory
    for store in factory.opened:
        with contextlib.suppress(Exception):
            await store.close()


@pytest.fixture
async def store(store_factory: StoreFactory) -> Store:
    return await store_factory.open()
