"""Class teams linked to their classes: a team whose group id is an education class's id takes
that class, whether the bot joined it before the sync or after; a group chat keeps its own."""

from __future__ import annotations

from handlers.directory_classes import link_class_teams
from handlers.directory_sync import Listing, sync_listing
from handlers.duties import Deps
from handlers.events import GroupJoined
from handlers.group_registry import remember_group
from state.models import GroupKey, Person, Role
from tests.conftest import START

CLASS_ID = "C6B00000-0000-4000-8000-000000000006"
TEAM = GroupKey("teams", "19:class-6b-general@thread.tacv2")
CHAT = GroupKey("teams", "19:a-chat@thread.v2")
LISTING = Listing([Person(channel="teams", user_id="lead", name="Lee Lead", role=Role.DSL, from_directory=True)],
                  {CLASS_ID: "6B", "c5a00000-0000-4000-8000-000000000005": "5A"})


def joined(group: GroupKey, directory_id: str = "") -> GroupJoined:
    return GroupJoined(event_id=f"join-{group.conversation_id}", at=START, group=group, name="6B Maths", directory_id=directory_id)


async def test_a_team_joined_before_the_sync_is_linked_by_it(deps: Deps) -> None:
    await remember_group(joined(TEAM, CLASS_ID.casefold()), deps)
    await remember_group(joined(CHAT), deps)
    await sync_listing(deps.store, deps.clock, "teams", LISTING)
    team, chat = await deps.store.get_group(TEAM), await deps.store.get_group(CHAT)
    assert team is not None
    assert team.class_name == "6B"
    assert chat is not None
    assert chat.class_name == ""  # a group chat has no directory id: its class still comes from its members or set-class
    linked = [(e.record.action, e.record.group, e.record.outcome) for e in await deps.store.read_audit()
              if e.record.action == "group.class_linked"]
    assert linked == [("group.class_linked", str(TEAM), "6B")]


async def test_a_team_joined_after_a_sync_gets_its_class_at_once(deps: Deps) -> None:
    await link_class_teams(deps.store, deps.clock, "teams", LISTING.classes)
    await remember_group(joined(TEAM, CLASS_ID.casefold()), deps)
    team = await deps.store.get_group(TEAM)
    assert team is not None
    assert (team.class_name, team.directory_id) == ("6B", CLASS_ID.casefold())


async def test_a_dry_run_links_nothing(deps: Deps) -> None:
    await remember_group(joined(TEAM, CLASS_ID.casefold()), deps)
    await sync_listing(deps.store, deps.clock, "teams", LISTING, dry_run=True)
    team = await deps.store.get_group(TEAM)
    assert team is not None
    assert team.class_name == ""
