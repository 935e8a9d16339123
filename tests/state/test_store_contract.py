"""The Store contract: every test runs once per backend (ids `[sqlite]` and `[redis]`)."""

from __future__ import annotations

import asyncio
from dataclasses import replace
from datetime import date, timedelta

import pytest

from state import case_lifecycle as lifecycle
from state.case_lifecycle import Moved
from state.due import DueItem, Overdue, Queue
from state.effects import NO_EFFECTS, Effects
from state.models import Group, GroupKey, Member, Person, PersonRef, Role, Supervision
from state.records import AuditRecord, Case, CaseState, CaseStep, Lesson, Schedule, SchoolDays, Urgency
from state.store import Store, UnknownCase
from tests.conftest import START, StoreFactory

ALICE = Person(channel="teams", user_id="aad-alice", name="Alice Pupil", role=Role.STUDENT, classes=("5A",), consent=True)
BOB = Person(channel="teams", user_id="aad-bob", name="Bob Pupil", role=Role.STUDENT, classes=("5A", "5B"))
LEAD = Person(channel="wecom", user_id="lead01", name="Lee Lead", role=Role.DSL, locale="zh_CN")
CLASS_5A = GroupKey("teams", "19:class5a@thread.v2")


def group(key: GroupKey = CLASS_5A, name: str = "5A maths") -> Group:
    return Group(key=key, name=name, joined_at=START, address={"serviceUrl": "http://x/", "conversation": {"id": key.conversation_id}})


def due(item_id: str, after: float = 0, queue: Queue = Queue.TIMERS) -> DueItem:
    return DueItem(queue=queue, item_id=item_id, kind="test", due_at=START + timedelta(seconds=after), payload={"n": item_id})


def case(reference: str, text: str = "someone is bullying me") -> Case:
    return Case(reference=reference, reporter=ALICE.ref, reporter_role=Role.STUDENT, received_at=START, text=text, group=CLASS_5A)


def audit(action: str) -> AuditRecord:
    return AuditRecord(at=START, action=action, actor="system", group=str(CLASS_5A), clause="000 §5")


class TestRoster:
    async def test_replace_reports_added_updated_and_removed(self, store: Store) -> None:
        """An import replaces its channels' roster and says who joined, changed and left."""
        await store.replace_roster({"teams", "wecom"}, [ALICE, BOB, LEAD])
        change = await store.replace_roster({"teams"}, [Person(**{**ALICE.__dict__, "consent": False})])
        assert change.added == ()
        assert change.updated == ("teams:aad-alice",)
        assert change.removed == ("teams:aad-bob",)
        assert [p.user_id for p in await store.list_people()] == ["aad-alice", "lead01"]

    async def test_merge_adds_and_updates_only(self, store: Store) -> None:
        """`--merge` never removes anyone."""
        await store.replace_roster({"teams"}, [ALICE])
        change = await store.merge_roster([BOB])
        assert change.added == ("teams:aad-bob",)
        assert change.removed == ()
        assert len(await store.list_people("teams")) == 2

    async def test_lookup_ignores_case_of_teams_ids(self, store: Store) -> None:
        """Entra ids and UPNs match whatever case the platform sends them in."""
        await store.merge_roster([ALICE])
        found = await store.get_person("teams", "AAD-Alice")
        assert found == ALICE
        assert await store.get_person("teams", "nobody") is None

    async def test_person_address_round_trip(self, store: Store) -> None:
        """A staff member's private conversation reference is kept to reach them later."""
        address = {"conversation": {"id": "a:1"}, "serviceUrl": "http://x/"}
        await store.save_person_address(LEAD.ref, address)
        assert await store.get_person_address(LEAD.ref) == address
        assert await store.get_person_address(PersonRef("teams", "x")) is None


