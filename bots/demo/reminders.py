"""Demo scenes for reminders, lessons and the digest (000 §5.3, §5.5, §5.6, §5.10 and its closing
paragraph; 004 objectives 4–6, 11, 13, strategies 15, 19, 20), over Teams with the fast clock.

The class chat's default schedule fires at 09:00; a teacher runs a lesson whose class has
students without consent (named to her privately, confirmed, then announced and repeated);
she fills in the register on its card; a reminder set for 21:30 falls in quiet hours and is
skipped; and at the end of the demo the week's digest reaches the lead.
"""

from __future__ import annotations

import io
from datetime import timedelta
from typing import Any

from bots import cli_operations
from bots.demo.scene import Scene
from bots.teams.fakes.activities import card_text, teams_activity
from bots.teams.fakes.bot_connector import FakeBotConnector
from bots.waiting import eventually
from handlers.reminders import TOPICS

CLASS_CHAT = "19:class5a@thread.v2"
GROUP = f"teams:{CLASS_CHAT}"
TEACHER_CHAT, LEAD_CHAT = "a:personal-29:teacher", "a:personal-lead"
TEACHER = {"id": "29:teacher", "aadObjectId": "0f5a1c2e-1111-4a4a-9a9a-000000000010", "name": "Ms Teacher"}


async def play(scene: Scene, connector: FakeBotConnector) -> None:
    t, bot = scene.transcript, scene.bot
    clock, n = scene.clock, 0

    async def to(hour: int, minute: int = 0) -> None:
        target = clock.now().replace(hour=hour, minute=minute, second=0, microsecond=0)
        clock.advance(max(0.0, (target - clock.now()).total_seconds()))

    async def mention(words: str) -> int:
        nonlocal n
        n += 1
        activity = teams_activity("group_mention", connector.url, id=f"demo-lesson-{n}", text=f"<at>esafety-bot</at> {words}")
        status, _ = await scene.post_teams(activity)
        return status

    tips = {bot.catalog.say(topic, "en") for topic in TOPICS}
    notice = bot.catalog.say("lesson.recording_notice", "en", retention_days=bot.settings.supervision.recording_retention_days)

    def chat(texts: set[str]) -> list[str]:
        return [x for x in connector.texts_to(CLASS_CHAT) if x in texts]

    t.section("Reminders: the class chat got the school's default schedule when the bot joined")
    t.say("$ esafety-bot schedule show " + GROUP + "\n" + await cli_operations.schedule_show(bot.store, clock, GROUP))
    await to(9)
    t.expect(await eventually(lambda: len(chat(tips)) == 1), "at 09:00 (fast clock) a safety tip is posted in the class chat")
    t.say("bot → class chat: " + chat(tips)[0])

    t.section("A live lesson: consent first, the recording notice, the register (000 §5.5, §5.6, §5.10)")
    await to(9, 5)
    t.say(f"Ms Teacher: @esafety-bot lesson start → {await mention('lesson start')}")
    t.expect(await eventually(lambda: any("no recorded consent" in x for x in connector.texts_to(TEACHER_CHAT))),
             "students without recorded consent are named to the teacher privately; nothing is announced yet")
    t.expect(chat({notice}) == [], "no recording notice before the teacher confirms")
    t.say(f"Ms Teacher: @esafety-bot lesson start confirm → {await mention('lesson start confirm')}")
    t.expect(await eventually(lambda: len(chat({notice})) == 1), "the recording notice is posted once she confirms")
    t.say("bot → class chat: " + notice)
    clock.advance(bot.settings.reminders.lesson_notice_seconds)
    t.expect(await eventually(lambda: len(chat({notice})) == 2),
             f"{bot.settings.reminders.lesson_notice_seconds // 60} minutes later (fast clock) the notice is repeated")
    t.say(f"Ms Teacher: @esafety-bot lesson end → {await mention('lesson end')}")

    def register_card() -> dict[str, Any] | None:
        cards = [a["content"] for m in connector.sent_to(TEACHER_CHAT) for a in m.get("attachments") or []
                 if any(item.get("type") == "Input.Toggle" for item in a["content"]["body"])]
        return cards[-1] if cards else None

    t.expect(await eventually(lambda: register_card() is not None), "the teacher gets the register privately: a toggle per student")
    card = register_card() or {}
    toggles = [item for item in card.get("body", []) if item.get("type") == "Input.Toggle"]
    t.say("register card: " + ", ".join(item["title"] for item in toggles) + " [Save register]")
    data = {**card["actions"][0]["data"], toggles[0]["id"]: "true", toggles[1]["id"]: "true"}
    submit = teams_activity("card_execute", connector.url, id="demo-register", **{
        "from": TEACHER, "conversation": {"id": TEACHER_CHAT, "conversationType": "personal", "tenantId": "tenant-1"},
        "value": {"action": {"type": "Action.Execute", "verb": "register", "data": data}, "trigger": "manual"}})
    t.say(f"POST /api/messages (Save register) → {(await scene.post_teams(submit))[0]}")
    saved = bot.catalog.say("lesson.register_saved", "en", present=2, total=len(toggles))
    t.expect(await eventually(lambda: saved in connector.texts_to(TEACHER_CHAT)), "the register is stored and confirmed to her")
    export = io.StringIO()
    await cli_operations.lessons_export(bot.store, export)
    t.say("$ esafety-bot lessons export\n" + export.getvalue().strip())
    clock.advance(bot.settings.reminders.lesson_notice_seconds * 2)
    t.expect(len(chat({notice})) == 2, "no more recording notices after the lesson ended")

    t.section("Quiet hours: a reminder set for 21:30 is skipped, never posted later")
    t.say(f"$ esafety-bot schedule set {GROUP} --cron '30 21 * * MON'\n"
          + await cli_operations.schedule_set(bot.store, clock, GROUP, "30 21 * * MON", None))
    await to(21, 31)

    async def skipped() -> bool:
        return any(e.record.action == "reminder.skipped_quiet_hours" for e in await bot.store.read_audit())

    t.expect(await eventually(skipped), "the 21:30 reminder falls in quiet hours (21:00–07:00): skipped and audited")
    t.expect(len(chat(tips)) == 1, "and nothing was posted in the chat")
    t.say(f"$ esafety-bot schedule set {GROUP} --cron '0 9 * * MON,THU'\n"
          + await cli_operations.schedule_set(bot.store, clock, GROUP, "0 9 * * MON,THU", None))


