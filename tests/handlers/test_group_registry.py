"""Keeping each group's address and members current in the Store."""

from __future__ import annotations

from dataclasses import replace

from handlers.duties import Deps
from handlers.events import GroupJoined, MembersChanged
from handlers.group_registry import remember_group, remember_members
from state.models import GroupKey, Member, Supervision
from tests.conftest import START

CHAT = GroupKey("teams", "19:a")
JOIN = GroupJoined(event_id="e1", at=START, group=CHAT, name="5A", locale="zh-CN", address={"serviceUrl": "http://one/"})


async def test_join_registers_once_and_refreshes_the_address(deps: Deps) -> None:
    """A second join keeps the group (and its status) but takes the newest address."""
    await remember_group(JOIN, deps)
    stored = await deps.store.get_group(CHAT)
    assert stored is not None
    assert (stored.locale, stored.timezone) == ("zh_CN", "Europe/London")
    await deps.store.save_group(replace(stored, supervision=Supervision.UNMONITORED))
    await remember_group(replace(JOIN, event_id="e2", address={"serviceUrl": "http://two/"}), deps)
    again = await deps.store.get_group(CHAT)
    assert again is not None
    assert again.address == {"serviceUrl": "http://two/"}
    assert again.supervision is Supervision.UNCHECKED  # back in the group: to be checked again
    assert len(await deps.store.list_groups()) == 1


async def test_members_follow_additions_and_removals(deps: Deps) -> None:
    """Who joined is added, who left is removed, a re-added member is not doubled."""
    ann, bo = Member(user_id="ann", platform_id="29:1"), Member(user_id="bo", platform_id="29:2")
    await remember_members(MembersChanged(event_id="m1", at=START, group=CHAT, added=(ann, bo)), deps)
    await remember_members(MembersChanged(event_id="m2", at=START, group=CHAT, added=(ann,), removed=(bo,)), deps)
    assert await deps.store.group_members(CHAT) == [ann]


async def test_a_full_roster_read_replaces_the_list(deps: Deps) -> None:
    """A complete read drops members who left without an event reaching the bot."""
    ann, bo = Member(user_id="ann"), Member(user_id="bo")
    await remember_members(MembersChanged(event_id="m1", at=START, group=CHAT, added=(ann, bo)), deps)
    await remember_members(MembersChanged(event_id="m2", at=START, group=CHAT, added=(bo,), complete=True), deps)
    assert await deps.store.group_members(CHAT) == [bo]