class TestGroups:
    async def test_register_is_idempotent(self, store: Store) -> None:
        """Joining twice (installationUpdate + conversationUpdate) registers the group once."""
        assert await store.register_group(group()) is True
        assert await store.register_group(group(name="renamed")) is False
        stored = await store.get_group(CLASS_5A)
        assert stored is not None
        assert stored.name == "5A maths"

    async def test_save_updates_and_list_orders_by_key(self, store: Store) -> None:
        """Supervision status and class are updated in place; groups list in id order."""
        other = GroupKey("teams", "19:aaa")
        await store.register_group(group())
        await store.register_group(group(other, "other"))
        changed = Group(**{**group().__dict__, "supervision": Supervision.UNSUPERVISED, "supervision_since": START, "class_name": "5A"})
        await store.save_group(changed)
        assert await store.get_group(CLASS_5A) == changed
        assert [g.key for g in await store.list_groups()] == [other, CLASS_5A]

    async def test_calendar_round_trip_and_replace(self, store: Store) -> None:
        """The school calendar is replaced whole; none imported reads as empty."""
        assert await store.get_calendar() == []
        autumn = SchoolDays(kind="term", first=date(2026, 9, 3), last=date(2026, 12, 18), summary="Autumn term")
        half_term = SchoolDays(kind="holiday", first=date(2026, 10, 26), last=date(2026, 10, 30), summary="Half term")
        await store.save_calendar([autumn, half_term])
        assert await store.get_calendar() == [autumn, half_term]
        await store.save_calendar([autumn])
        assert await store.get_calendar() == [autumn]

    async def test_replace_is_a_compare_and_set(self, store: Store) -> None:
        """A check that decided on a stale copy loses to the removal that happened meanwhile."""
        await store.register_group(group())
        seen = await store.get_group(CLASS_5A)
        assert seen is not None
        removed = Group(**{**seen.__dict__, "supervision": Supervision.UNMONITORED})
        assert await store.replace_group(seen, removed) is True
        stale = Group(**{**seen.__dict__, "supervision": Supervision.UNSUPERVISED})
        assert await store.replace_group(seen, stale) is False
        assert await store.get_group(CLASS_5A) == removed
        assert await store.replace_group(group(GroupKey("teams", "19:none")), stale) is False

    async def test_a_compare_and_set_carries_its_effects_or_none(self, store_factory: StoreFactory) -> None:
        """Two checks racing on one group: one compare-and-set wins and writes its alert, timer and
        audit row; the loser writes nothing at all."""
        first, second = await store_factory.open(), await store_factory.open()
        await first.register_group(group())
        seen = await first.get_group(CLASS_5A)
        assert seen is not None
        verdicts = [Group(**{**seen.__dict__, "supervision": Supervision.UNSUPERVISED, "supervision_since": START + timedelta(seconds=n)})
                    for n in (1, 2)]
        effects = [Effects(messages=(due(f"alert-{n}", queue=Queue.OUTBOX),), timers=(due(f"escalate-{n}", 60),),
                           audit=(audit(f"supervision.unsupervised-{n}"),)) for n in (1, 2)]
        won = await asyncio.gather(first.replace_group(seen, verdicts[0], effects[0]), second.replace_group(seen, verdicts[1], effects[1]))
        assert sorted(won) == [False, True]
        winner = won.index(True) + 1
        assert [e.record.action for e in await first.read_audit()] == [f"supervision.unsupervised-{winner}"]
        assert [c.item.item_id for c in await first.claim_due(Queue.OUTBOX, limit=5, lease_seconds=5)] == [f"alert-{winner}"]
        store_factory.clock.advance(60)
        assert [c.item.item_id for c in await first.claim_due(Queue.TIMERS, limit=5, lease_seconds=5)] == [f"escalate-{winner}"]

    async def test_members_round_trip(self, store: Store) -> None:
        """The last roster read of a group is kept for the periodic re-check."""
        members = [Member(user_id="aad-alice", platform_id="29:a"), Member(user_id="", display_name="Guest", platform_guest=True)]
        await store.set_group_members(CLASS_5A, members)
        assert await store.group_members(CLASS_5A) == members
        assert await store.group_members(GroupKey("wecom", "none")) == []


class TestSchedulesAndLessons:
    async def test_schedule_round_trip_and_rotation(self, store: Store) -> None:
        """A group's schedule is stored; its reminder counter advances by one each time."""
        schedule = Schedule(group=CLASS_5A, cron="0 9 * * MON", timezone="Europe/London")
        await store.save_schedule(schedule)
        assert await store.get_schedule(CLASS_5A) == schedule
        assert await store.list_schedules() == [schedule]
        assert [await store.advance_rotation(CLASS_5A) for _ in range(3)] == [0, 1, 2]

    async def test_one_active_lesson_per_group(self, store: Store) -> None:
        """A second `lesson start` while one runs is refused; ending frees the group."""
        first = Lesson(lesson_id="L1", group=CLASS_5A, started_by=PersonRef("teams", "t1"), started_at=START)
        assert await store.start_lesson(first) is True
        assert await store.start_lesson(Lesson(**{**first.__dict__, "lesson_id": "L2"})) is False
        ended = Lesson(**{**first.__dict__, "ended_at": START + timedelta(hours=1), "present": ("aad-alice",)})
        await store.save_lesson(ended)
        assert await store.active_lesson(CLASS_5A) is None
        assert await store.list_lessons() == [ended]


