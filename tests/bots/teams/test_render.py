"""A case card as Teams shows it: an Adaptive Card with the facts as a FactSet, in the reader's
language, well inside Teams' message size limit (about 28 KB)."""

from __future__ import annotations

import json
from datetime import UTC, datetime, timedelta

from bots.teams.render import card
from handlers.case_card import case_card
from handlers.duties import Deps
from handlers.messenger import Button, Message
from policy_text.catalog import Catalog, Queued
from state.clock import ManualClock
from state.models import Person, PersonRef, Role
from state.records import Case

CATALOG = Catalog.load()
START = datetime(2026, 11, 23, 9, 0, tzinfo=UTC)
AMIRA = Person(channel="teams", user_id="s1", name="Amira Example", role=Role.STUDENT, classes=("5A",))


def test_a_case_card_is_a_factset_in_the_readers_language() -> None:
    deps = Deps(store=None, messenger=None, clock=ManualClock(START + timedelta(hours=3)), catalog=CATALOG)  # type: ignore[arg-type]
    case = Case(reference="C-2026-000001", reporter=PersonRef("teams", "s1"), reporter_role=Role.STUDENT, received_at=START, text="w")
    content = card(case_card(deps, case, group=None, reporter=AMIRA), CATALOG, "zh_CN")
    title, facts = content["body"][:2]
    assert title["text"] == "新的求助 C-2026-000001"
    assert facts["type"] == "FactSet"
    assert [(fact["title"], fact["value"]) for fact in facts["facts"]] == [
        ("收到时间", "11月23日（周一）09:00"), ("已过去", "约 3 小时"), ("紧急程度", "一般"), ("报告人", "Amira Example（学生）"),
        ("班级", "5A"), ("来自", "与机器人的私聊（Teams）")]
    assert [action["title"] for action in content["actions"]] == ["确认接手"]
    assert len(json.dumps(content, ensure_ascii=False).encode()) < 28_000


def test_a_card_queued_by_an_earlier_version_still_renders() -> None:
    """An outbox entry from before the card changed: a retired sentence is left out, a field added
    since is shown as '-', and the card (with its button) still goes."""
    old = Message(key="case.card_title", fields={"reference": "C-2026-000001"},
                  lines=(("case.escalated_deputy", {"reference": "C-2026-000001", "minutes": 15}),
                         ("case.card_urgency", {"urgency": "normal"})),
                  buttons=(Button(label_key="case.ack_button", verb="ack", data={"case": "C-2026-000001"}),))
    content = card(old, Queued(CATALOG), "en")
    assert [block["text"] for block in content["body"]] == [
        "New concern C-2026-000001", "Passed on to you: - did not acknowledge it within 15 minutes."]
    assert [action["verb"] for action in content["actions"]] == ["ack"]
