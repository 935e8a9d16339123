"""Each channel's spelling of a person's id, by channel name: an id from a roster file is spelled
as that channel's own events spell it, so one person has one id, found with an exact match."""

from __future__ import annotations

from collections.abc import Callable

from bots.teams import ids as teams_ids
from bots.wecom import ids as wecom_ids

SPELLINGS: dict[str, Callable[[str], str]] = {"teams": teams_ids.spell_user_id, "wecom": wecom_ids.spell_user_id}


def spell_user_id(channel: str, raw: str) -> str:
    return SPELLINGS[channel](raw)