class TestCases:
    async def test_references_are_sequential_per_year(self, store: Store) -> None:
        """References are C-YYYY-NNNNNN, counting from 1 each year."""
        assert await store.next_case_reference(2026) == "C-2026-000001"
        assert await store.next_case_reference(2026) == "C-2026-000002"
        assert await store.next_case_reference(2027) == "C-2027-000001"

    async def test_concurrent_references_never_repeat(self, store_factory: StoreFactory) -> None:
        """Two instances taking references at once get distinct ones."""
        first, second = await store_factory.open(), await store_factory.open()
        refs = await asyncio.gather(*(s.next_case_reference(2026) for s in (first, second) for _ in range(10)))
        assert len(set(refs)) == 20

    async def test_case_and_delivery_are_written_together(self, store: Store) -> None:
        """The case and its outbox entry and timer are all there after one write."""
        outbox, timer = due("C-2026-000001|dsl", queue=Queue.OUTBOX), due("C-2026-000001|escalate", 900)
        received = audit("report.received")
        stored = await store.save_case_with_delivery(case("C-2026-000001"), Effects(messages=(outbox,), timers=(timer,), audit=(received,)),
                                                     origin="event-1")
        assert stored == "C-2026-000001"
        assert await store.get_case("c-2026-000001") == case("C-2026-000001")
        assert await store.get_due(Queue.OUTBOX, outbox.item_id) == outbox
        assert await store.get_due(Queue.TIMERS, timer.item_id) == timer
        assert [e.record for e in await store.read_audit()] == [received]
        assert await store.case_reference_for("event-1") == "C-2026-000001"

    async def test_a_case_is_made_once_per_event(self, store_factory: StoreFactory) -> None:
        """The same report retried (or taken by two instances) makes one case: the second write
        finds the first case's reference and writes nothing, not even its effects."""
        first, second = await store_factory.open(), await store_factory.open()
        effects = Effects(messages=(due("reply", queue=Queue.OUTBOX),), audit=(audit("report.received"),))
        made = await asyncio.gather(first.save_case_with_delivery(case("C-2026-000001"), effects, origin="event-1"),
                                    second.save_case_with_delivery(case("C-2026-000002"), effects, origin="event-1"))
        assert len(set(made)) == 1
        assert [c.reference for c in await first.list_cases()] == [made[0]]
        assert len(await first.read_audit()) == 1
        assert await first.case_reference_for("event-2") is None

    async def test_acknowledge_happens_once(self, store_factory: StoreFactory) -> None:
        """Two acknowledgements racing (a double click, two instances): exactly one wins."""
        first, second = await store_factory.open(), await store_factory.open()
        await first.save_case_with_delivery(case("C-2026-000001"), NO_EFFECTS, origin="e1")
        steps = [CaseStep(at=START, action="acknowledged", actor=who) for who in ("teams:lead", "wecom:lead")]
        results = await asyncio.gather(
            *(s.change_case("C-2026-000001", lifecycle.acknowledge(step))
              for s, step in zip((first, second), steps, strict=True)), return_exceptions=True
        )
        winners = [r.case for r in results if isinstance(r, Moved)]
        assert len(winners) == 1
        assert [type(r) for r in results if not isinstance(r, Moved)] == [lifecycle.AlreadyAcknowledged]
        stored = await first.get_case("C-2026-000001")
        assert stored is not None
        assert stored.state is CaseState.ACKNOWLEDGED
        assert stored.acknowledged_by == winners[0].acknowledged_by
        assert len(stored.steps) == 1

    async def test_steps_and_text_additions(self, store: Store) -> None:
        """Later messages join the case text; every step joins the chronology."""
        await store.save_case_with_delivery(case("C-2026-000001"), NO_EFFECTS, origin="e1")
        await store.change_case("C-2026-000001", lifecycle.deliver(CaseStep(at=START, action="delivered", actor="teams:lead")))
        await store.change_case("c-2026-000001", lifecycle.add_text("it happened again", CaseStep(at=START, action="text_added")))
        stored = await store.get_case("C-2026-000001")
        assert stored is not None
        assert stored.text == "someone is bullying me\nit happened again"
        assert [s.action for s in stored.steps] == ["delivered", "text_added"]

    async def test_a_case_change_carries_its_effects_or_is_refused(self, store: Store) -> None:
        """The effects of a case change are computed from the new case and written with it; a
        change that does not apply is refused and writes nothing. Disarming a timer is one of the effects."""
        await store.save_case_with_delivery(case("C-2026-000001"), Effects(timers=(due("C-2026-000001|escalate|2", 900),)), origin="e1")
        acknowledged = CaseStep(at=START, action="acknowledged", actor="teams:lead")

        def effects(moved: Moved) -> Effects:
            return Effects(disarmed=("C-2026-000001|escalate|2",), audit=(audit(f"case.{moved.case.state.value}"),))

        acknowledge = lifecycle.acknowledge(acknowledged)
        moved = await store.change_case("C-2026-000001", acknowledge, effects)
        assert moved.case.acknowledged_by == "teams:lead"
        with pytest.raises(lifecycle.AlreadyDone):
            await store.change_case("C-2026-000001", acknowledge, effects)
        assert [e.record.action for e in await store.read_audit()] == ["case.acknowledged"]
        assert await store.get_due(Queue.TIMERS, "C-2026-000001|escalate|2") is None

    async def test_unknown_case_is_an_error(self, store: Store) -> None:
        """Changing a case that does not exist fails loudly."""
        with pytest.raises(UnknownCase):
            await store.change_case("C-2026-999999", lifecycle.deliver(CaseStep(at=START, action="delivered")))

    async def test_list_filters_by_state(self, store: Store) -> None:
        """Open cases can be listed apart from closed ones, oldest first."""
        for n in (1, 2):
            await store.save_case_with_delivery(case(f"C-2026-00000{n}"), NO_EFFECTS, origin=f"e{n}")
        closing = CaseStep(at=START, action="closed")
        await store.change_case("C-2026-000001", lifecycle.close(closing))
        assert [c.reference for c in await store.list_cases({CaseState.NEW})] == ["C-2026-000002"]
        assert len(await store.list_cases()) == 2

    async def test_case_text_stays_out_of_repr(self) -> None:
        """A case printed into a log or traceback never shows the child's words."""
        assert "bullying" not in repr(case("C-2026-000001"))


