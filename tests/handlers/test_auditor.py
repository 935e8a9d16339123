"""The auditor: late due work is found on the injected clock and the admins are told, once an hour."""

from __future__ import annotations

from dataclasses import replace

import pytest

from handlers.auditor import RETELL_SECONDS, Auditor, describe, late_work
from handlers.concerns import Report, receive_report
from handlers.duties import Deps
from handlers.messenger import Message
from state.due import DueItem, Queue
from state.models import Person, PersonRef, Role
from state.store import Store, StoreUnavailable
from tests.fakes.recording_messenger import RecordingMessenger
from tests.handlers.conftest import SCHOOL, drain, keys_to, ref

MARGIN = 120
TOLD = (ref("a1"), ref("head"))


async def report(deps: Deps) -> str:
    reference = await receive_report(deps, Report(reporter=SCHOOL[0], text="someone keeps messaging me", origin="event-1"))
    assert reference is not None
    return reference


async def test_an_escalation_step_a_stopped_worker_never_took_is_found_and_admins_are_told(
        school: Deps, messenger: RecordingMessenger) -> None:
    """The lead's card went out, then the timers' worker stopped: the deputy's escalation step
    falls due and nobody takes it. Within the margin all is well; past it the auditor finds the
    step and tells the head and the admin team, without a word of the report."""
    auditor = Auditor(school, MARGIN)
    await report(school)
    await drain(school)  # the card reaches the lead; the escalation step waits in the timers
    school.clock.advance(school.cases.ack_timeout_seconds + MARGIN)  # type: ignore[attr-defined]
    assert await auditor.check() == []
    assert [p for p, _ in messenger.to_people if p in TOLD] == []
    school.clock.advance(1)  # type: ignore[attr-defined]
    (late,) = await auditor.check()
    assert (late.queue, late.overdue.count) == (Queue.TIMERS, 1)
    assert late.overdue.oldest is not None
    assert late.overdue.oldest.kind == "case.escalate"
    alerts = [(p, m) for p, m in messenger.to_people if p in TOLD]
    assert alerts == [(who, Message(key="admin.work_overdue", fields={"count": 1, "margin": "2", "minutes": 2, "where": "timers 1"}))
                      for who in TOLD]
    assert "messaging" not in str(alerts)
    (audited,) = [e.record for e in await school.store.read_audit() if e.record.action == "auditor.overdue"]
    assert (audited.outcome, audited.detail) == ("told 2", {"timers": "1"})


async def test_the_same_late_work_is_alerted_once_an_hour(school: Deps, messenger: RecordingMessenger) -> None:
    """Checked every 30 seconds, the same late item is alerted once, then again each hour it
    stays late; once a worker takes it, the auditor finds nothing."""
    auditor = Auditor(school, MARGIN)
    await report(school)  # nothing drained: the child's reply and the lead's card are late
    school.clock.advance(MARGIN + 1)  # type: ignore[attr-defined]
    assert {late.queue for late in await auditor.check()} == {Queue.OUTBOX_FIRST, Queue.OUTBOX}
    for _ in range(10):
        school.clock.advance(30)  # type: ignore[attr-defined]
        await auditor.check()
    assert keys_to(messenger, ref("a1")) == ["admin.work_overdue"]
    school.clock.advance(3_600)  # type: ignore[attr-defined]
    await auditor.check()
    assert keys_to(messenger, ref("a1")) == ["admin.work_overdue"] * 2
    await drain(school)
    assert await auditor.check() == []


