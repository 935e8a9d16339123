"""The CoverPort contract (state/ports.py), run on each backend (ids `[sqlite]` and `[redis]`):
one cover per person, replaced by the next, removed on request, kept across a reopen."""

from __future__ import annotations

from datetime import date

from state.models import PersonRef
from state.ports import CoverPort
from state.records import Cover
from tests.conftest import START, StoreFactory

TESS, DEE = PersonRef("teams", "t1"), PersonRef("wecom", "dee")


class TestCoverPort:
    async def test_put_replace_list_and_end(self, store: CoverPort, store_factory: StoreFactory) -> None:
        first = Cover(person=TESS, until=date(2026, 12, 4), set_by="teams:lead", set_at=START)
        await store.put_cover(first)
        await store.put_cover(Cover(person=DEE, until=date(2026, 12, 24), set_by="teams:lead", set_at=START))
        longer = Cover(person=TESS, until=date(2026, 12, 11), set_by="teams:lead", set_at=START)
        await store.put_cover(longer)  # one cover per person: the new one replaces it
        reopened = await store_factory.open()
        assert await reopened.list_covers() == [longer, Cover(person=DEE, until=date(2026, 12, 24), set_by="teams:lead", set_at=START)]
        assert await store.end_cover(DEE) is True
        assert await store.end_cover(DEE) is False
        assert await store.list_covers() == [longer]
