"""What a demo scene works with: the running bot, its clock, an HTTP client, and the transcript."""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path
from typing import Any

import aiohttp

from bots.app import Bot
from bots.demo.transcript import Transcript
from bots.teams.fakes.activities import taken_from_inbox
from state.clock import ManualClock


@dataclass
class Scene:
    bot: Bot
    clock: ManualClock
    http: aiohttp.ClientSession
    folder: Path
    transcript: Transcript

    async def post_teams(self, activity: dict[str, Any]) -> tuple[int, Any]:
        """POST a Teams activity as Teams would; once it is accepted, wait until the inbox worker
        has taken it (the webhook only accepts), so the next step sees what it did."""
        async with self.http.post("/api/messages", json=activity) as response:
            body = await response.json() if response.content_type == "application/json" else None
            status = response.status
        if status < 300:
            await taken_from_inbox(self.bot.store, activity)  # the next step's own checks say if it did not
        return status, body
