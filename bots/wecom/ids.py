"""How WeCom spells a person's id: userids are case-sensitive, so they are kept exactly as WeCom
issues them (only stray spaces around one, as a roster file may have, are dropped)."""

from __future__ import annotations


def spell_user_id(raw: str) -> str:
    return raw.strip()
