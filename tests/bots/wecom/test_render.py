"""Neutral messages in WeCom's shapes: template cards within WeCom's field limits, button keys
that round-trip, and the app-menu hint in place of buttons in a group."""

from __future__ import annotations

import pytest

from bots.wecom import render
from handlers.messenger import Button, Message
from policy_text.catalog import Catalog

CATALOG = Catalog.load()
ACK = Button(label_key="case.ack_button", verb="ack", data={"case": "C-2026-000001"})


def test_case_card_is_a_button_interaction_card_within_limits() -> None:
    message = Message(key="case.card_title", fields={"reference": "C-2026-000001"},
                      lines=(("case.card_group", {"group": "六年级B班家长群" * 10}),), buttons=(ACK,))
    card = render.template_card(message, CATALOG, "zh_CN", task_id="t1")
    assert card["card_type"] == "button_interaction"
    assert len(card["main_title"]["title"]) <= render.TITLE_LIMIT
    assert len(card["sub_title_text"]) <= render.SUBTITLE_LIMIT
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
