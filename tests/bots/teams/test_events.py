"""Teams activities through HTTP → the real CloudAdapter → neutral events and stored state."""

from __future__ import annotations

import json
from pathlib import Path

from botbuilder.schema import Activity

from bots.teams.fakes.activities import PAYLOADS
from bots.teams.fakes.bot_connector import FakeBotConnector
from bots.teams.translate import group_message
from bots.waiting import eventually
from handlers.directory_classes import keep_classes
from handlers.dispatch import Route
from handlers.events import BotRemoved, CardAction, DirectMessage, GroupJoined, GroupMessage, MembersChanged
from handlers.runtime.retry import RetryPolicy
from state.clock import ManualClock
from state.models import GroupKey, PersonRef
from tests.bots.teams.conftest import CLASS_CHAT, TeamsHarness, payload, start_harness

GROUP = GroupKey("teams", CLASS_CHAT)


async def test_install_registers_once_and_reads_every_page(teams: TeamsHarness) -> None:
    """installationUpdate + conversationUpdate for one install: one group, the whole roster read
    through the continuation token (5 members, pages of 3), people mapped by Entra id or UPN."""
    assert (await teams.post("install_group")).status == 201
    assert (await teams.post("bot_added_group")).status == 201
    assert len(await teams.bot.store.list_groups()) == 1
    stored = await teams.bot.store.get_group(GROUP)
    assert stored is not None
    assert (stored.name, stored.address["serviceUrl"]) == ("Class 5A", teams.connector.url)
    members = await teams.bot.store.group_members(GROUP)
    assert [m.user_id for m in members] == [
        "0f5a1c2e-1111-4a4a-9a9a-000000000010", "0f5a1c2e-1111-4a4a-9a9a-000000000001",
        "0f5a1c2e-1111-4a4a-9a9a-000000000002", "chloe@example.org", "9999"]
    assert [m.platform_guest for m in members] == [False, False, False, False, True]
    assert len([path for path in teams.connector.reads if "pagedmembers" in path]) == 4  # 2 pages, read on each of 2 arrivals
    assert any("continuationToken=3" in path for path in teams.connector.reads)
    assert len(teams.events_of(GroupJoined)) == 2
    assert all(event.complete for event in teams.events_of(MembersChanged))


async def test_a_class_team_channel_carries_its_microsoft_365_group_id(teams: TeamsHarness) -> None:
    """In a team, Teams names the team's group (`channelData.team.aadGroupId`): for a class team,
    its education class's id, which links the channel to its class (handlers/directory_classes.py)."""
    team = GroupKey("teams", "19:class-6b-general@thread.tacv2")
    teams.connector.set_members(team.conversation_id, [{"id": "29:teacher", "aadObjectId": "0f5a1c2e-1111-4a4a-9a9a-000000000010"}])
    await keep_classes(teams.bot.store, "teams", {"C6B00000-0000-4000-8000-000000000006": "6B"})  # as the last directory sync left it
    assert (await teams.post("bot_added_team")).status == 201
    (event,) = teams.events_of(GroupJoined)
    assert (event.kind, event.name, event.directory_id) == ("channel", "6B Maths", "c6b00000-0000-4000-8000-000000000006")
    stored = await teams.bot.store.get_group(team)
    assert stored is not None
    assert stored.class_name == "6B"


async def test_members_added_and_removed(teams: TeamsHarness) -> None:
    """An added member is looked up (GET members/{id}) and stored; a removed one is dropped."""
    await teams.post("install_group")
    assert (await teams.post("member_added")).status == 201
    added = teams.events_of(MembersChanged)[-1]
    assert [(m.user_id, m.platform_guest) for m in added.added] == [("9999", True)]
    assert any(path.endswith("/members/29:guest") or path.endswith("/members/29%3Aguest") for path in teams.connector.reads)
    await teams.post("member_removed")
    removed = teams.events_of(MembersChanged)[-1]
    assert [m.user_id for m in removed.removed] == ["0f5a1c2e-1111-4a4a-9a9a-000000000002"]
    assert "0f5a1c2e-1111-4a4a-9a9a-000000000002" not in [m.user_id for m in await teams.bot.store.group_members(GROUP)]


