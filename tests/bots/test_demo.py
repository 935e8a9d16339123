"""`make demo` runs the scripted scenario and every expected step happens."""

from __future__ import annotations

import pytest

from bots.demo import run_demo
from bots.demo.foundation import DEMO_REPORT


async def test_demo_passes_and_never_prints_report_text(capsys: pytest.CaptureFixture[str]) -> None:
    """The demo exits 0 and its transcript never shows a report's words."""
    assert await run_demo() == 0
    out = capsys.readouterr().out
    assert "Demo complete" in out
    assert DEMO_REPORT not in out
