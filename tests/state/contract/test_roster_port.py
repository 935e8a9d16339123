"""The RosterPort contract (state/ports.py), run on each backend (ids `[sqlite]` and `[redis]`):
Who is who: the roster and the addresses the bot may write to."""

from __future__ import annotations

from state.models import Person, PersonRef
from state.ports import RosterPort
from tests.state.contract.samples import ALICE, BOB, LEAD


class TestRosterPort:
    async def test_replace_reports_added_updated_and_removed(self, store: RosterPort) -> None:
        """An import replaces its channels' roster and says who joined, changed and left."""
        await store.replace_roster({"teams", "wecom"}, [ALICE, BOB, LEAD])
        change = await store.replace_roster({"teams"}, [Person(**{**ALICE.__dict__, "consent": False})])
        assert change.added == ()
        assert change.updated == ("teams:aad-alice",)
        assert change.removed == ("teams:aad-bob",)
        assert [p.user_id for p in await store.list_people()] == ["aad-alice", "lead01"]

    async def test_merge_adds_and_updates_only(self, store: RosterPort) -> None:
        """`--merge` never removes anyone."""
        await store.replace_roster({"teams"}, [ALICE])
        change = await store.merge_roster([BOB])
        assert change.added == ("teams:aad-bob",)
        assert change.removed == ()
        assert len(await store.list_people("teams")) == 2

    async def test_person_address_round_trip(self, store: RosterPort) -> None:
        """A staff member's private conversation reference is kept to reach them later."""
        address = {"conversation": {"id": "a:1"}, "serviceUrl": "http://x/"}
        await store.save_person_address(LEAD.ref, address)
        assert await store.get_person_address(LEAD.ref) == address
        assert await store.get_person_address(PersonRef("teams", "x")) is None
