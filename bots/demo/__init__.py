"""`esafety-bot demo`: the whole bot, in one process, against local fakes, with no cloud account.

It starts the real server on a free loopback port, drives a scripted school day, prints what
happens, and exits non-zero if any expected step did not happen. Each duty adds its scenes.
"""

from __future__ import annotations

import asyncio
import logging
import tempfile
from datetime import UTC, datetime
from pathlib import Path

import aiohttp

from bots.app import bootstrap
from bots.config import load_settings
from bots.console.fakes.identity_provider import FakeIdentityProvider
from bots.demo import concerns, console, directory, drill, foundation, health, reminders, school_contacts, supervision, teams, wecom
from bots.demo.scene import Scene
from bots.demo.transcript import Transcript
from bots.server import run_bot
from bots.sockets import free_port
from bots.teams.channel import TeamsOptions
from bots.teams.fakes.bot_connector import FakeBotConnector
from bots.wecom.channel import WecomOptions
from bots.wecom.fakes.api import FakeWecomApi
from bots.wecom.fakes.callbacks import settings_env
from state.clock import ManualClock

DEMO_START = datetime(2026, 11, 23, 8, 30, tzinfo=UTC)  # a Monday in term


async def run_demo(*, keep: Path | None = None, browse: asyncio.Event | None = None) -> int:
    """Play every scene; with `browse`, keep the server up for a browser until it is set (Ctrl-C)."""
    transcript = Transcript()
    with transcript.watching(logging.getLogger()):
        await _play_all(transcript, keep, browse)
    return transcript.verdict()


async def _play_all(transcript: Transcript, keep: Path | None, browse: asyncio.Event | None) -> None:
    with tempfile.TemporaryDirectory(prefix="esafety-demo-") as scratch:
        folder = keep or Path(scratch)
        folder.mkdir(parents=True, exist_ok=True)
        port = free_port()
        clock = ManualClock(DEMO_START)
        connector = FakeBotConnector(now=lambda: clock.now().timestamp())
        await connector.start()
        wecom_api = FakeWecomApi(now=lambda: clock.now().timestamp())
        await wecom_api.start()
        idp = FakeIdentityProvider(client_id=console.CLIENT_ID, client_secret=console.CLIENT_SECRET, accounts=console.demo_accounts(),
                                   now=lambda: clock.now().timestamp())
        await idp.start()
        settings = load_settings({"ESAFETY_DB": str(folder / "esafety.db"), "PORT": str(port), "ESAFETY_TIMEZONE": "Europe/London",
                                  "ESAFETY_ALLOW_ANONYMOUS": "1", **settings_env(wecom_api.base_url),
                                  **console.console_env(idp, wecom_api, port)})
        bot = await bootstrap(settings, clock=clock, teams_options=TeamsOptions(sleep=clock.sleep),
                              wecom_options=WecomOptions(sleep=clock.sleep))
        stop, started = asyncio.Event(), asyncio.Event()
        transcript.section(f"esafety-bot demo: server on http://127.0.0.1:{port}, fake Bot Connector on {connector.url}, "
                           f"fake WeCom API on {wecom_api.url}, store {settings.db_path}")
        with transcript.staged("esafety.server", "NOBODY WILL RECEIVE REPORTS",
                               "started on an empty database, the server says at once that nobody would receive a report yet"):
            server = asyncio.create_task(run_bot(bot, host="127.0.0.1", port=port, stop=stop, started=started))
            await started.wait()
        try:
            async with aiohttp.ClientSession(f"http://127.0.0.1:{port}") as http:
                scene = Scene(bot=bot, clock=clock, http=http, folder=folder, transcript=transcript)
                await foundation.play(scene, connector.url)
                await teams.play(scene, connector)
                await concerns.play(scene, connector)
                await reminders.play(scene, connector)
                await supervision.play(scene, connector)
                await wecom.play(scene, wecom_api)
                await drill.play(scene, connector, wecom_api)
                await reminders.play_digest(scene, connector)
                await console.play(scene, idp, port)
                await directory.play(scene)
                await school_contacts.play(scene, wecom_api)
            if browse is not None:
                transcript.section(f"The console stays up for you: open http://localhost:{port}/console and sign in as the lead, the "
                                   "deputy, the head or the admin on the demo sign-in page, or with WeCom as 刘老师 (Ctrl-C to stop)")
                await browse.wait()
        finally:
            stop.set()
            await server
            await idp.stop()
        try:
            await health.play(settings, clock, connector, wecom_api, transcript)
        finally:
            await connector.stop()
            await wecom_api.stop()
        await foundation.play_after_restart(transcript, clock, settings)
