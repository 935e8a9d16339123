"""What a demo scene works with: the running bot, its clock, an HTTP client, and the transcript."""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path
from typing import Any

import aiohttp

from bots.app import Bot
from bots.demo.transcript import Transcript
from bots.teams.translate import dedup_key
from bots.waiting import eventually
from state.clock import ManualClock
from state.due import Queue


@dataclass
class Scene:
    bot: Bot | None
    clock: ManualClock
    http: aiohttp.ClientSession | None
    folder: Path
    transcript: Transcript

    async def post_teams(self, activity: dict[str, Any]) -> tuple[int, Any]:
        """POST a Teams activity as Teams would; once it is accepted, wait until the inbox worker
        has taken it (the webhook only accepts), so the next step sees what it did."""
        assert self.http is not None
        assert self.bot is not None
        async with self.http.post("/api/messages", json=activity) as response:
            body = await response.json() if response.content_type == "application/json" else None
            status = response.status
        if status < 300:
            key, store = dedup_key(activity["conversation"]["id"], activity["id"]), self.bot.store

            async def taken() -> bool:
                item = await store.get_due(Queue.INBOX, key)
                return item is None or item.attempts > 0

            await eventually(taken, seconds=10)
        return status, body