async def play_digest(scene: Scene, connector: FakeBotConnector) -> None:
    """Last: the week goes by on the fast clock and Monday 08:00 brings the lead's digest."""
    t, bot = scene.transcript, scene.bot
    t.section("A week later: the weekly safeguarding digest reaches the lead (ESAFETY_DIGEST, MON 08:00)")
    monday = (scene.clock.now() + timedelta(days=7 - scene.clock.now().weekday())).replace(hour=8, minute=0, second=1)
    scene.clock.advance((monday - scene.clock.now()).total_seconds())
    title = bot.catalog.say("digest.title", "en", week="")

    def digest() -> str:
        cards = [card_text(a["content"]) for m in connector.sent_to(LEAD_CHAT)
                 if (m.get("text") or "").startswith(title) for a in m.get("attachments") or []]
        return cards[-1] if cards else ""

    t.expect(await eventually(lambda: bool(digest())), "the lead gets the week per group, and the cases counted")
    t.say("bot → lead (private card): " + digest())
    t.expect("lessons 1 (registers 1)" in digest() and "about 7 days" in digest(),
             "it reads at a glance: lessons with registers, time unsupervised in days, not minutes")
    t.expect("Overdue C-2026-" in digest() and "new," in digest() and "acknowledged and being handled" in digest(),
             "cases are counted as new, acknowledged and overdue, each overdue one with its age and class")
    t.expect("Audit log verified intact" in digest(), "and it says the audit log verified intact, with the latest seal")