class TestDueWork:
    async def test_claims_only_due_items_in_order(self, store: Store, store_factory: StoreFactory) -> None:
        """Items due now are claimed earliest first; later ones wait."""
        for item in (due("b", 0), due("a", 0), due("late", 60)):
            assert await store.schedule_due(item) is True
        assert await store.schedule_due(due("a", 30)) is False
        claims = await store.claim_due(Queue.TIMERS, limit=10, lease_seconds=300)
        assert [c.item.item_id for c in claims] == ["a", "b"]
        store_factory.clock.advance(60)
        assert [c.item.item_id for c in await store.claim_due(Queue.TIMERS, limit=10, lease_seconds=30)] == ["late"]

    async def test_two_claimers_one_winner(self, store_factory: StoreFactory) -> None:
        """Two instances claiming at once never both get the same item."""
        first, second = await store_factory.open(), await store_factory.open()
        for n in range(50):
            await first.schedule_due(due(f"item-{n:02d}"))
        batches = await asyncio.gather(*(s.claim_due(Queue.TIMERS, limit=7, lease_seconds=60) for s in (first, second) * 5))
        claimed = [c.item.item_id for batch in batches for c in batch]
        assert len(claimed) == len(set(claimed)) == 50

    async def test_lease_expiry_hands_item_on(self, store: Store, store_factory: StoreFactory) -> None:
        """An instance that dies holding a lease does not lose the item: it is claimable again."""
        await store.schedule_due(due("x"))
        stale = (await store.claim_due(Queue.TIMERS, limit=1, lease_seconds=30))[0]
        assert await store.claim_due(Queue.TIMERS, limit=1, lease_seconds=30) == []
        store_factory.clock.advance(31)
        fresh = (await store.claim_due(Queue.TIMERS, limit=1, lease_seconds=30))[0]
        assert await store.finish_due(stale) is False
        assert await store.finish_due(fresh) is True
        assert await store.get_due(Queue.TIMERS, "x") is None

    async def test_a_stopped_instances_leases_are_taken_over_at_once(self, store: Store, store_factory: StoreFactory) -> None:
        """While its holder's heartbeat goes on, a leased item stays with it; once the heartbeat
        has stopped, another instance takes it at once, long before the lease runs out; the old
        holder can no longer settle it."""
        await store.heartbeat("a", alive_seconds=15)
        await store.heartbeat("b", alive_seconds=15)
        await store.schedule_due(due("x"))
        (held,) = await store.claim_due(Queue.TIMERS, limit=5, lease_seconds=300, holder="a")
        assert await store.claim_due(Queue.TIMERS, limit=5, lease_seconds=300, holder="b") == []
        store_factory.clock.advance(10)
        await store.heartbeat("a", alive_seconds=15)  # a still beats: nothing is taken
        store_factory.clock.advance(10)
        assert await store.claim_due(Queue.TIMERS, limit=5, lease_seconds=300, holder="b") == []
        store_factory.clock.advance(6)  # a's last beat was 16 s ago
        (taken,) = await store.claim_due(Queue.TIMERS, limit=5, lease_seconds=300, holder="b")
        assert taken.item.item_id == "x"
        assert await store.finish_due(held) is False
        assert await store.finish_due(taken) is True

    async def test_a_released_item_keeps_its_place(self, store: Store, store_factory: StoreFactory) -> None:
        """Given back untouched (its recipient busy), an item keeps its own due time: a
        recipient's messages are claimed again in their order, with no attempt counted."""
        for item_id in ("b", "c"):
            await store.schedule_due(due(item_id))
        store_factory.clock.advance(5)
        claims = {c.item.item_id: c for c in await store.claim_due(Queue.TIMERS, limit=5, lease_seconds=60)}
        await store.release_due(claims["c"])
        await store.release_due(claims["b"])
        again = await store.claim_due(Queue.TIMERS, limit=5, lease_seconds=60)
        assert [(c.item.item_id, c.item.attempts) for c in again] == [("b", 0), ("c", 0)]

    async def test_a_graceful_stop_frees_its_leases(self, store: Store) -> None:
        await store.heartbeat("a", alive_seconds=15)
        await store.schedule_due(due("x"))
        await store.claim_due(Queue.TIMERS, limit=5, lease_seconds=300, holder="a")
        await store.heartbeat("a", alive_seconds=0)
        assert [c.item.item_id for c in await store.claim_due(Queue.TIMERS, limit=5, lease_seconds=300, holder="b")] == ["x"]

    async def test_retry_counts_attempts_and_waits(self, store: Store, store_factory: StoreFactory) -> None:
        """A failed send comes back later with the error recorded."""
        await store.schedule_due(due("x", queue=Queue.OUTBOX))
        claim = (await store.claim_due(Queue.OUTBOX, limit=1, lease_seconds=30))[0]
        assert await store.retry_due(claim, delay_seconds=10, error="429 Too Many Requests") is True
        assert await store.claim_due(Queue.OUTBOX, limit=1, lease_seconds=30) == []
        store_factory.clock.advance(10)
        again = (await store.claim_due(Queue.OUTBOX, limit=1, lease_seconds=30))[0]
        assert (again.item.attempts, again.item.last_error) == (1, "429 Too Many Requests")

    async def test_parked_items_are_kept_not_dropped(self, store: Store) -> None:
        """A send that finally fails is parked with its error, never silently dropped."""
        await store.schedule_due(due("x", queue=Queue.OUTBOX))
        claim = (await store.claim_due(Queue.OUTBOX, limit=1, lease_seconds=30))[0]
        assert await store.park_due(claim, error="403 bot not installed") is True
        parked = await store.list_parked(Queue.OUTBOX)
        assert [(p.item_id, p.last_error) for p in parked] == [("x", "403 bot not installed")]
        assert await store.claim_due(Queue.OUTBOX, limit=1, lease_seconds=0) == []
        assert await store.schedule_due(due("x", queue=Queue.OUTBOX)) is False

    async def test_undelivered_items_are_listed_and_redriven(self, store: Store, store_factory: StoreFactory) -> None:
        """What failed is listed (parked, or waiting with its next attempt) and can be made due
        now, by id or by recipient; fresh items and items in hand are neither."""
        for item_id, recipient in (("parked", "teams:lead"), ("waiting", "teams:lead"), ("other", "teams:head"), ("fresh", "teams:lead"),
                                   ("held", "teams:lead")):
            await store.schedule_due(replace(due(item_id, queue=Queue.OUTBOX), partition=recipient))
        claims = {c.item.item_id: c for c in await store.claim_due(Queue.OUTBOX, limit=5, lease_seconds=30)}
        await store.park_due(claims["parked"], error="unreachable: never installed")
        await store.retry_due(claims["waiting"], delay_seconds=600, error="unreachable: never installed")
        await store.retry_due(claims["other"], delay_seconds=600, error="403")
        await store.retry_due(claims["fresh"], delay_seconds=0, error="")
        listed = await store.list_undelivered(Queue.OUTBOX)
        assert [(u.item.item_id, u.parked, u.item.last_error) for u in listed] == [
            ("other", False, "403"), ("parked", True, "unreachable: never installed"), ("waiting", False, "unreachable: never installed")]
        assert listed[2].next_attempt == store_factory.clock.now() + timedelta(seconds=600)
        assert await store.redrive_due(Queue.OUTBOX, partitions=["teams:lead"]) == 2  # not "held" (in hand), not "fresh"
        due_now = {c.item.item_id for c in await store.claim_due(Queue.OUTBOX, limit=10, lease_seconds=30)}
        assert due_now == {"parked", "waiting", "fresh"}
        assert await store.list_parked(Queue.OUTBOX) == []
        assert await store.redrive_due(Queue.OUTBOX, item_ids=["other"]) == 1
        assert [c.item.item_id for c in await store.claim_due(Queue.OUTBOX, limit=10, lease_seconds=30)] == ["other"]

    async def test_depth_counts_waiting_held_and_parked_items(self, store: Store) -> None:
        """An outbox's depth is everything it holds, whatever each item's state."""
        assert await store.due_depth(Queue.OUTBOX) == 0
        for item_id in ("a", "b", "c"):
            await store.schedule_due(due(item_id, queue=Queue.OUTBOX))
        await store.schedule_due(due("timer"))
        held, parked, _ = await store.claim_due(Queue.OUTBOX, limit=3, lease_seconds=30)
        await store.park_due(parked, error="403")
        assert await store.due_depth(Queue.OUTBOX) == 3
        await store.finish_due(held)
        assert (await store.due_depth(Queue.OUTBOX), await store.due_depth(Queue.TIMERS)) == (2, 1)

    async def test_overdue_is_late_work_nobody_holds(self, store: Store, store_factory: StoreFactory) -> None:
        """Late work: due before the cutoff and not in hand. An item in hand is late only once its
        lease ran out; a parked item or one waiting for its next attempt is not late."""
        clock = store_factory.clock
        for item_id, after in (("old", 0), ("older", -60), ("future", 600), ("held", -120), ("parked", -120), ("waiting", -120)):
            await store.schedule_due(due(item_id, after, queue=Queue.OUTBOX))
        assert await store.overdue(Queue.OUTBOX, due_before=START - timedelta(seconds=200)) == Overdue()
        claims = {c.item.item_id: c for c in await store.claim_due(Queue.OUTBOX, limit=3, lease_seconds=300)}
        assert set(claims) == {"held", "parked", "waiting"}
        await store.park_due(claims["parked"], error="403")
        await store.retry_due(claims["waiting"], delay_seconds=60, error="timeout")
        late = await store.overdue(Queue.OUTBOX, due_before=clock.now())
        assert (late.count, late.oldest and late.oldest.item_id, late.since) == (1, "older", START - timedelta(seconds=60))
        clock.advance(400)  # the lease of "held" ran out 100 s ago; "waiting" is due again since 340 s
        late = await store.overdue(Queue.OUTBOX, due_before=clock.now() - timedelta(seconds=90))
        assert (late.count, late.oldest and late.oldest.item_id) == (4, "older")
        assert await store.overdue(Queue.TIMERS, due_before=clock.now()) == Overdue()

    async def test_work_waiting_behind_its_recipients_message_in_hand_is_not_late(self, store: Store, store_factory: StoreFactory) -> None:
        """A message given back because its recipient's previous one is being sent keeps its old
        due time, but it is waiting its turn, not late; once the recipient is free, it is late."""
        clock = store_factory.clock
        for item_id in ("first", "second"):
            await store.schedule_due(replace(due(item_id, queue=Queue.OUTBOX), partition="teams:lead"))
        await store.schedule_due(replace(due("other", queue=Queue.OUTBOX), partition="teams:head"))
        claims = {c.item.item_id: c for c in await store.claim_due(Queue.OUTBOX, limit=3, lease_seconds=600)}
        await store.release_due(claims["second"])
        await store.release_due(claims["other"])
        clock.advance(300)
        late = await store.overdue(Queue.OUTBOX, due_before=clock.now() - timedelta(seconds=120))
        assert (late.count, late.oldest and late.oldest.item_id) == (1, "other")
        await store.finish_due(claims["first"])
        late = await store.overdue(Queue.OUTBOX, due_before=clock.now() - timedelta(seconds=120))
        assert (late.count, late.oldest and late.oldest.item_id) == (2, "other")

    async def test_tallies_add_up_across_instances(self, store_factory: StoreFactory) -> None:
        """Each instance adds its counts; every instance reads the same totals."""
        first, second = await store_factory.open(), await store_factory.open()
        assert await first.read_tallies() == {}
        await first.add_tallies({"refused|teams": 2, "failed|wecom": 1})
        await second.add_tallies({"refused|teams": 3})
        await second.add_tallies({})
        assert await first.read_tallies() == await second.read_tallies() == {"refused|teams": 5, "failed|wecom": 1}

    async def test_cancel_and_replace(self, store: Store) -> None:
        """A timer can be moved (replace) or cancelled (escalation after acknowledgement)."""
        await store.schedule_due(due("x", 60))
        assert await store.schedule_due(due("x", 0), replace=True) is True
        assert [c.item.item_id for c in await store.claim_due(Queue.TIMERS, limit=5, lease_seconds=5)] == ["x"]
        assert await store.cancel_due(Queue.TIMERS, "x") is True
        assert await store.cancel_due(Queue.TIMERS, "x") is False


