"""`make demo` runs the scripted scenario and every expected step happens."""

from __future__ import annotations

import asyncio
import re

import aiohttp
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


async def test_demo_console_keeps_the_server_up_for_a_browser_until_told_to_stop(capsys: pytest.CaptureFixture[str]) -> None:
    """`esafety-bot demo --console`: after the scenes the server stays up, its address printed,
    with the console's sign-in page (through the demo identity provider) answering until Ctrl-C."""
    browse = asyncio.Event()
    demo = asyncio.create_task(run_demo(browse=browse))
    printed = ""
    while (found := re.search(r"open (http://localhost:\d+)/console", printed)) is None and not demo.done():
        await asyncio.sleep(0.2)
        printed += capsys.readouterr().out
    assert found is not None, printed[-2000:]
    async with aiohttp.ClientSession(found.group(1)) as http, http.get("/console/sign-in/start", allow_redirects=False) as start:
        assert start.status == 302
        assert "/authorize?" in start.headers["Location"]
        assert "code_challenge_method=S256" in start.headers["Location"]
    browse.set()
    assert await demo == 0


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
