"""Demo scene for a drill (000 §3; 004 strategy 9): `esafety-bot drill` sends a marked test case
down the whole chain; here nobody answers it, so after the time a real case takes to reach the
head, the head and admin team are told the chain did not answer, and whom the card reached."""

from __future__ import annotations

from typing import Any

from bots.demo.scene import Scene
from bots.demo.wecom import ADMIN
from bots.teams.fakes.activities import card_text
from bots.teams.fakes.bot_connector import FakeBotConnector
from bots.waiting import eventually
from bots.wecom.fakes.api import FakeWecomApi
from handlers.drill import queue_drill

LEAD_CHAT, DEPUTY_CHAT = "a:personal-lead", "a:personal-deputy"


async def play(scene: Scene, connector: FakeBotConnector, api: FakeWecomApi) -> None:
    t, bot = scene.transcript, scene.bot
    t.section("A drill: the chain is tested before a child needs it, and this time nobody answers (000 §3)")
    drill = await queue_drill(bot.store, scene.clock, by="cli")
    t.say(f"$ esafety-bot drill\n{drill} queued: the server runs it and reports to the head and the admin team")

    def drill_cards(chat: str) -> list[dict[str, Any]]:
        return [a["content"] for m in connector.sent_to(chat) for a in m.get("attachments") or [] if "DRILL" in str(a)]

    t.expect(await eventually(lambda: bool(drill_cards(LEAD_CHAT))), "the lead gets a card clearly marked DRILL, with Acknowledge")
    if drill_cards(LEAD_CHAT):
        t.say(f"lead's card: {card_text(drill_cards(LEAD_CHAT)[0])}")
    reference = next(c.reference for c in await bot.store.list_cases() if c.drill)
    scene.clock.advance(bot.settings.cases.ack_timeout_seconds)
    t.expect(await eventually(lambda: bool(drill_cards(DEPUTY_CHAT))),
             "nobody acknowledges: after 15 minutes it goes to the deputy, as a real case would, still marked DRILL")
    scene.clock.advance(bot.settings.cases.second_escalation_seconds + 60)

    def failure_report() -> str:
        return next((x for x in api.texts_to_user(ADMIN) if reference in x and ("流程没有回应" in x or "DID NOT ANSWER" in x)), "")

    t.expect(await eventually(lambda: bool(failure_report())),
             "after the time a real case takes to reach the head, the admin team is told the chain did not answer, and whom it reached")
    t.say(f"bot → 陈主任 (admin, WeCom): {failure_report()}")
    case = await bot.store.get_case(reference)
    audited = [e.record.action for e in await bot.store.read_audit() if e.record.outcome == reference]
    t.expect(case is not None and case.state.value == "closed" and "drill.failed" in audited,
             "the drill is recorded as failed in the audit, and its case closed: it never counts as a real case")