class TestReplayAndCaches:
    async def test_a_delivery_is_refused_until_its_memory_expires(self, store: Store, store_factory: StoreFactory) -> None:
        """A replayed delivery id is refused until its memory expires; then it is new again."""
        item = due("teams:activity-1", queue=Queue.INBOX)
        assert await store.accept_inbound("teams:activity-1", item, ttl_seconds=600) is True
        assert await store.accept_inbound("teams:activity-1", item, ttl_seconds=600) is False
        store_factory.clock.advance(601)
        assert await store.accept_inbound("teams:activity-1", item, ttl_seconds=600) is True

    async def test_concurrent_deliveries_of_one_key_are_accepted_once(self, store_factory: StoreFactory) -> None:
        """The same delivery arriving many times at once, at two instances: one is new, one item queued."""
        first, second = await store_factory.open(), await store_factory.open()
        item = due("teams:a:chat|1", queue=Queue.INBOX)
        answers = await asyncio.gather(*(s.accept_inbound("teams:activity:1", item, ttl_seconds=600) for s in (first, second) * 10))
        assert answers.count(True) == 1
        assert len(await first.claim_due(Queue.INBOX, limit=5, lease_seconds=5)) == 1

    async def test_accept_inbound_queues_once(self, store: Store) -> None:
        """A WeCom retry of a callback is accepted once and queued once."""
        item = due("wecom:123", queue=Queue.INBOX)
        assert await store.accept_inbound("wecom:msg:123", item, ttl_seconds=600) is True
        assert await store.accept_inbound("wecom:msg:123", item, ttl_seconds=600) is False
        claims = await store.claim_due(Queue.INBOX, limit=5, lease_seconds=30)
        assert [c.item for c in claims] == [item]

    async def test_cache_expiry_and_add(self, store: Store, store_factory: StoreFactory) -> None:
        """A cached token expires on time; `cache_add` lets one refresher in at a time."""
        await store.cache_set("token", "abc", ttl_seconds=100)
        assert await store.cache_get("token") == "abc"
        assert await store.cache_add("lock", "me", ttl_seconds=5) is True
        assert await store.cache_add("lock", "you", ttl_seconds=5) is False
        store_factory.clock.advance(101)
        assert await store.cache_get("token") is None
        assert await store.cache_add("lock", "you", ttl_seconds=5) is True
        await store.cache_delete("lock")
        assert await store.cache_get("lock") is None

    async def test_send_slots_follow_every_window(self, store: Store, store_factory: StoreFactory) -> None:
        """3 per second and 4 per 10 s: the 4th send waits a second, the 5th until the 10 s window frees."""
        windows = [(3, 1.0), (4, 10.0)]
        assert [await store.reserve_send_slot("conv", windows) for _ in range(3)] == [0, 0, 0]
        assert await store.reserve_send_slot("conv", windows) == pytest.approx(1.0)
        store_factory.clock.advance(1)
        assert await store.reserve_send_slot("conv", windows) == 0
        assert await store.reserve_send_slot("conv", windows) == pytest.approx(9.0)
        assert await store.reserve_send_slot("other", windows) == 0