async def test_a_backlog_draining_slowly_is_one_alert_not_one_per_check(school: Deps, messenger: RecordingMessenger) -> None:
    """The oldest late item changes as a slow worker takes them one by one: still one alert an
    hour. Once nothing is late, new late work is alerted at once."""
    auditor = Auditor(school, MARGIN)
    for n in range(10):
        await school.store.schedule_due(DueItem(queue=Queue.TIMERS, item_id=f"reminder-{n}", kind="reminder", due_at=school.clock.now()))
        school.clock.advance(1)  # type: ignore[attr-defined]
    school.clock.advance(MARGIN)  # type: ignore[attr-defined]
    for _ in range(6):
        await auditor.check()
        (claim,) = await school.store.claim_due(Queue.TIMERS, limit=1, lease_seconds=30)
        await school.store.finish_due(claim)
        school.clock.advance(30)  # type: ignore[attr-defined]
    assert keys_to(messenger, ref("a1")) == ["admin.work_overdue"]
    for claim in await school.store.claim_due(Queue.TIMERS, limit=10, lease_seconds=30):
        await school.store.finish_due(claim)
    assert await auditor.check() == []
    await school.store.schedule_due(DueItem(queue=Queue.TIMERS, item_id="late-again", kind="reminder", due_at=school.clock.now()))
    school.clock.advance(MARGIN + 1)  # type: ignore[attr-defined]
    await auditor.check()
    assert keys_to(messenger, ref("a1")) == ["admin.work_overdue"] * 2


async def test_a_telling_that_fails_midway_is_tried_again_in_five_minutes(school: Deps, messenger: RecordingMessenger) -> None:
    """The roster cannot be read while telling: nobody heard it, so it is not held for an hour."""
    auditor = Auditor(school, MARGIN)
    await report(school)
    school.clock.advance(MARGIN + 1)  # type: ignore[attr-defined]
    broken = Auditor(replace(school, store=RosterUnreadable(school.store)), MARGIN)  # type: ignore[arg-type]
    with pytest.raises(StoreUnavailable):
        await broken.check()
    school.clock.advance(RETELL_SECONDS)  # type: ignore[attr-defined]
    await auditor.check()
    assert keys_to(messenger, ref("a1")) == ["admin.work_overdue"]


class RosterUnreadable:
    """The Store, except that the roster cannot be read."""

    def __init__(self, store: Store) -> None:
        self._store = store

    def __getattr__(self, name: str) -> object:
        return getattr(self._store, name)

    async def list_people(self, channel: str | None = None) -> list[Person]:
        raise StoreUnavailable("the roster cannot be read")


async def test_with_no_admin_reachable_the_leads_are_told(school: Deps, messenger: RecordingMessenger) -> None:
    """Rather than nobody: when neither the head nor an admin can be reached, the leads hear it."""
    messenger.unreachable |= {person.ref for person in SCHOOL if person.role in (Role.ADMIN, Role.HEAD)}
    await report(school)
    school.clock.advance(MARGIN + 1)  # type: ignore[attr-defined]
    await Auditor(school, MARGIN).check()
    assert keys_to(messenger, ref("lead")) == ["admin.work_overdue"]
    assert keys_to(messenger, PersonRef("teams", "deputy")) == []


async def test_the_description_names_queues_and_ages_only(school: Deps) -> None:
    await report(school)
    school.clock.advance(600)  # type: ignore[attr-defined]
    late = await late_work(school.store, school.clock.now(), MARGIN)
    assert describe(late, school.clock.now(), MARGIN) == (
        "3 item(s) of due work overdue by more than 120 s (outbox_first: 1, outbox: 2); the oldest, a message.send in outbox_first, "
        "has waited 10 min: a worker may have stopped")


async def test_when_nobody_can_be_told_it_tries_again_in_five_minutes(school: Deps, messenger: RecordingMessenger) -> None:
    """Every channel down: nobody hears it, so the next try is minutes away, not an hour."""
    messenger.unreachable |= {person.ref for person in SCHOOL}
    auditor = Auditor(school, MARGIN)
    await report(school)
    school.clock.advance(MARGIN + 1)  # type: ignore[attr-defined]
    await auditor.check()
    messenger.unreachable.clear()
    school.clock.advance(240)  # type: ignore[attr-defined]
    await auditor.check()
    assert keys_to(messenger, ref("a1")) == []
    school.clock.advance(60)  # type: ignore[attr-defined]
    await auditor.check()
    assert keys_to(messenger, ref("a1")) == ["admin.work_overdue"]
