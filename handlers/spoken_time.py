"""Times and durations as people read them, in their own language: the school's clock (never
UTC), and "about 7 days" rather than "10050 min". Each is `words(...)`, said when the message is
rendered for its reader (004 strategy 13: a record a person can act on)."""

from __future__ import annotations

from datetime import date, datetime
from typing import Any
from zoneinfo import ZoneInfo

from policy_text.catalog import words


def school_time_words(at: datetime, timezone: str) -> dict[str, Any]:
    """`Mon 30 Nov 08:00` / `11月30日（周一）08:00`, on the school's clock."""
    local = at.astimezone(ZoneInfo(timezone))
    return words("time.school", weekday=words(f"weekday.{local.weekday()}"), day=local.day, month=words(f"month.{local.month}"),
                 clock=f"{local:%H:%M}")


def date_words(day: date) -> dict[str, Any]:
    """`30 Nov` / `11月30日`: a day, as a cover's last day or a digest's week is told."""
    return words("time.date", day=day.day, month=words(f"month.{day.month}"))


def duration_words(seconds: float) -> dict[str, Any]:
    """Minutes up to an hour and a half, then hours up to two days, then days: as exact as is useful."""
    minutes = int(seconds // 60)
    if minutes < 1:
        return words("duration.under_a_minute")
    if minutes < 90:
        return words("duration.minutes", n=minutes)
    if minutes < 48 * 60:
        return words("duration.hours", n=round(minutes / 60))
    return words("duration.days", n=round(minutes / 1440))


def ago_words(seconds: float) -> dict[str, Any]:
    return words("time.ago", duration=duration_words(seconds))
