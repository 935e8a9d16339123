"""Demo scenes for concerns: a refusal, a report with its reference, an urgent report with
emergency numbers, the lead's card, escalation to the deputy, acknowledgement, the child told,
and the export — over Teams, against the fake Bot Connector, with a fast clock."""

from __future__ import annotations

import io
from collections.abc import Awaitable, Callable
from typing import Any

from bots.demo.scene import Scene
from bots.demo.transcript import Transcript
from bots.teams.fakes.activities import card_text, teams_activity
from bots.teams.fakes.bot_connector import FakeBotConnector
from bots.waiting import eventually
from handlers.case_export import export_cases

STUDENT_CHAT, LEAD_CHAT, DEPUTY_CHAT = "a:personal-s1", "a:personal-lead", "a:personal-deputy"
REPORT = "a boy from another school keeps asking me to send photos"
DEPUTY = {"id": "29:deputy", "aadObjectId": "0f5a1c2e-1111-4a4a-9a9a-000000000031", "name": "Mx Deputy"}
LEAD = {"id": "29:lead", "aadObjectId": "0f5a1c2e-1111-4a4a-9a9a-000000000030", "name": "Dr Lead"}
NOTE = "spoke with Amira and her mum; the account is blocked and reported to the platform"


async def play(scene: Scene, connector: FakeBotConnector) -> None:
    t, bot = scene.transcript, scene.bot
    n = 0

    async def post(name: str, **changes: Any) -> int:
        nonlocal n
        n += 1
        status, _ = await scene.post_teams(teams_activity(name, connector.url, id=f"demo-{n}", **changes))
        return status

    def student_got(*words: str) -> str:
        """The newest message to the student containing any of `words` ('' if none yet)."""
        return next((text for text in reversed(connector.texts_to(STUDENT_CHAT)) if any(w in text for w in words)), "")

    t.section("A student messages a teacher-bot one-to-one (000 §5: no 1:1 chats)")
    await post("personal_message", text="can you help me with my maths homework?")
    t.expect(await eventually(lambda: bool(student_got("report"))), "the student gets a kind refusal pointing to the group and to `report`")
    t.say(f"bot → student: {student_got('report')}")

    t.section("The student reports a worry privately (004 strategies 8, 9, 13)")
    await post("install_personal", **{"from": DEPUTY, "conversation": {"id": DEPUTY_CHAT, "conversationType": "personal"}})
    await post("personal_message", text=f"report {REPORT}")
    reference = (await bot.store.list_cases())[-1].reference
    t.expect(await eventually(lambda: bool(student_got(reference))), f"the child is told 'received' with reference {reference}")
    t.say(f"bot → student: {student_got(reference)}")

    def lead_cards() -> list[dict[str, Any]]:
        return [a["content"] for m in connector.sent_to(LEAD_CHAT) for a in m.get("attachments") or [] if reference in str(a)]

    def lead_has_words() -> bool:
        return any(REPORT in text for text in connector.texts_to(LEAD_CHAT))

    t.expect(await eventually(lambda: bool(lead_cards()) and lead_has_words()), "the lead receives the case card and the words")
    card = lead_cards()[0]
    t.say(f"lead's card: {card_text(card)}")

    t.section("Nobody acknowledges: after 15 minutes it goes to the deputy")
    t.expect(connector.sent_to(DEPUTY_CHAT) == [], "the deputy is not told before the timeout")
    scene.clock.advance(bot.settings.cases.ack_timeout_seconds)
    t.expect(await eventually(lambda: len(connector.sent_to(DEPUTY_CHAT)) >= 2), "after 900 s (fast clock) the deputy gets card and words")
    t.say(f"bot → deputy: {connector.sent_to(DEPUTY_CHAT)[0]['text']}")

    t.section("The lead presses Acknowledge")
    puts_before = len([r for r in connector.received if r.method == "PUT"])
    press = {"action": {"type": "Action.Execute", "verb": "ack", "data": {"case": reference}}, "trigger": "manual"}
    status = await post("card_execute", value=press)
    case = await bot.store.get_case(reference)
    t.expect(status == 200 and case is not None and case.state.value == "acknowledged", "the case is acknowledged once, by the lead")
    puts = [r for r in connector.received if r.method == "PUT"][puts_before:]
    t.expect(len(puts) == 2, "both copies of the card (lead's and deputy's) now show who acknowledged")
    if puts:
        t.say(f"updated card: {card_text(puts[0].body['attachments'][0]['content'])}")
    t.expect(await eventually(lambda: bool(student_got("has read what you told us", "已经看到了你说的事"))),
             "the child hears that a teacher whose job is keeping children safe has read it, and what happens next (no name, no content)")
    t.say(f"bot → student: {student_got('has read what you told us', '已经看到了你说的事')}")
    await _keep_the_record(scene, post, connector, reference)

    t.section("An urgent report: emergency numbers at once (004 strategy 9)")
    await post("personal_message", text="I'm not safe at home tonight")
    t.expect(await eventually(lambda: bool(student_got("999"))), "danger words: the reply carries 999 and Childline with the reference")
    t.say(f"bot → student: {student_got('999')}")
    t.expect(await eventually(lambda: len(connector.sent_to(DEPUTY_CHAT)) >= 4), "an urgent case reaches the deputy at once, not in 15 min")
    await _export(scene, t)