async def test_each_backend_says_it_keeps_what_it_committed(store: Store) -> None:
    """As the suite runs them (SQLite in WAL with full sync, Redis with fsync always), nothing is lost in a crash."""
    durability = await store.durability()
    assert durability.safe is True
    assert "loses nothing" in durability.detail


async def test_a_message_is_queued_once_even_after_it_was_delivered(store: Store) -> None:
    assert await store.queue_message_once(due("reply:e1", queue=Queue.OUTBOX)) is True
    (claim,) = await store.claim_due(Queue.OUTBOX, limit=5, lease_seconds=30)
    await store.finish_due(claim)
    assert await store.queue_message_once(due("reply:e1", queue=Queue.OUTBOX)) is False
    assert await store.claim_due(Queue.OUTBOX, limit=5, lease_seconds=30) == []


async def test_a_report_window_is_the_reporters_own_and_closes_on_time(store: Store, store_factory: StoreFactory) -> None:
    await store.open_report_window(ALICE.ref, "C-2026-000001", 300)
    assert await store.report_window(ALICE.ref) == "C-2026-000001"
    assert await store.report_window(BOB.ref) is None
    assert await store.cache_get(str(ALICE.ref)) is None  # not a cache entry anyone else could read by name
    store_factory.clock.advance(300)
    assert await store.report_window(ALICE.ref) is None


