"""A report through WeCom end to end: a student's 1:1 message → case → the lead's template card
(then the words as their own message) → the Acknowledge button → the card updated with the
click's single-use response code → the student told a lead has it."""

from __future__ import annotations

from typing import Any

from handlers.policies import emergency_contacts
from state.records import CaseState
from tests.bots.wecom.conftest import DSL, INTERNAL_STUDENT, WecomHarness, until

REPORT = "有个高年级同学一直让我发照片给他"


def cards_to(harness: WecomHarness, userid: str) -> list[dict[str, Any]]:
    return [m["template_card"] for m in harness.api.sent_messages() if m["touser"] == userid and m["msgtype"] == "template_card"]


async def test_report_card_acknowledge_and_reporter_informed(wecom: WecomHarness) -> None:
    await wecom.deliver(wecom.callbacks.text(INTERNAL_STUDENT, f"报告 {REPORT}"))
    await until(lambda: any(REPORT in text for text in wecom.api.texts_to_user(DSL)))
    (card,) = cards_to(wecom, DSL)
    assert "C-2026-000001" in card["main_title"]["title"]
    assert [button["key"] for button in card["button_list"]] == ["ack:C-2026-000001"]
    assert all(REPORT not in str(card) for card in cards_to(wecom, DSL)), "card fields are short: the words come separately"
    await until(lambda: any("C-2026-000001" in text for text in wecom.api.texts_to_user(INTERNAL_STUDENT)))

    click_code = wecom.api.issue_response_code()
    await wecom.deliver(wecom.callbacks.card_click(DSL, "ack:C-2026-000001", task_id=card["task_id"], response_code=click_code))

    async def acknowledged() -> bool:
        case = await wecom.bot.store.get_case("C-2026-000001")
        return case is not None and case.state is CaseState.ACKNOWLEDGED

    await until(acknowledged)
    await until(lambda: wecom.api.card_updates)
    (update,) = wecom.api.card_updates
    assert update["response_code"] == click_code
    assert update["userids"] == [DSL]
    assert "刘老师" in update["button"]["replace_name"]
    told = wecom.bot.catalog.say("report.acknowledged", "zh_CN", reference="C-2026-000001",
                                 contacts=emergency_contacts(wecom.bot.settings.cases))
    await until(lambda: told in wecom.api.texts_to_user(INTERNAL_STUDENT))


async def test_a_double_click_acknowledges_once(wecom: WecomHarness) -> None:
    await wecom.deliver(wecom.callbacks.text(INTERNAL_STUDENT, f"报告 {REPORT}"))
    await until(lambda: cards_to(wecom, DSL))
    (card,) = cards_to(wecom, DSL)
    for _ in range(2):
        code = wecom.api.issue_response_code()
        await wecom.deliver(wecom.callbacks.card_click(DSL, "ack:C-2026-000001", task_id=card["task_id"], response_code=code))
        wecom.clock.advance(1)

    async def two_clicks_handled() -> bool:
        actions = [entry.record.action for entry in await wecom.bot.store.read_audit()]
        return actions.count("case.acknowledged") == 1 and len(wecom.api.texts_to_user(DSL)) >= 4

    await until(two_clicks_handled)
