"""`make demo` runs the scripted scenario and every expected step happens."""

from __future__ import annotations

import pytest

from bots.demo import run_demo
from bots.demo.foundation import DEMO_REPORT


async def test_demo_passes_and_never_prints_report_text(capsys: pytest.CaptureFixture[str]) -> None:
    """The demo exits 0, with no error logged that it did not stage (staged ones are told in the
    transcript instead), and its transcript never shows a report's words."""
    assert await run_demo() == 0
    out = capsys.readouterr().out
    assert "Demo complete" in out
    assert "no unexpected error was logged" in out
    assert out.count("server log (expected): ERROR") == 2
    assert DEMO_REPORT not in out


def test_an_error_the_demo_did_not_stage_fails_it() -> None:
    """Staged errors are kept off stderr and told; any other fails the verdict."""
    import io
    import logging

    from bots.demo.transcript import Transcript

    out, logger = io.StringIO(), logging.getLogger("esafety.demo-check")
    transcript = Transcript(out)
    with transcript.watching(logging.getLogger()):
        with transcript.staged("esafety.demo-check", "on purpose", "the staged error is logged"):
            logger.error("failing on purpose")
        logger.error("something nobody expected")
    assert transcript.verdict() == 1
    assert "server log (expected): ERROR failing on purpose" in out.getvalue()
    assert "an unexpected error was logged: esafety.demo-check: something nobody expected" in out.getvalue()


def test_make_demo_leaves_stderr_clean() -> None:
    """As `make demo` runs it: exit 0, and nothing at all on stderr (log lines at ERROR only, and
    the errors it stages are told in the transcript)."""
    import os
    import subprocess
    import sys

    environment = {k: v for k, v in os.environ.items() if not k.startswith(("ESAFETY_", "REDIS_", "WECOM_", "Microsoft"))}
    done = subprocess.run([sys.executable, "-m", "bots.cli", "demo"], env=environment, capture_output=True, text=True, timeout=300,
                          check=False)
    assert done.returncode == 0, done.stdout[-2000:]
    assert done.stderr == ""
    assert "Demo complete" in done.stdout