async def _keep_the_record(scene: Scene, post: Callable[..., Awaitable[int]], connector: FakeBotConnector, reference: str) -> None:
    """000 §3 and 004 strategy 13: the lead adds to the record in their 1:1; a close needs an
    outcome and a reason, and each step is in the chronology and the audit (never the words)."""
    t, bot = scene.transcript, scene.bot
    t.section("The lead keeps the record: a note, then a close with an outcome and the reason (000 §3)")
    lead_chat = {"from": LEAD, "conversation": {"id": LEAD_CHAT, "conversationType": "personal"}}

    async def lead_says(text: str, answer: str) -> str:
        before = len(connector.texts_to(LEAD_CHAT))
        await post("personal_message", text=text, **lead_chat)
        t.say(f"lead → bot: {text}")
        replied = await eventually(lambda: any(answer in x for x in connector.texts_to(LEAD_CHAT)[before:]))
        reply = next((x for x in connector.texts_to(LEAD_CHAT)[before:] if answer in x), "-") if replied else "-"
        t.say(f"bot → lead: {reply}")
        return reply

    t.expect(await lead_says(f"note {reference} {NOTE}", "note is added") != "-", "the note is added to the case's chronology")
    refused = await lead_says(f"close {reference} advice", "OUTCOME is one of")
    case = await bot.store.get_case(reference)
    t.expect(refused != "-" and case is not None and case.state.value == "acknowledged",
             "a close without a reason is refused, and nothing changes")
    await lead_says(f"close {reference} advice blocked and reported with the family; no referral needed", "closed:")
    case = await bot.store.get_case(reference)
    t.expect(case is not None and case.state.value == "closed" and case.outcome is not None and case.outcome.value == "advice",
             "with an outcome from the list and a reason, the case is closed")
    trail = [e.record for e in await bot.store.read_audit() if e.record.outcome == reference]
    t.say("audit: " + ", ".join(f"{r.action} {r.detail or ''}".strip() for r in trail[-2:]))
    t.expect([r.action for r in trail[-2:]] == ["case.note", "case.closed"] and NOTE not in str(trail),
             "the note and the close are audited, without the note's or the reason's words")


async def _export(scene: Scene, t: Transcript) -> None:
    bot = scene.bot
    t.section("$ esafety-bot cases export --format csv   (the words only with --include-text)")
    out = io.StringIO()
    await export_cases(bot.store, scene.clock, await bot.store.list_cases(), out, fmt="csv")
    lines = out.getvalue().splitlines()
    t.say("\n".join(line[:150] for line in lines))
    exported = len(lines) - 1 == len(await bot.store.list_cases())
    t.expect(exported and REPORT not in out.getvalue(), "every case exported with its chronology, without the child's words")