async def test_a_lock_is_released_only_by_its_owner(store_factory: StoreFactory) -> None:
    """A hold that ran out and was taken by another instance is theirs: the first owner's late
    release deletes nothing, and nobody else can take it until they release it."""
    first, second = await store_factory.open(), await store_factory.open()
    assert await first.take_lock("wecom-token", "owner-a", 10) is True
    assert await second.take_lock("wecom-token", "owner-b", 10) is False
    store_factory.clock.advance(11)
    assert await second.take_lock("wecom-token", "owner-b", 10) is True
    assert await first.release_lock("wecom-token", "owner-a") is False
    assert await first.take_lock("wecom-token", "owner-c", 10) is False
    assert await second.release_lock("wecom-token", "owner-b") is True
    assert await first.take_lock("wecom-token", "owner-c", 10) is True
    assert await first.cache_get("wecom-token") is None  # a lock is not a cache entry of the same name


class TestAuditAndRestart:
    async def test_audit_has_one_total_order_across_instances(self, store_factory: StoreFactory) -> None:
        """Appends from two instances interleave into one gapless sequence."""
        first, second = await store_factory.open(), await store_factory.open()
        await asyncio.gather(*(s.append_audit(audit(f"{name}-{n}")) for n in range(20) for s, name in ((first, "a"), (second, "b"))))
        entries = await first.read_audit()
        assert [e.seq for e in entries] == list(range(1, 41))
        assert [e.record.action for e in await second.read_audit(after_seq=38)] == [entries[38].record.action, entries[39].record.action]
        assert len(await first.read_audit(after_seq=10, limit=5)) == 5

    async def test_keyed_effects_and_audit_rows_are_written_once(self, store: Store) -> None:
        """An event retried writes its effects and its audit row once; a message queued by any
        path is queued once per id."""
        effects = Effects(messages=(due("reply:e1", queue=Queue.OUTBOX),), audit=(audit("dm.refused"),))
        assert await store.commit(effects, once="e1|refusal") is True
        assert await store.commit(effects, once="e1|refusal") is False
        assert await store.commit(Effects(messages=effects.messages)) is True  # the same message by another path: still once
        assert await store.append_audit(audit("case.acknowledged"), key="e2|ack") is not None
        assert await store.append_audit(audit("case.acknowledged"), key="e2|ack") is None
        assert [e.record.action for e in await store.read_audit()] == ["dm.refused", "case.acknowledged"]
        assert [c.item.item_id for c in await store.claim_due(Queue.OUTBOX, limit=5, lease_seconds=5)] == ["reply:e1"]

    async def test_audit_refuses_report_contents(self) -> None:
        """An audit record cannot carry a report's words."""
        with pytest.raises(ValueError, match="text"):
            AuditRecord(at=START, action="report.received", actor="system", detail={"text": "secret"})

    async def test_nothing_is_lost_across_a_restart(self, store_factory: StoreFactory) -> None:
        """Close and reopen (and for Redis, restart the server process): every record is still there."""
        store = await store_factory.open()
        await store.merge_roster([ALICE, LEAD])
        await store.register_group(group())
        await store.save_case_with_delivery(case("C-2026-000001"), Effects(messages=(due("deliver", queue=Queue.OUTBOX),)), origin="e1")
        await store.append_audit(audit("roster.imported"))
        await store.close()
        store_factory.opened.remove(store)
        store_factory.restart_server()
        reopened = await store_factory.open()
        assert await reopened.get_person("wecom", "lead01") == LEAD
        assert await reopened.get_group(CLASS_5A) == group()
        assert await reopened.get_case("C-2026-000001") == case("C-2026-000001")
        assert [c.item.item_id for c in await reopened.claim_due(Queue.OUTBOX, limit=5, lease_seconds=5)] == ["deliver"]
        assert [e.record.action for e in await reopened.read_audit()] == ["roster.imported"]


