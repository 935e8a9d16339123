"""Sending to Teams: proactive group sends, private messages, throttling and fault recovery."""

from __future__ import annotations

import asyncio
from pathlib import Path

import pytest

from bots.teams.delivery import SendFailed
from bots.teams.fakes.bot_connector import FakeBotConnector
from bots.waiting import eventually
from handlers.messenger import Button, Message, Unreachable
from handlers.outbox import receipt, send_durably
from handlers.runtime.retry import TryAgain
from state.clock import ManualClock
from state.due import DueItem, Queue
from state.models import GroupKey, PersonRef
from tests.bots.teams.conftest import CLASS_CHAT, TeamsHarness, start_harness

GROUP = GroupKey("teams", CLASS_CHAT)
TEACHER = PersonRef("teams", "0f5a1c2e-1111-4a4a-9a9a-000000000010")
NOTICE = Message(key="supervision.group_resolved")


async def test_proactive_group_send(teams: TeamsHarness) -> None:
    """A group message goes to the stored conversation, rendered in the group's language."""
    await teams.install_quietly()
    sent = await teams.bot.messenger.send_to_group(GROUP, NOTICE)
    assert sent.message_id
    assert teams.connector.texts_to(CLASS_CHAT) == [teams.bot.catalog.say("supervision.group_resolved", "en")]


async def test_a_register_card_has_a_toggle_per_student(teams: TeamsHarness) -> None:
    await teams.install_quietly()
    register = Message(key="lesson.register_title", fields={"group": "5A", "date": "2026-11-23"}, toggles=(("s1", "Amira"),),
                       buttons=(Button(label_key="lesson.register_submit", verb="register", data={"lesson": "L1"}),))
    await teams.bot.messenger.send_to_group(GROUP, register)
    (activity,) = teams.connector.sent_to(CLASS_CHAT)
    content = activity["attachments"][0]["content"]
    (toggle,) = [item for item in content["body"] if item["type"] == "Input.Toggle"]
    assert (toggle["id"], toggle["title"], toggle["valueOn"]) == ("toggle:s1", "Amira", "true")
    assert content["actions"][0]["verb"] == "register"


async def test_the_roster_is_read_again_proactively(teams: TeamsHarness) -> None:
    """The periodic re-check reads the chat's members in a proactive turn (no event needed)."""
    await teams.install_quietly()
    teams.connector.set_members(CLASS_CHAT, [{"id": "29:teacher", "name": "Ms Teacher", "aadObjectId": TEACHER.user_id}])
    group = await teams.bot.store.get_group(GROUP)
    assert group is not None
    members = await teams.bot.messenger.read_members(group)
    assert [member.user_id for member in members or []] == [TEACHER.user_id]


async def test_cards_carry_action_execute_buttons(teams: TeamsHarness) -> None:
    """A message with buttons becomes an Adaptive Card whose buttons are Action.Execute."""
    await teams.install_quietly()
    card = Message(key="case.card_title", fields={"reference": "C-2026-000001"},
                   lines=(("case.next_step", {}),),
                   buttons=(Button(label_key="case.ack_button", verb="ack", data={"case": "C-2026-000001"}),))
    await teams.bot.messenger.send_to_group(GROUP, card)
    (activity,) = teams.connector.sent_to(CLASS_CHAT)
    content = activity["attachments"][0]["content"]
    assert activity["attachments"][0]["contentType"] == "application/vnd.microsoft.card.adaptive"
    assert content["actions"] == [{"type": "Action.Execute", "title": "Acknowledge", "verb": "ack", "data": {"case": "C-2026-000001"}}]


async def test_429_is_retried_by_the_worker_after_retry_after(teams: TeamsHarness, clock: ManualClock) -> None:
    """A 429 with Retry-After: the send says so (one attempt, nothing sleeps in it), the outbox
    worker tries again when Teams asked, and the message is sent once."""
    await teams.install_quietly()
    teams.connector.fail_next(429, retry_after="7")
    assert await send_durably(teams.bot.deps, GROUP, NOTICE, key="notice-1")
    assert await eventually(lambda: not teams.connector.faults, seconds=10)
    waiting = await eventually_due(teams, "notice-1")
    assert (waiting.attempts, waiting.last_error) == (1, "TryAgain: Teams answered 429")
    assert teams.connector.sent_to(CLASS_CHAT) == []
    clock.advance(9)  # Retry-After 7 is the least the worker waits (spread by at most a fifth)
    teams.bot.deps.doorbell.ring()
    assert await eventually(lambda: len(teams.connector.sent_to(CLASS_CHAT)) == 1, seconds=10)


async def test_502_is_worth_trying_again_but_500_is_not(teams: TeamsHarness) -> None:
    """Teams asks for retries on 429/412/502/504 only: a 502 says try again, a 500 is a failure."""
    await teams.install_quietly()
    teams.connector.fail_next(502)
    with pytest.raises(TryAgain, match="Teams answered 502") as again:
        await teams.bot.messenger.send_to_group(GROUP, NOTICE)
    assert again.value.after_seconds is None
    teams.connector.fail_next(500)
    with pytest.raises(SendFailed, match="Teams answered 500"):
        await teams.bot.messenger.send_to_group(GROUP, NOTICE)
    assert teams.connector.sent_to(CLASS_CHAT) == []


async def test_a_send_attempts_once_and_never_waits_for_retry_after(teams: TeamsHarness, clock: ManualClock) -> None:
    """Attempts are the worker's to bound (handlers/runtime/worker.py): a send makes one, however long
    Teams asks to wait, so it never holds a worker's slot while it waits."""
    await teams.install_quietly()
    teams.connector.fail_next(429, times=5, retry_after="3600")
    started = clock.now()
    with pytest.raises(TryAgain) as again:
        await teams.bot.messenger.send_to_group(GROUP, NOTICE)
    assert (again.value.after_seconds, len(teams.connector.faults), clock.now()) == (3600.0, 4, started)


