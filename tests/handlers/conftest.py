"""Handler fixtures: the duties' dependencies over the real Store backends."""

from __future__ import annotations

import pytest

from handlers.dispatch import Dispatcher
from handlers.duties import Deps
from handlers.events import GroupJoined, MembersChanged
from handlers.routes import due_work, policy_routes
from handlers.runtime.worker import DueWorker
from policy_text.catalog import Catalog
from state.clock import ManualClock
from state.models import GroupKey, Member, Person, PersonRef, Role
from state.store import Store
from tests.conftest import START
from tests.fakes.recording_messenger import RecordingMessenger


@pytest.fixture
def messenger() -> RecordingMessenger:
    return RecordingMessenger()


@pytest.fixture(scope="session")
def catalog() -> Catalog:
    return Catalog.load()


@pytest.fixture
def deps(store: Store, messenger: RecordingMessenger, clock: ManualClock, catalog: Catalog) -> Deps:
    return Deps(store=store, messenger=messenger, clock=clock, catalog=catalog, school_locale="en", school_timezone="Europe/London")


SCHOOL = [
    Person(channel="teams", user_id="s1", name="Amira Pupil", role=Role.STUDENT, classes=("5A",), consent=True),
    Person(channel="teams", user_id="s2", name="Ben Pupil", role=Role.STUDENT, classes=("5A",), locale="zh_CN"),
    Person(channel="teams", user_id="p1", name="Pat Parent", role=Role.PARENT, classes=("5A",)),
    Person(channel="teams", user_id="t1", name="Tess Teacher", role=Role.TEACHER, classes=("5A",)),
    Person(channel="teams", user_id="a1", name="Adam Admin", role=Role.ADMIN, classes=("5A",)),
    Person(channel="teams", user_id="lead", name="Lee Lead", role=Role.DSL),
    Person(channel="teams", user_id="deputy", name="Dee Deputy", role=Role.DEPUTY_DSL),
    Person(channel="teams", user_id="head", name="Hal Head", role=Role.HEAD),
]


def ref(user_id: str) -> PersonRef:
    return PersonRef("teams", user_id)


@pytest.fixture
async def school(deps: Deps) -> Deps:
    """The duties' dependencies with a small school's roster loaded."""
    await deps.store.merge_roster(SCHOOL)
    return deps


async def drain(deps: Deps) -> int:
    """Run the real workers (outbox and timers) until nothing more is due now."""
    workers = [DueWorker(deps.store, queue, handlers) for queue, handlers in due_work(deps).items()]
    total = 0
    while busy := sum([await worker.run_once() for worker in workers]):
        total += busy
    return total


def keys_to(messenger: RecordingMessenger, who: PersonRef) -> list[str]:
    return [message.key for person, message in messenger.to_people if person == who]


CLASS = GroupKey("teams", "19:class5a")


def members(*user_ids: str, guest: str = "") -> tuple[Member, ...]:
    extra = (Member(user_id="", display_name=guest, platform_id="29:guest", platform_guest=True),) if guest else ()
    return tuple(Member(user_id=u, platform_id=f"29:{u}") for u in user_ids) + extra


async def join(deps: Deps, *user_ids: str, guest: str = "") -> None:
    dispatcher = Dispatcher(policy_routes(), deps)
    await dispatcher.dispatch(GroupJoined(event_id="j", at=START, group=CLASS, name="Class 5A", address={"serviceUrl": "x"}))
    await dispatcher.dispatch(MembersChanged(event_id="m", at=START, group=CLASS, added=members(*user_ids, guest=guest), complete=True))
    await drain(deps)
