"""Demo scenes for Teams: the real CloudAdapter against the local fake Bot Connector."""

from __future__ import annotations

from typing import Any

from bots.demo.scene import Scene
from bots.teams.fakes.activities import teams_activity
from bots.teams.fakes.bot_connector import FakeBotConnector
from bots.waiting import eventually
from handlers.case_card import case_card
from handlers.outbox import send_durably
from state.models import GroupKey, PersonRef, Role
from state.records import Case

CLASS_CHAT = "19:class5a@thread.v2"
LEAD = PersonRef("teams", "0f5a1c2e-1111-4a4a-9a9a-000000000030")
STUDENT = PersonRef("teams", "0f5a1c2e-1111-4a4a-9a9a-000000000001")
EXAMPLE = "C-2026-000000"  # a channel-only example card; the real case flow is in bots/demo/concerns.py


def class_members() -> list[dict[str, Any]]:
    """The class chat as Teams would list it: the demo roster's class 5A people, plus a guest."""
    return [
        {"id": "29:teacher", "name": "Ms Teacher", "aadObjectId": "0f5a1c2e-1111-4a4a-9a9a-000000000010", "userRole": "user"},
        {"id": "29:s1", "name": "Amira Example", "aadObjectId": "0F5A1C2E-1111-4A4A-9A9A-000000000001", "userRole": "user"},
        {"id": "29:s2", "name": "Ben Example", "aadObjectId": "0f5a1c2e-1111-4a4a-9a9a-000000000002", "userRole": "user"},
        {"id": "29:s3", "name": "Chloe Example", "aadObjectId": "0f5a1c2e-1111-4a4a-9a9a-000000000003", "userRole": "user"},
        {"id": "29:guest", "name": "Visitor", "aadObjectId": "7c0ffee0-0000-0000-0000-000000000099", "userRole": "guest"},
    ]


async def play(scene: Scene, connector: FakeBotConnector) -> None:
    t, bot = scene.transcript, scene.bot
    connector.set_members(CLASS_CHAT, class_members())

    async def post(name: str, **changes: Any) -> tuple[int, Any]:
        return await scene.post_teams(teams_activity(name, connector.url, **changes))

    t.section("Teams: the safeguarding lead installs the app personally (so alerts can reach them)")
    status, _ = await post("install_personal")
    t.expect(status == 201 and await bot.store.get_person_address(LEAD) is not None, "the lead's personal chat is remembered")

    def waited_alerts() -> list[str]:
        return [m.get("text", "") for m in connector.sent_to("a:personal-lead") if "unsupervised since" in m.get("text", "")]

    arrived = await eventually(waited_alerts)
    t.say(f"the alert that waited for her arrives now: {waited_alerts()[0] if arrived else '(nothing)'}")
    t.expect(arrived, "the supervision alert sent before she had the app arrives the moment she installs it")

    t.section("Teams: the bot is added to a class chat (installationUpdate + conversationUpdate)")
    statuses = [(await post("install_group"))[0], (await post("bot_added_group"))[0]]
    t.say(f"POST /api/messages installationUpdate → {statuses[0]}, conversationUpdate → {statuses[1]}")
    group = GroupKey("teams", CLASS_CHAT)
    t.expect(statuses == [201, 201] and len([g for g in await bot.store.list_groups() if g.key == group]) == 1,
             "one install, two activities: the class chat is registered once")
    members = await bot.store.group_members(group)
    pages = [path for path in connector.reads if "pagedmembers" in path]
    roles = []
    for member in members:
        person = await bot.store.get_person("teams", member.user_id)
        roles.append(person.role.value if person else Role.UNKNOWN.value)
    t.say(f"roster read in {len(pages)} paged requests (page size {connector.page_size_cap}): {len(members)} members, "
          f"roles {sorted(roles)}; platform guest flags: {sum(m.platform_guest for m in members)}")
    t.expect(len(members) == 5 and roles.count("student") == 3, "members are mapped to the roster by Entra object id")

    t.section("Teams: a student messages the bot one-to-one")
    status, _ = await post("personal_message")
    stored = await bot.store.get_person_address(STUDENT)
    t.say(f"POST /api/messages personal message → {status}; personal chat stored: {bool(stored)}")
    t.expect(status == 201 and stored is not None, "the direct message is accepted and the private chat remembered")
    replayed, _ = await post("personal_message")
    t.expect(replayed == 200, "the same activity delivered again is answered 200 and not processed twice")

    t.section("Teams: a card with Acknowledge reaches the safeguarding lead")
    await connector.settled(quiet_seconds=0.5)  # the class chat's alerts are out; the 429 below is this card's
    example = Case(reference=EXAMPLE, reporter=STUDENT, reporter_role=Role.STUDENT, received_at=scene.clock.now(), text="-")
    card = case_card(bot.deps, example, group=None, reporter=await bot.store.get_person(STUDENT.channel, STUDENT.user_id))
    connector.fail_next(429, retry_after="1")
    await send_durably(bot.deps, LEAD, card, key=f"demo|{EXAMPLE}|card")
    await eventually(lambda: not connector.faults)
    scene.clock.advance(2)  # Teams' Retry-After (1 s) is the least the worker waits; its back-off says up to 2 s
    bot.deps.doorbell.ring()

    def cards_to_lead() -> list[dict[str, Any]]:
        return [m for m in connector.sent_to("a:personal-lead") if m.get("attachments") and EXAMPLE in str(m)]

    await eventually(lambda: bool(cards_to_lead()))
    t.say("the connector answered 429 (Retry-After: 1) first; the outbox worker, the one place that retries, sent it again 1-2 s later")
    cards = cards_to_lead()
    t.expect(len(cards) == 1 and cards[0]["attachments"][0]["content"]["actions"][0]["verb"] == "ack",
             "the lead's card arrives once, with an Action.Execute Acknowledge button")
    press = {"action": {"type": "Action.Execute", "verb": "ack", "data": {"case": EXAMPLE}}, "trigger": "manual"}
    status, body = await post("card_execute", value=press)
    t.say(f"the lead presses Acknowledge: invoke adaptiveCard/action → {status}, card replaced: {body['value']['type']}")
    t.expect(status == 200 and body["statusCode"] == 200, "the Action.Execute invoke is answered 200 with a card (not the SDK's 500)")