async def test_bot_removed_is_an_event(teams: TeamsHarness) -> None:
    """Removing the bot from a class chat reaches the duties, naming who removed it."""
    await teams.post("install_group")
    await teams.post("bot_removed_group")
    (removed,) = teams.events_of(BotRemoved)
    assert (removed.group, removed.by) == (GROUP, PersonRef("teams", "0f5a1c2e-1111-4a4a-9a9a-000000000010"))


async def test_personal_message_is_a_direct_message_and_keeps_the_chat(teams: TeamsHarness) -> None:
    """A 1:1 message becomes DirectMessage; the personal chat is stored to reach them later."""
    assert (await teams.post("personal_message")).status == 201
    (message,) = teams.events_of(DirectMessage)
    sender = PersonRef("teams", "0f5a1c2e-1111-4a4a-9a9a-000000000001")
    assert (message.sender, message.text, message.locale) == (sender, "hello can we chat", "en-GB")
    address = await teams.bot.store.get_person_address(sender)
    assert address is not None
    assert address["reference"]["conversation"]["id"] == "a:personal-s1"


async def test_group_mention_is_a_group_message_without_the_mention(teams: TeamsHarness) -> None:
    """An @mention in a class chat becomes GroupMessage with the mention stripped."""
    await teams.post("group_mention")
    (message,) = teams.events_of(GroupMessage)
    assert (message.group, message.text) == (GROUP, "status")


async def test_action_execute_invoke_answers_200_through_http(teams: TeamsHarness) -> None:
    """Action.Execute arrives as an invoke; the answer is 200 with a real JSON body (not the
    SDK's double-serialised 500) and the action reaches the duties."""
    response = await teams.post("card_execute")
    assert response.status == 200
    body = await response.json()
    assert (body["statusCode"], body["type"]) == (200, "application/vnd.microsoft.card.adaptive")
    assert body["value"]["type"] == "AdaptiveCard"
    (action,) = teams.events_of(CardAction)
    assert (action.verb, action.data, action.group) == ("ack", {"case": "C-2026-000001"}, None)


async def test_action_submit_is_the_same_card_action(teams: TeamsHarness) -> None:
    """An Action.Submit with the same data gives the same CardAction."""
    assert (await teams.post("card_submit")).status == 201
    (action,) = teams.events_of(CardAction)
    assert (action.verb, action.data) == ("ack", {"case": "C-2026-000001"})


async def test_replayed_activity_is_processed_once(teams: TeamsHarness) -> None:
    """The same activity delivered twice: 200 the second time, and one event."""
    assert (await teams.post("personal_message")).status == 201
    assert (await teams.post("personal_message")).status == 200
    assert len(teams.events_of(DirectMessage)) == 1


def test_mention_stripping_is_pure() -> None:
    """Translation is a pure function of the activity."""
    recorded = json.loads((PAYLOADS / "group_mention.json").read_text())
    assert group_message(Activity().deserialize(recorded)).text == "status"


async def test_unknown_activity_types_are_ignored(teams: TeamsHarness) -> None:
    """An activity type the bot does not know is answered 200 and ignored."""
    response = await teams.client.post("/api/messages", json=payload("personal_message", teams.connector, type="somethingNew"))
    assert response.status == 200
    assert teams.events == []


async def test_a_failed_turn_is_retried_from_the_inbox(tmp_path: Path, connector: FakeBotConnector, clock: ManualClock) -> None:
    """If a duty fails (e.g. the Store hiccups), the accepted activity stays in the inbox and the
    worker runs it again; Teams' own redelivery of it is still a replay."""
    calls: list[int] = []

    async def flaky(event: DirectMessage, deps: object) -> None:
        calls.append(1)
        if len(calls) == 1:
            raise ConnectionError("store hiccup")

    teams = await start_harness(tmp_path / "flaky.db", connector, clock, extra={DirectMessage: [Route(flaky, critical=True)]})
    try:
        assert (await teams.post("personal_message")).status == 201
        assert calls == [1]
        clock.advance(RetryPolicy().cap_seconds)  # past the back-off, on the test's clock
        assert await eventually(lambda: len(calls) == 2, seconds=10), "the failed activity was not retried"
        assert (await teams.post("personal_message")).status == 200
        assert len(calls) == 2
    finally:
        await teams.client.close()
