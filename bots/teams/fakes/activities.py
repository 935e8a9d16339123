"""Recorded Teams activity shapes (JSON files beside this module), pointed at a fake connector.
Used by the Teams tests and by `make demo`."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

from botbuilder.schema import Activity

from bots.teams.translate import dedup_key, joined
from bots.waiting import eventually
from handlers.events import GroupJoined
from state.due import Queue
from state.store import Store

PAYLOADS = Path(__file__).parent / "payloads"


def teams_activity(name: str, service_url: str, **changes: Any) -> dict[str, Any]:
    data = json.loads((PAYLOADS / f"{name}.json").read_text(encoding="utf-8").replace("{SERVICE_URL}", service_url))
    return {**data, **changes}


def joined_event(name: str, service_url: str) -> GroupJoined:
    """The GroupJoined that Teams' translation makes of a recorded bot-added payload."""
    return joined(Activity().deserialize(teams_activity(name, service_url)))


async def taken_from_inbox(store: Store, activity: dict[str, Any], *, seconds: float = 10.0) -> bool:
    """Whether the inbox worker took an accepted activity within `seconds` (done, or failed at
    least once): the webhook only accepts, so a step that reads what it did waits for this."""
    key = dedup_key(activity["conversation"]["id"], activity["id"])

    async def taken() -> bool:
        item = await store.get_due(Queue.INBOX, key)
        return item is None or item.attempts > 0

    return await eventually(taken, seconds=seconds)


def card_text(card: dict[str, Any]) -> str:
    """An Adaptive Card as one line, the way a reader takes it in: text blocks, `label: value`
    facts, and the buttons' titles."""
    parts: list[str] = []
    for block in card.get("body", []):
        if block.get("type") == "FactSet":
            parts += [f"{fact['title']}: {fact['value']}" for fact in block["facts"]]
        elif "text" in block:
            parts.append(str(block["text"]))
    parts += [f"[{action['title']}]" for action in card.get("actions", [])]
    return " | ".join(parts)
