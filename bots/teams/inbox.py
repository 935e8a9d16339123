"""Processing accepted Teams activities from the durable inbox.

The webhook has already answered Teams; here each stored activity runs through botbuilder's
TeamsActivityHandler in a turn of its own (the adapter's proactive path, with the bot's own
identity for outbound calls such as reading a roster), so the same handler serves it as when it
ran inside the request. A failure raises: the worker retries the item with back-off and in the
end parks it where a person sees it, so an activity accepted by the webhook is never dropped.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from botbuilder.integration.aiohttp import CloudAdapter
from botbuilder.schema import Activity

from bots.teams.bot import TeamsSafetyBot
from bots.teams.endpoint import TEAMS_ACTIVITY
from state.due import DueItem


@dataclass(frozen=True)
class TeamsInbox:
    adapter: CloudAdapter
    bot: TeamsSafetyBot
    app_id: str

    def handlers(self) -> dict[str, Any]:
        return {TEAMS_ACTIVITY: self.process}

    async def process(self, item: DueItem) -> None:
        activity = Activity().deserialize(item.payload["activity"])
        identity = self.adapter.create_claims_identity(self.app_id)
        await self.adapter.process_proactive(identity, activity, None, self.bot.on_turn)
