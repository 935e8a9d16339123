"""Teams test harness: the real app and CloudAdapter, a fake Bot Connector, recorded payloads."""

from __future__ import annotations

from collections.abc import AsyncIterator, Mapping, Sequence
from dataclasses import dataclass, replace
from pathlib import Path
from typing import Any

import pytest
from aiohttp.test_utils import TestClient, TestServer

from bots.app import Bot, bootstrap, build_app
from bots.config import load_settings
from bots.teams.channel import TeamsOptions
from bots.teams.fakes.activities import taken_from_inbox, teams_activity
from bots.teams.fakes.bot_connector import FakeBotConnector
from bots.waiting import eventually
from handlers.dispatch import Dispatcher, Route
from handlers.duties import Deps
from handlers.events import Event
from handlers.routes import policy_routes
from state.clock import ManualClock

CLASS_CHAT = "19:class5a@thread.v2"
CLASS_MEMBERS = [
    {"id": "29:teacher", "name": "Ms Teacher", "aadObjectId": "0f5a1c2e-1111-4a4a-9a9a-000000000010", "userRole": "user"},
    {"id": "29:s1", "name": "Amira Example", "aadObjectId": "0f5a1c2e-1111-4a4a-9a9a-000000000001", "userRole": "user"},
    {"id": "29:s2", "name": "Ben Example", "aadObjectId": "0f5a1c2e-1111-4a4a-9a9a-000000000002", "userRole": "user"},
    {"id": "29:s3", "name": "Chloe Example", "userPrincipalName": "Chloe@Example.org", "userRole": "user"},
    {"id": "29:guest", "name": "Visitor", "aadObjectId": "9999", "userRole": "guest"},
]


def payload(name: str, connector: FakeBotConnector, **changes: Any) -> dict[str, Any]:
    """A recorded activity with its serviceUrl pointing at the fake connector."""
    return teams_activity(name, connector.url, **changes)


@dataclass
class TeamsHarness:
    client: TestClient[Any, Any]
    bot: Bot
    connector: FakeBotConnector
    events: list[Event]

    async def post(self, name: str, **changes: Any) -> Any:
        """POST a recorded activity and wait until the inbox worker has taken it (done, or
        failed at least once): the webhook only accepts, the worker does the work."""
        activity = payload(name, self.connector, **changes)
        response = await self.client.post("/api/messages", json=activity)
        if response.status < 300:
            assert await taken_from_inbox(self.bot.store, activity), "the inbox worker never took the activity"
        return response

    async def install_quietly(self) -> None:
        """Install the bot in the class chat and let its own sends (welcome, alerts) finish, then
        forget them: the test's own sends are what it checks."""
        await self.post("install_group")
        assert await eventually(lambda: self.connector.sent_to(CLASS_CHAT), seconds=10), "the welcome never came"
        await self.connector.settled(quiet_seconds=0.5)
        self.connector.received.clear()

    def events_of(self, kind: type[Event]) -> list[Any]:
        return [event for event in self.events if isinstance(event, kind)]


@pytest.fixture
async def connector(connector: FakeBotConnector) -> FakeBotConnector:
    """The shared fake connector, serving the class chat's roster."""
    connector.set_members(CLASS_CHAT, CLASS_MEMBERS)
    return connector


async def start_harness(db: Path, connector: FakeBotConnector, clock: ManualClock, *,
                        extra: Mapping[type[Event], Sequence[Route]] | None = None, **env: str) -> TeamsHarness:
    """The real app on a fresh database; every event is also recorded, and `extra` routes run
    after the policy duties (e.g. a duty that fails on purpose)."""
    settings = load_settings({"ESAFETY_DB": str(db), "ESAFETY_ALLOW_ANONYMOUS": "1", **env})
    bot = await bootstrap(settings, clock=clock, teams_options=TeamsOptions(sleep=clock.sleep))
    events: list[Event] = []

    async def record(event: Event, deps: Deps) -> None:
        events.append(event)

    routes = {kind: [*duties, Route(record), *(extra or {}).get(kind, [])] for kind, duties in policy_routes().items()}
    bot = replace(bot, dispatcher=Dispatcher(routes, bot.deps))
    client: TestClient[Any, Any] = TestClient(TestServer(build_app(bot)))
    await client.start_server()
    return TeamsHarness(client, bot, connector, events)


@pytest.fixture
async def teams(tmp_path: Path, connector: FakeBotConnector, clock: ManualClock) -> AsyncIterator[TeamsHarness]:
    harness = await start_harness(tmp_path / "teams.db", connector, clock)
    yield harness
    await harness.client.close()
