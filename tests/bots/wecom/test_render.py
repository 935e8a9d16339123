"""Neutral messages in WeCom's shapes: template cards within WeCom's field limits, button keys
that round-trip, and the app-menu hint in place of buttons in a group."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest

from bots.wecom import render
from handlers.case_card import case_card
from handlers.duties import Deps
from handlers.messenger import Button, Message
from policy_text.catalog import Catalog
from state.clock import ManualClock
from state.models import Group, GroupKey, Person, Role
from state.records import Case

CATALOG = Catalog.load()
START = datetime(2026, 11, 23, 9, 0, tzinfo=UTC)
STUDENT = Person(channel="wecom", user_id="zhang.san", name="张三", role=Role.STUDENT, classes=("六年级B班",))
GROUP = Group(key=GroupKey("wecom", "wr-6b"), name="六年级B班家长群", joined_at=START, class_name="六年级B班")
ACK = Button(label_key="case.ack_button", verb="ack", data={"case": "C-2026-000001"})


@pytest.mark.parametrize("locale", ["en", "zh_CN"])
def test_case_card_is_a_button_interaction_card_within_limits(locale: str) -> None:
    """The real case card (here an escalated one about an adult, the longest there is): the title
    keeps the reference, each of the six facts is a labelled row within WeCom's guidance, and
    every line is there whole, in the subtitle or, past its limit, in the quote area."""
    deps = Deps(store=None, messenger=None, clock=ManualClock(START + timedelta(minutes=40)), catalog=CATALOG,  # type: ignore[arg-type]
                school_timezone="Asia/Shanghai")
    case = Case(reference="C-2026-000001", reporter=STUDENT.ref, reporter_role=Role.STUDENT, received_at=START, text="words",
                group=GROUP.key, about_adult=True)
    why = ("case.escalated_deputy", {"leads": "Lee Lead, 刘老师", "minutes": 15})
    message = case_card(deps, case, group=GROUP, reporter=STUDENT, groups=[GROUP], escalated=why)
    card = render.template_card(message, CATALOG, locale, task_id="t1")
    assert card["card_type"] == "button_interaction"
    assert card["main_title"]["title"] == CATALOG.say("case.card_title_escalated", locale, reference="C-2026-000001")
    assert len(card["main_title"]["title"]) <= render.TITLE_LIMIT
    rows = card["horizontal_content_list"]
    assert len(rows) == 6
    assert all(len(row["keyname"]) <= (5 if locale == "zh_CN" else render.KEYNAME_LIMIT) for row in rows)
    assert all(len(row["value"]) <= 26 for row in rows), rows
    assert len(card["sub_title_text"]) <= render.SUBTITLE_LIMIT
    shown = card["sub_title_text"] + "\n" + card.get("quote_area", {}).get("quote_text", "")
    for key, fields in message.lines:
        assert CATALOG.say(key, locale, **fields) in shown
    assert card["button_list"][0]["key"] == "ack:C-2026-000001"


def test_button_keys_round_trip() -> None:
    assert render.decode_button(render.encode_button(ACK)) == ("ack", {"case": "C-2026-000001"})
    assert render.decode_button(render.encode_button(Button(label_key="welcome.report_button", verb="report"))) == ("report", {})
    with pytest.raises(ValueError, match="only a case reference"):
        render.encode_button(Button(label_key="x", verb="v", data={"other": 1}))


def test_group_text_points_to_the_app_menu_instead_of_buttons() -> None:
    welcome = Message(key="welcome.summary", buttons=(Button(label_key="welcome.report_button", verb="report"),))
    in_group = render.text(welcome, CATALOG, "zh_CN", in_group=True)
    assert CATALOG.say("welcome.report_button", "zh_CN") in in_group
    assert in_group.startswith(CATALOG.say("welcome.summary", "zh_CN"))


def test_task_ids_are_stable_within_a_window_and_new_after() -> None:
    card = {"main_title": {"title": "x"}}
    assert render.task_id_for("u", card, 7) == render.task_id_for("u", card, 7)
    assert render.task_id_for("u", card, 7) != render.task_id_for("u", card, 8)


def test_a_register_is_numbered_with_how_to_answer() -> None:
    register = Message(key="lesson.register_title", fields={"group": "6B", "date": "2026-11-23"},
                       toggles=(("wm_li", "李同学"), ("wm_wang", "王同学")),
                       buttons=(Button(label_key="lesson.register_submit", verb="register", data={"lesson": "L1"}),))
    text = render.markdown(register, CATALOG, "zh_CN")
    assert "1. 李同学\n2. 王同学" in text
    assert text.endswith(CATALOG.say("lesson.register_reply_hint", "zh_CN"))


def test_plain_text_shows_no_markdown() -> None:
    """WeCom's plain text would show backticks as typed: a command is quoted instead."""
    refusal = Message(key="direct.refusal_student", fields={"group_hint": ""})
    said = render.text(refusal, CATALOG, "en")
    assert "`" not in said
    assert "“report”" in said