async def eventually_due(teams: TeamsHarness, key: str) -> DueItem:
    """The outbox item under `key` once it has failed at least once."""
    found: list[DueItem] = []

    async def failed() -> bool:
        item = await teams.bot.store.get_due(Queue.OUTBOX, key)
        found[:] = [item] if item is not None and item.attempts else []
        return bool(found)

    assert await eventually(failed, seconds=10)
    return found[0]


async def test_sends_to_one_chat_stay_within_its_limits(teams: TeamsHarness, clock: ManualClock) -> None:
    """Ten sends to one chat: the 8th waits for the 1 s window (7/s, 8/2 s), never more than allowed."""
    await teams.install_quietly()
    started = clock.now()
    for _ in range(10):
        await teams.bot.messenger.send_to_group(GROUP, NOTICE)
    assert len(teams.connector.sent_to(CLASS_CHAT)) == 10
    assert (clock.now() - started).total_seconds() >= 2.0


async def test_person_reached_through_their_personal_chat(teams: TeamsHarness) -> None:
    """Someone who messaged the bot is reached in that personal conversation."""
    await teams.post("personal_message")
    await teams.bot.messenger.send_to_person(PersonRef("teams", "0f5a1c2e-1111-4a4a-9a9a-000000000001"), NOTICE)
    notice = teams.bot.catalog.say(NOTICE.key, "en", **NOTICE.fields)
    assert teams.connector.texts_to("a:personal-s1").count(notice) == 1


async def test_person_from_a_roster_gets_a_new_personal_chat(teams: TeamsHarness) -> None:
    """Staff seen in a class roster but never in a 1:1 get one created with their member id and tenant."""
    await teams.install_quietly()
    await teams.bot.messenger.send_to_person(TEACHER, NOTICE)
    (created,) = [r for r in teams.connector.received if r.activity_id == "-"]
    assert created.body["members"] == [{"id": "29:teacher"}]
    assert (created.body["tenantID"], created.body["channelData"]) == ("tenant-1", {"tenant": {"id": "tenant-1"}})
    assert len(teams.connector.sent_to("a:personal-29:teacher")) == 1
    stored = await teams.bot.store.get_person_address(TEACHER)
    assert stored is not None
    assert stored["reference"]["conversation"]["id"] == "a:personal-29:teacher"


async def test_someone_never_seen_is_unreachable(teams: TeamsHarness) -> None:
    """No personal chat and in no roster: Unreachable, for the caller to record and escalate."""
    with pytest.raises(Unreachable):
        await teams.bot.messenger.send_to_person(PersonRef("teams", "nobody"), NOTICE)


async def test_proactive_send_after_restart_uses_the_stored_reference(
    tmp_path: Path, connector: FakeBotConnector, clock: ManualClock
) -> None:
    """A new process on the same database reaches the group with no new activity from Teams."""
    first = await start_harness(tmp_path / "restart.db", connector, clock)
    await first.post("install_group")
    await first.client.close()
    second = await start_harness(tmp_path / "restart.db", connector, clock)
    try:
        await second.bot.messenger.send_to_group(GROUP, NOTICE)
        assert connector.texts_to(CLASS_CHAT).count(second.bot.catalog.say("supervision.group_resolved", "en")) == 1
    finally:
        await second.client.close()


async def test_the_running_app_delivers_queued_messages(teams: TeamsHarness) -> None:
    """A message queued in the outbox is sent by the app's background worker, exactly once."""
    await teams.install_quietly()
    await send_durably(teams.bot.deps, GROUP, NOTICE, key="notice-1")
    await send_durably(teams.bot.deps, GROUP, NOTICE, key="notice-1")
    notice = teams.bot.catalog.say("supervision.group_resolved", "en")
    for _ in range(100):
        if notice in teams.connector.texts_to(CLASS_CHAT):
            break
        await asyncio.sleep(0.05)
    await asyncio.sleep(0.6)  # one more poll: nothing further may arrive
    assert teams.connector.texts_to(CLASS_CHAT).count(notice) == 1


async def test_a_sent_card_is_updated_in_place_from_its_receipt(teams: TeamsHarness) -> None:
    """The outbox keeps each send's receipt; updating it PUTs the new card over the same activity."""
    await teams.post("install_personal")
    lead = PersonRef("teams", "0f5a1c2e-1111-4a4a-9a9a-000000000030")
    card = Message(key="case.card_title", fields={"reference": "C-2026-000001"},
                   buttons=(Button(label_key="case.ack_button", verb="ack", data={"case": "C-2026-000001"}),))
    await send_durably(teams.bot.deps, lead, card, key="C-2026-000001|dsl|lead", case="C-2026-000001", keep_receipt=True)
    for _ in range(100):
        if (sent := await receipt(teams.bot.deps, "C-2026-000001|dsl|lead")) is not None:
            break
        await asyncio.sleep(0.05)
    assert sent is not None
    done = Message(key="case.card_title", fields={"reference": "C-2026-000001"},
                   lines=(("case.acknowledged_by", {"by": "Dr Lead", "at": "09:21"}),))
    await teams.bot.messenger.update(sent, done)
    (put,) = [r for r in teams.connector.received if r.method == "PUT"]
    assert (put.conversation_id, put.activity_id) == ("a:personal-lead", sent.message_id)
    assert put.body["attachments"][0]["content"]["body"][1]["text"] == "Acknowledged by Dr Lead at 09:21."
    assert put.body["attachments"][0]["content"]["actions"] == []
