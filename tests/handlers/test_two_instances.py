"""Two bot instances on one Store: every case card is delivered once per recipient."""

from __future__ import annotations

import asyncio
from dataclasses import replace

from handlers.concerns import Report, receive_report
from handlers.duties import Deps
from tests.conftest import StoreFactory
from tests.fakes.recording_messenger import RecordingMessenger
from tests.handlers.conftest import SCHOOL, drain


async def test_two_instances_deliver_each_card_once(school: Deps, store_factory: StoreFactory) -> None:
    """Ten urgent reports, two instances draining the same outbox and timers concurrently:
    each lead and deputy gets each card exactly once between them."""
    other_store = await store_factory.open()
    first, second = RecordingMessenger(), RecordingMessenger()
    one, two = replace(school, messenger=first), replace(school, store=other_store, messenger=second)
    for n in range(10):
        report = Report(reporter=SCHOOL[0], text=f"I am not safe at home, report {n}", origin=f"event-{n}")
        await receive_report(one if n % 2 else two, report)
    await asyncio.gather(drain(one), drain(two))
    cards = [(p, m.fields["reference"]) for p, m in first.to_people + second.to_people if m.key == "case.card_title"]
    assert len(cards) == len(set(cards)) == 20  # 10 cases x (lead + deputy)
