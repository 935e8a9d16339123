"""Demo scenes for supervision (000 §5; 004 strategy 18, objectives 12–13): the class chat
joined earlier has a teacher, three students and a guest but nobody from the admin team."""

from __future__ import annotations

from typing import Any

from bots.demo.scene import Scene
from bots.teams.fakes.activities import teams_activity
from bots.teams.fakes.bot_connector import FakeBotConnector
from bots.waiting import eventually
from policy_text.catalog import words
from state.models import GroupKey, Supervision

CLASS_CHAT = "19:class5a@thread.v2"
LEAD_CHAT, TEACHER_CHAT = "a:personal-lead", "a:personal-29:teacher"
COORDINATOR = {"id": "29:coordinator", "name": "Mr Coordinator", "aadObjectId": "0f5a1c2e-1111-4a4a-9a9a-000000000020",
               "userRole": "user"}
STUDENT_NAMES = ("Amira", "Ben", "Chloe")


def sent_at(connector: FakeBotConnector, chat: str, text: str) -> float | None:
    """When (on the demo's clock) the connector first received `text` for `chat`."""
    return next((request.at for request in connector.received if request.conversation_id == chat and text in str(request.body)), None)


async def play(scene: Scene, connector: FakeBotConnector) -> None:
    t, bot = scene.transcript, scene.bot

    def said(key: str, **fields: Any) -> str:
        return bot.catalog.say(key, "en", **fields)

    def group_texts() -> list[str]:
        return connector.texts_to(CLASS_CHAT)

    t.section("Supervision: the class chat has a teacher and students but no admin-team member")
    t.expect(await eventually(lambda: any("Class 5A" in x and "admin" in x for x in connector.texts_to(LEAD_CHAT))),
             "the safeguarding lead is alerted privately at once, naming the group, what is missing and since when")
    t.say("bot → lead (private): " + next(x for x in connector.texts_to(LEAD_CHAT) if "unsupervised" in x))
    t.expect(await eventually(lambda: any("You added the safety bot" in x for x in connector.texts_to(TEACHER_CHAT))),
             "the teacher who added the bot is told first, privately: who to add and how")
    t.say("bot → teacher (private): " + next(x for x in connector.texts_to(TEACHER_CHAT) if "You added the safety bot" in x))
    warning = said("supervision.group_warning", missing=words("supervision.group_missing_admin"))
    scene.clock.advance(bot.settings.supervision.grace_seconds)  # the grace period passes (if the scenes before have not let it)
    t.expect(await eventually(lambda: warning in group_texts()), "then a calm notice in the group, with no names")
    told, warned = sent_at(connector, TEACHER_CHAT, "You added the safety bot"), sent_at(connector, CLASS_CHAT, warning)
    t.expect(told is not None and warned is not None and warned - told >= bot.settings.supervision.grace_seconds,
             f"the group heard only after the grace period ({bot.settings.supervision.grace_seconds} s): the teacher could fix it first")
    t.say(f"bot → class chat: {warning}")
    t.expect(said("supervision.group_warning_guest") in group_texts(), "the group hears an unknown account is present, without a name")
    t.expect(await eventually(lambda: any("Visitor" in x for x in connector.texts_to(LEAD_CHAT))),
             "the guest is named only to staff, privately")
    t.expect(await eventually(lambda: any("Ben Example" in x for x in connector.texts_to(TEACHER_CHAT))),
             "students without recorded consent are listed privately to the class teacher")
    t.say("bot → teacher (private): " + next((x for x in connector.texts_to(TEACHER_CHAT) if "consent" in x), "-"))

    t.section("The coordinator (admin team) is added to the chat")
    connector.set_members(CLASS_CHAT, [*connector.members[CLASS_CHAT], COORDINATOR])
    added = teams_activity("member_added", connector.url, id="demo-coordinator", membersAdded=[{"id": "29:coordinator"}])
    t.say(f"POST /api/messages membersAdded → {(await scene.post_teams(added))[0]}")
    t.expect(await eventually(lambda: said("supervision.group_resolved") in group_texts()), "the group is told it is supervised again")
    group = await bot.store.get_group(GroupKey("teams", CLASS_CHAT))
    t.expect(group is not None and group.supervision is Supervision.SUPERVISED, "the stored status is supervised")

    t.section("The bot is removed from the class chat")
    removal = teams_activity("bot_removed_group", connector.url)
    t.say(f"POST /api/messages installationUpdate remove → {(await scene.post_teams(removal))[0]}")
    t.expect(await eventually(lambda: any("removed" in x for x in connector.texts_to(LEAD_CHAT))),
             "the lead is alerted that the group is no longer monitored, and by whom")
    t.say("bot → lead (private): " + next((x for x in connector.texts_to(LEAD_CHAT) if "removed" in x), "-"))
    t.expect(not any(name in text for text in group_texts() for name in STUDENT_NAMES), "no child's name ever reached the class chat")
