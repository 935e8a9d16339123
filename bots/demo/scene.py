"""What a demo scene works with: the running bot, its clock, an HTTP client, and the transcript."""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

import aiohttp

from bots.app import Bot
from bots.demo.transcript import Transcript
from state.clock import ManualClock


@dataclass
class Scene:
    bot: Bot | None
    clock: ManualClock
    http: aiohttp.ClientSession | None
    folder: Path
    transcript: Transcript
