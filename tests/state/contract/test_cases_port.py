"""The CasesPort contract (state/ports.py), run on each backend (ids `[sqlite]` and `[redis]`):
Reported concerns: references, the atomic first write, lifecycle actions and the report window."""

from __future__ import annotations

import asyncio

import pytest

from state import case_lifecycle as lifecycle
from state.case_lifecycle import Moved
from state.due import Queue
from state.effects import NO_EFFECTS, Effects
from state.ports import CasesPort
from state.records import CaseState, CaseStep, Outcome, Urgency
from state.store import Store, UnknownCase
from tests.conftest import START, StoreFactory
from tests.state.contract.samples import ALICE, BOB, audit, case, due


class TestCasesPort:
    async def test_references_are_sequential_per_year(self, store: CasesPort) -> None:
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

    async def test_steps_and_text_additions(self, store: CasesPort) -> None:
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

    async def test_unknown_case_is_an_error(self, store: CasesPort) -> None:
        """Changing a case that does not exist fails loudly."""
        with pytest.raises(UnknownCase):
            await store.change_case("C-2026-999999", lifecycle.deliver(CaseStep(at=START, action="delivered")))

    async def test_list_filters_by_state(self, store: CasesPort) -> None:
        """Open cases can be listed apart from closed ones, oldest first."""
        for n in (1, 2):
            await store.save_case_with_delivery(case(f"C-2026-00000{n}"), NO_EFFECTS, origin=f"e{n}")
        closing = CaseStep(at=START, action="closed")
        await store.change_case("C-2026-000001", lifecycle.close(closing, Outcome.ADVICE))
        assert [c.reference for c in await store.list_cases({CaseState.NEW})] == ["C-2026-000002"]
        assert len(await store.list_cases()) == 2

    async def test_case_text_stays_out_of_repr(self) -> None:
        """A case printed into a log or traceback never shows the child's words."""
        assert "bullying" not in repr(case("C-2026-000001"))

    async def test_a_report_window_is_the_reporters_own_and_closes_on_time(self, store: Store, store_factory: StoreFactory) -> None:
        await store.open_report_window(ALICE.ref, "C-2026-000001", 300)
        assert await store.report_window(ALICE.ref) == "C-2026-000001"
        assert await store.report_window(BOB.ref) is None
        assert await store.cache_get(str(ALICE.ref)) is None  # not a cache entry anyone else could read by name
        store_factory.clock.advance(300)
        assert await store.report_window(ALICE.ref) is None

    def test_urgency_values_are_stable(self) -> None:
        """Urgency is stored by value; renaming a member would orphan stored cases."""
        assert [u.value for u in Urgency] == ["normal", "urgent"]
