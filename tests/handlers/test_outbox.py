"""The outbox: messages queued once per key, delivered by the worker, never dropped."""

from __future__ import annotations

import asyncio
from dataclasses import dataclass
from datetime import timedelta

import pytest

from bots.waiting import eventually
from handlers.duties import Deps
from handlers.messenger import Button, Message, Sent, Unreachable
from handlers.outbox import SEND, Envelope, deliver, envelope, failure_reason, outbox_item, receipt, send_durably
from handlers.runtime.retry import RetryPolicy
from handlers.runtime.worker import DueWorker
from state.clock import ManualClock
from state.due import OUTBOX_LANES, DueItem, Queue
from state.models import GroupKey, Person, PersonRef, Role
from tests.conftest import START
from tests.fakes.recording_messenger import RecordingMessenger

GROUP = GroupKey("teams", "19:a")
LEAD = PersonRef("teams", "lead")
CARD = Message(key="case.card_title", fields={"reference": "C-2026-000001"}, lines=(("case.next_step", {}),),
               buttons=(Button(label_key="case.ack_button", verb="ack", data={"case": "C-2026-000001"}),))


def worker(deps: Deps, attempts: int = 3) -> DueWorker:
    async def handle(item: DueItem) -> None:
        await deliver(item, deps)

    return DueWorker(deps.store, Queue.OUTBOX, {SEND: handle}, retry=RetryPolicy(max_attempts=attempts, base_seconds=1, cap_seconds=1))


async def test_queued_once_per_key_and_delivered_intact(deps: Deps, messenger: RecordingMessenger) -> None:
    """The same key twice queues one message; the card arrives with its lines and buttons."""
    assert await send_durably(deps, LEAD, CARD, key="C-2026-000001|dsl|teams:lead") is True
    assert await send_durably(deps, LEAD, CARD, key="C-2026-000001|dsl|teams:lead") is False
    await send_durably(deps, GROUP, Message(key="supervision.group_resolved"), key="resolved:19:a")
    assert await worker(deps).run_once() == 2
    assert messenger.to_people == [(LEAD, CARD)]
    assert messenger.to_groups == [(GROUP, Message(key="supervision.group_resolved"))]


@dataclass
class FlakyMessenger(RecordingMessenger):
    failures: int = 0

    async def send_to_person(self, person: PersonRef, message: Message) -> Sent:
        if self.failures:
            self.failures -= 1
            raise ConnectionError("connector down")
        return await super().send_to_person(person, message)


async def test_failures_are_retried_then_parked_with_the_error(deps: Deps, clock: ManualClock) -> None:
    """A failing channel is retried; when it keeps failing the entry is parked, error recorded."""
    flaky = FlakyMessenger(failures=10)
    deps = Deps(store=deps.store, messenger=flaky, clock=clock, catalog=deps.catalog)
    await send_durably(deps, LEAD, CARD, key="k1")
    for _ in range(3):
        await worker(deps).run_once()
        clock.advance(2)
    (parked,) = await deps.store.list_parked(Queue.OUTBOX)
    assert (parked.item_id, parked.attempts, parked.last_error) == ("k1", 3, "ConnectionError: connector down")


