"""The dispatch table: isolated duties, and critical duties that are never swallowed."""

from __future__ import annotations

import logging

import pytest

from handlers.dispatch import Dispatcher, DutyFailed, Route
from handlers.duties import Deps
from handlers.events import DirectMessage, Event, GroupJoined
from state.models import GroupKey, PersonRef
from tests.conftest import START

JOIN = GroupJoined(event_id="evt-1", at=START, group=GroupKey("teams", "19:a"), name="5A")
SECRET = "my uncle hurts me"


async def ran(event: Event, deps: Deps) -> None:
    deps.store  # noqa: B018 - the duty reads its dependencies


async def broken(event: Event, deps: Deps) -> None:
    raise RuntimeError(SECRET)


async def test_one_failing_duty_does_not_stop_the_others(deps: Deps, caplog: pytest.LogCaptureFixture) -> None:
    """A failure is logged with the event id (not the error text) and the next duty still runs."""
    dispatcher = Dispatcher({GroupJoined: [Route(broken), Route(ran)]}, deps)
    with caplog.at_level(logging.DEBUG):
        assert await dispatcher.dispatch(JOIN) == 1
    assert "evt-1" in caplog.text
    assert SECRET not in caplog.text


async def test_critical_duty_failure_is_raised(deps: Deps, caplog: pytest.LogCaptureFixture) -> None:
    """A failing concern duty is an ERROR and raised so the event is retried, never lost."""
    dispatcher = Dispatcher({DirectMessage: [Route(broken, critical=True)]}, deps)
    message = DirectMessage(event_id="evt-2", at=START, sender=PersonRef("teams", "s1"), text=SECRET)
    with pytest.raises(DutyFailed), caplog.at_level(logging.DEBUG):
        await dispatcher.dispatch(message)
    assert any(r.levelno == logging.ERROR and "evt-2" in r.getMessage() for r in caplog.records)
    assert SECRET not in caplog.text
    assert SECRET not in repr(message)


async def test_unrouted_events_do_nothing(deps: Deps) -> None:
    """An event with no row in the table runs no duty."""
    dispatcher = Dispatcher({}, deps)
    assert await dispatcher.dispatch(JOIN) == 0
