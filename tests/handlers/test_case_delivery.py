"""A lead gets the case card before the words it says will follow, even when Teams throttles the card."""

from __future__ import annotations

import logging
from dataclasses import dataclass, replace

import pytest

from handlers.concerns import Report, receive_report
from handlers.duties import Deps
from handlers.messenger import Message, Sent
from handlers.runtime.retry import TryAgain
from state.models import PersonRef
from tests.fakes.recording_messenger import RecordingMessenger
from tests.handlers.conftest import SCHOOL, drain, keys_to, ref


@dataclass
class ThrottlesTheFirstCard(RecordingMessenger):
    throttled: int = 0

    async def send_to_person(self, person: PersonRef, message: Message) -> Sent:
        if message.key == "case.card_title" and not self.throttled:
            self.throttled += 1
            raise TryAgain("Teams answered 429", after_seconds=7)
        return await super().send_to_person(person, message)


async def test_the_words_wait_for_a_throttled_card(school: Deps, caplog: pytest.LogCaptureFixture) -> None:
    """The words' wait is routine: it is not a warning every 2 s in the server's log."""
    messenger = ThrottlesTheFirstCard()
    deps = replace(school, messenger=messenger)
    await receive_report(deps, Report(reporter=SCHOOL[0], text="someone keeps messaging me", origin="event-1"))
    await drain(deps)
    assert keys_to(messenger, ref("lead")) == []  # the card waits for Retry-After, and the words wait for the card
    for _ in range(6):
        deps.clock.advance(3)  # type: ignore[attr-defined]
        await drain(deps)
    assert keys_to(messenger, ref("lead")) == ["case.card_title", "case.report_text"]
    assert messenger.throttled == 1
    assert [r.getMessage() for r in caplog.records if r.levelno >= logging.WARNING and "card goes first" in r.getMessage()] == []
