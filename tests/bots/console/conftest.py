"""The console served as `serve` serves it, on a real SQLite Store and a fixed clock, signing in
through the fake identity provider: its real OpenID Connect code talks to a real HTTP server."""

from __future__ import annotations

from collections.abc import AsyncIterator
from dataclasses import dataclass

import pytest
from aiohttp import ClientSession, CookieJar, web
from aiohttp.test_utils import TestServer

from bots.console.app import console_app
from bots.console.context import Operations
from bots.console.doctor import console_findings
from bots.console.fakes.identity_provider import Account, FakeIdentityProvider
from bots.console.settings import ConsoleSettings
from handlers.concerns import Report, receive_report
from handlers.duties import Deps
from policy_text.catalog import Catalog
from state.clock import ManualClock
from state.models import Person, Role
from state.store import Store
from tests.fakes.recording_messenger import RecordingMessenger

CLIENT_ID, CLIENT_SECRET = "console-app", "console-secret-for-tests"
STUDENT = Person(channel="teams", user_id="0000000a-0000-0000-0000-000000000001", name="Amira Pupil", role=Role.STUDENT,
                 classes=("5A",), consent=True)
LEAD = Person(channel="teams", user_id="0000000a-0000-0000-0000-000000000030", name="Lee Lead", role=Role.DSL)
DEPUTY = Person(channel="teams", user_id="dee.deputy@school.example", name="Dee Deputy", role=Role.DEPUTY_DSL)
HEAD = Person(channel="teams", user_id="0000000a-0000-0000-0000-000000000040", name="Hal Head", role=Role.HEAD)
ADMIN = Person(channel="teams", user_id="0000000a-0000-0000-0000-000000000020", name="Adam Admin", role=Role.ADMIN, classes=("5A",))
TEACHER = Person(channel="teams", user_id="0000000a-0000-0000-0000-000000000010", name="Tess Teacher", role=Role.TEACHER,
                 classes=("5A",))
ROSTER = (STUDENT, LEAD, DEPUTY, HEAD, ADMIN, TEACHER)
REPORT_WORDS = "someone in my class keeps sending me horrible messages at night"


def account(person: Person) -> Account:
    """The directory's entry for a roster person (the deputy is on the roster by their UPN)."""
    if "@" in person.user_id:
        return Account(oid="0000000a-0000-0000-0000-0000000000dd", username=person.user_id, name=person.name)
    slug = person.name.lower().replace(" ", ".")
    return Account(oid=person.user_id, username=f"{slug}@school.example", name=person.name, email=f"{slug}@school.example")


STRANGER = Account(oid="0000000a-0000-0000-0000-0000000000ff", username="visitor@elsewhere.example", name="Vic Visitor")


@dataclass
class Console:
    url: str
    deps: Deps
    clock: ManualClock
    idp: FakeIdentityProvider

    async def report(self, origin: str = "r1", text: str = REPORT_WORDS, *, about_adult: bool = False) -> str:
        reference = await receive_report(self.deps, Report(reporter=STUDENT, text=text, origin=origin, about_adult=about_adult))
        assert reference is not None
        return reference

    async def audit(self, prefix: str) -> list[tuple[str, str, str]]:
        return [(e.record.action, e.record.actor, e.record.outcome) for e in await self.deps.store.read_audit()
                if e.record.action.startswith(prefix)]


@pytest.fixture
async def console(store: Store, clock: ManualClock) -> AsyncIterator[Console]:
    """On each Store backend: sessions live in the Store, so they work across instances on Redis."""
    idp = FakeIdentityProvider(client_id=CLIENT_ID, client_secret=CLIENT_SECRET,
                               accounts=[account(p) for p in ROSTER] + [STRANGER], now=lambda: clock.now().timestamp())
    issuer = await idp.start()
    await store.merge_roster(ROSTER)
    deps = Deps(store=store, messenger=RecordingMessenger(), clock=clock, catalog=Catalog.load(), school_timezone="Europe/London")
    settings = ConsoleSettings(issuer=issuer, client_id=CLIENT_ID, client_secret=CLIENT_SECRET, idle_minutes=30)
    app = web.Application()
    # The operations page's doctor here checks the console's own sign-in (the checks `doctor` runs first hand).
    operations = Operations(channels={"teams": "on", "wecom": "off: WECOM_CORP_ID is not set"},
                            doctor=lambda: console_findings(settings, clock))
    app.add_subapp("/console", console_app(deps, settings, operations=operations))
    server = TestServer(app, host="127.0.0.1")
    await server.start_server()
    try:
        yield Console(f"http://localhost:{server.port}", deps, clock, idp)
    finally:
        await server.close()
        await idp.stop()


@pytest.fixture
async def client(console: Console) -> AsyncIterator[ClientSession]:
    """A plain HTTP client whose cookie jar keeps the console's Secure cookie over local http, as a browser does for localhost."""
    jar = CookieJar(unsafe=True, treat_as_secure_origin=[console.url])
    async with ClientSession(base_url=console.url, cookie_jar=jar) as http:
        yield http