async def test_an_unreachable_person_waits_is_tried_again_and_admins_are_told_once(deps: Deps, clock: ManualClock) -> None:
    """Someone the channel cannot reach yet: never parked for it, whatever the attempts; the
    message waits with the reason and is tried again with back-off (5 min, 15 min, …), and waiting
    is never counted as a failed attempt;
    audited, and each admin gets one alert. Once they can be reached, it is delivered."""
    admin = Person(channel="teams", user_id="admin1", name="A", role=Role.ADMIN)
    await deps.store.merge_roster([admin, Person(channel="teams", user_id="lead", name="Lee Lead", role=Role.DSL)])
    flaky = FlakyMessenger(unreachable={LEAD})
    deps = Deps(store=deps.store, messenger=flaky, clock=clock, catalog=deps.catalog)
    await send_durably(deps, LEAD, CARD, key="k1")
    for wait in (300, 300, 300, 900, 900):  # every 5 minutes in its first 15, then every 15
        await worker(deps, attempts=1).run_once()
        (waiting,) = await deps.store.list_undelivered(Queue.OUTBOX)
        assert (waiting.item.item_id, waiting.parked, waiting.next_attempt) == ("k1", False, clock.now() + timedelta(seconds=wait))
        assert (waiting.item.last_error, waiting.item.attempts) == ("unreachable: teams:lead never installed the bot", 0)
        await worker(deps).run_once()  # the admin's alert, the first time only
        clock.advance(wait)
    ((told, alert),) = flaky.to_people
    assert (told, alert.key) == (admin.ref, "admin.unreachable_staff")
    assert deps.catalog.value(alert.fields["person"]) == "Lee Lead (safeguarding lead)"  # by name, never an id
    flaky.unreachable.clear()  # they installed the bot
    clock.advance(3 * 3600)
    await worker(deps).run_once()
    assert flaky.to_people[-1] == (LEAD, CARD)
    assert await deps.store.list_undelivered(Queue.OUTBOX) == []
    assert [e.record.action for e in await deps.store.read_audit()] == ["delivery.unreachable"]


async def test_a_case_card_leaves_a_receipt(deps: Deps) -> None:
    """After delivery a case card's receipt (channel, id) is kept under its outbox key, to be
    updated when the case is acknowledged; a plain message leaves none (one write fewer)."""
    await send_durably(deps, LEAD, CARD, key="k1", case="C-2026-000001", keep_receipt=True)
    await send_durably(deps, LEAD, Message(key="report.prompt"), key="k2", case="C-2026-000001")
    await worker(deps).run_once()
    assert await receipt(deps, "k1") == Sent(channel="teams", message_id="p1")
    assert await receipt(deps, "k2") is None
    assert await receipt(deps, "never-sent") is None


async def test_a_recipient_on_an_off_channel_is_unreachable(deps: Deps, clock: ManualClock) -> None:
    """A lead on a channel that is not configured: waits, and the admins are told at once."""
    from bots.router import MessengerByChannel

    admin = Person(channel="teams", user_id="admin1", name="A", role=Role.ADMIN)
    await deps.store.merge_roster([admin])
    teams_only = RecordingMessenger()
    deps = Deps(store=deps.store, messenger=MessengerByChannel({"teams": teams_only}), clock=clock, catalog=deps.catalog)
    await send_durably(deps, PersonRef("wecom", "lead"), CARD, key="k1")
    await worker(deps).run_once()
    await worker(deps).run_once()
    assert [(u.item.item_id, u.item.last_error) for u in await deps.store.list_undelivered(Queue.OUTBOX)] == [
        ("k1", "unreachable: the wecom channel is off")]
    ((told, alert),) = teams_only.to_people
    assert (told, alert.key) == (admin.ref, "admin.unreachable_staff")
    assert deps.catalog.value(alert.fields["person"]) == "someone not on the roster"


async def test_a_key_already_delivered_is_not_sent_again(deps: Deps, messenger: RecordingMessenger) -> None:
    """Idempotency outlives delivery: the same key after the message went out sends nothing."""
    assert await send_durably(deps, LEAD, CARD, key="k1") is True
    await worker(deps).run_once()
    assert await send_durably(deps, LEAD, CARD, key="k1") is False
    await worker(deps).run_once()
    assert len(messenger.to_people) == 1


def test_values_that_carry_a_report_never_print_it() -> None:
    """A report, a message to a lead and its outbox entry keep the words out of repr (logs, tracebacks)."""
    from datetime import UTC, datetime

    from handlers.concerns import Report
    from handlers.outbox import outbox_item

    words = Message(key="case.report_text", fields={"text": "SECRET-WORDS"}, lines=(("case.report_text", {"text": "SECRET-WORDS"}),))
    report = Report(reporter=Person(channel="teams", user_id="s", name="Ann", role=Role.STUDENT), text="SECRET-WORDS", origin="e1")
    for value in (report, words, outbox_item(LEAD, words, key="k", due_at=datetime.now(UTC))):
        assert "SECRET-WORDS" not in repr(value)


