"""The lead's card: six facts a lead acts from, in the lead's own language and the school's
clock; an escalated card laid out as an escalation; an acknowledged card keeps its facts."""

from __future__ import annotations

from dataclasses import replace
from datetime import timedelta

from handlers.case_card import acknowledged, case_card
from handlers.duties import Deps
from policy_text.catalog import Catalog
from state.models import Group, GroupKey, PersonRef, Role
from state.records import Case, Urgency
from tests.conftest import START
from tests.handlers.conftest import SCHOOL

AMIRA = SCHOOL[0]
CASE = Case(reference="C-2026-000042", reporter=AMIRA.ref, reporter_role=Role.STUDENT, received_at=START, text="words")
CLASS_CHAT = Group(key=GroupKey("teams", "19:class5a"), name="Class 5A chat", joined_at=START, class_name="5A")


def facts(deps: Deps, card_case: Case, locale: str, **where: object) -> dict[str, str]:
    card = case_card(deps, card_case, reporter=AMIRA, **where)  # type: ignore[arg-type]
    return {deps.catalog.say(label, locale): str(deps.catalog.value(value, locale)) for label, value in card.facts}


def test_a_private_report_shows_when_how_long_ago_who_which_class_and_where(school: Deps) -> None:
    school.clock.advance(12 * 60)  # type: ignore[attr-defined]
    deps = replace(school, school_timezone="Asia/Shanghai")
    assert facts(deps, CASE, "en", group=None) == {
        "Received": "Mon 23 Nov 17:00", "Elapsed": "12 min", "Urgency": "normal", "From": "Amira Pupil (student)",
        "Class": "5A", "Where": "a private chat with the bot (Teams)"}
    assert facts(deps, replace(CASE, urgency=Urgency.URGENT), "zh_CN", group=None) == {
        "收到时间": "11月23日（周一）17:00", "已过去": "12 分钟", "紧急程度": "紧急", "报告人": "Amira Pupil（学生）",
        "班级": "5A", "来自": "与机器人的私聊（Teams）"}


def test_a_report_from_a_group_names_the_group_and_tells_twins_apart(school: Deps) -> None:
    twin = replace(CLASS_CHAT, key=GroupKey("wecom", "wr-5a"))
    in_group = replace(CASE, group=CLASS_CHAT.key)
    where = facts(school, in_group, "en", group=CLASS_CHAT, groups=[CLASS_CHAT, twin])["Where"]
    assert where.startswith("Class 5A chat (class 5A, Teams group ")
    assert where.endswith(") (Teams)")


def test_an_unknown_reporter_and_class_are_said_so_never_an_id(school: Deps) -> None:
    stranger = replace(CASE, reporter=PersonRef("teams", "0f5a1c2e-9999"), reporter_role=Role.UNKNOWN)
    card = case_card(school, stranger, group=None, reporter=None)
    said = {school.catalog.say(label): str(school.catalog.value(value)) for label, value in card.facts}
    assert (said["From"], said["Class"]) == ("someone not on the roster", "not known")
    assert "0f5a1c2e" not in str(said)


def test_an_escalated_card_says_first_why_it_came(school: Deps, catalog: Catalog) -> None:
    why = ("case.escalated_deputy", {"leads": "Lee Lead", "minutes": 15})
    card = case_card(school, CASE, group=None, reporter=AMIRA, escalated=why)
    assert card.key == "case.card_title_escalated"
    key, fields = card.lines[0]
    assert catalog.say(key, **fields) == "Passed on to you: Lee Lead did not acknowledge it within 15 minutes."
    assert [key for key, _ in card.lines[1:]] == ["case.next_step", "case.text_follows"]
    assert [button.verb for button in card.buttons] == ["ack"]


def test_an_acknowledged_card_keeps_its_facts_and_loses_its_button(school: Deps) -> None:
    school.clock.advance(timedelta(minutes=5).total_seconds())  # type: ignore[attr-defined]
    card = case_card(school, CASE, group=None, reporter=AMIRA)
    done = acknowledged(card, ("case.acknowledged_by", {"by": "Lee Lead", "at": "09:05"}))
    assert (done.key, done.facts, done.buttons) == ("case.card_title", card.facts, ())
    assert done.lines == (("case.acknowledged_by", {"by": "Lee Lead", "at": "09:05"}),)
