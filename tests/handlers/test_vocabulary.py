"""What people type: in Chinese the gentle words a child would use start a report, and the
older command words still work."""

from __future__ import annotations

import pytest

from handlers.vocabulary import Command, parse_command


@pytest.mark.parametrize(("typed", "command"), [
    ("告诉老师 有人在群里欺负我", Command("report", "有人在群里欺负我")),
    ("告诉老师有人在群里欺负我", Command("report", "有人在群里欺负我")),
    ("求助 我很害怕", Command("report", "我很害怕")),
    ("举报有人骂我", Command("report", "有人骂我")),
    ("报告 大人 老师打我", Command("report_adult", "老师打我")),
    ("report adult a teacher hit me", Command("report_adult", "a teacher hit me")),
])
def test_report_words(typed: str, command: Command) -> None:
    assert parse_command(typed) == command
