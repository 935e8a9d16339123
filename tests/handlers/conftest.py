"""Handler fixtures: the duties' dependencies over the real Store backends."""

from __future__ import annotations

import pytest

from handlers.duties import Deps
from policy_text.catalog import Catalog
from state.clock import ManualClock
from state.store import Store
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