def test_urgency_values_are_stable() -> None:
    """Urgency is stored by value; renaming a member would orphan stored cases."""
    assert [u.value for u in Urgency] == ["normal", "urgent"]


async def test_a_stray_due_id_without_its_item_does_not_jam_claims(redis_server: object, clock: object) -> None:
    """Redis only: an id left in the due set without its item (a partial manual clean-up) is
    dropped by the claim instead of breaking every later claim."""
    import redis.asyncio as aioredis

    from state.redis import RedisStore
    from state.redis_server import RedisServer
    from tests.conftest import empty_redis

    assert isinstance(redis_server, RedisServer)
    await empty_redis(redis_server)
    store = await RedisStore.from_url(redis_server.url, clock=clock)  # type: ignore[arg-type]
    try:
        await store.schedule_due(due("good"))
        client = aioredis.Redis.from_url(redis_server.url)
        zsets = [k for k in await client.keys("*due*timers*") if await client.type(k) == b"zset"]
        assert len(zsets) == 1
        await client.zadd(zsets[0], {"stray": START.timestamp() - 1})
        await client.aclose()
        claims = await store.claim_due(Queue.TIMERS, limit=5, lease_seconds=30)
        assert [c.item.item_id for c in claims] == ["good"]
    finally:
        await store.close()