async def test_under_a_burst_childrens_replies_pass_a_held_up_leads_messages(deps: Deps, clock: ManualClock) -> None:
    """Forty messages to a lead whose chat is held up (a rate limit), and ten children's
    replies in the first lane: every child hears back while the lead's first message is still
    held up; then the lead's arrive, in order."""
    gate = asyncio.Event()

    @dataclass
    class HeldUp(RecordingMessenger):
        async def send_to_person(self, person: PersonRef, message: Message) -> Sent:
            if person == LEAD:
                await gate.wait()
            return await super().send_to_person(person, message)

    messenger = HeldUp()
    deps = Deps(store=deps.store, messenger=messenger, clock=clock, catalog=deps.catalog)
    for n in range(40):
        await send_durably(deps, LEAD, Message(key="case.card_title", fields={"reference": f"C-2026-{n:06d}"}), key=f"lead-{n:02d}")
    children = [PersonRef("teams", f"child-{n}") for n in range(10)]
    for n, child in enumerate(children):
        await send_durably(deps, child, Message(key="report.prompt"), key=f"reply-{n}", first=True)

    async def handle(item: DueItem) -> None:
        await deliver(item, deps)

    stop = asyncio.Event()
    workers = [asyncio.create_task(DueWorker(deps.store, lane, {SEND: handle}, concurrency=4).run_until(stop, poll_seconds=0.05))
               for lane in OUTBOX_LANES]
    try:
        assert await eventually(lambda: {p for p, _ in messenger.to_people} == set(children), seconds=10)
        assert LEAD not in {p for p, _ in messenger.to_people}
        gate.set()
        assert await eventually(lambda: sum(p == LEAD for p, _ in messenger.to_people) == 40, seconds=10)
        assert [m.fields["reference"] for p, m in messenger.to_people if p == LEAD] == [f"C-2026-{n:06d}" for n in range(40)]
    finally:
        stop.set()
        await asyncio.gather(*workers)


@pytest.mark.parametrize(("error", "reason"), [
    (Unreachable("never installed"), "unreachable"), (TimeoutError(), "timeout"), (ConnectionResetError(), "network"),
    (OSError("no route to host"), "network"), (RuntimeError("403 Forbidden"), "channel_error")])
def test_a_failed_sends_reason_is_one_of_a_few_fixed_words(error: Exception, reason: str) -> None:
    """/metrics labels stay few and never carry an error's own text."""
    assert failure_reason(error) == reason


async def test_an_entry_queued_before_its_envelope_grew_is_still_delivered(deps: Deps, messenger: RecordingMessenger) -> None:
    """A payload stored with only whom and what (as entries were before the case fields) reads
    back with the case fields empty, and is sent as it was."""
    plain = {"to": "person", "recipient": str(LEAD), "message": {"key": "report.prompt", "fields": {}}}
    item = DueItem(queue=Queue.OUTBOX, item_id="old-entry", kind=SEND, due_at=deps.clock.now(), payload=plain, partition=str(LEAD))
    assert envelope(item) == Envelope(to="person", recipient=str(LEAD), message=Message(key="report.prompt"))
    await deps.store.schedule_due(item)
    assert await worker(deps).run_once() == 1
    assert [(person, message.key) for person, message in messenger.to_people] == [(LEAD, "report.prompt")]


def test_a_message_that_is_not_a_cases_stores_no_case_fields() -> None:
    """An instance of the previous version reads it the same during a rolling upgrade."""
    item = outbox_item(LEAD, Message(key="report.prompt"), key="k", due_at=START)
    assert sorted(item.payload) == ["message", "recipient", "to"]
    assert envelope(item).case == ""
