"""How Teams spells a person's id. Entra object ids and user principal names ignore case, so one
spelling, case-folded, is kept wherever a Teams id enters: an activity, a roster file."""

from __future__ import annotations


def spell_user_id(raw: str) -> str:
    return raw.strip().casefold()
