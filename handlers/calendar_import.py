"""Reading the school's term dates from an iCalendar file (what school calendars export), with
the icalendar library (000 §5.3: reminders at agreed times, so none in the holidays).

An all-day event whose title names a holiday or break (half term, 假期, …) is a holiday; one
whose title names a term (学期) is a term; anything else is listed back as ignored, so a person
sees what was not understood. An event's end date is exclusive (RFC 5545), so a Monday-to-Friday
holiday ends on Saturday in the file and on Friday here.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime, timedelta

from icalendar import Calendar

from state.records import SchoolDays

HOLIDAY_WORDS = ("holiday", "half term", "half-term", "halfterm", "break", "closed", "closure", "vacation", "假", "休")
TERM_WORDS = ("term", "semester", "学期")


class CalendarError(ValueError):
    """The file is not an iCalendar file, or has no term or holiday in it."""


@dataclass(frozen=True)
class ImportedCalendar:
    spans: tuple[SchoolDays, ...]
    ignored: tuple[str, ...]


def parse_calendar(data: bytes) -> ImportedCalendar:
    try:
        calendar = Calendar.from_ical(data)
    except ValueError as error:
        raise CalendarError(f"not an iCalendar (.ics) file: {error}") from None
    spans: list[SchoolDays] = []
    ignored: list[str] = []
    for event in calendar.walk("VEVENT"):
        summary = str(event.get("SUMMARY", "")).strip()
        kind = _kind(summary)
        if kind is None or event.get("DTSTART") is None:
            ignored.append(summary or "(untitled event)")
            continue
        first = _day(event.decoded("DTSTART"))
        end = event.decoded("DTEND") if event.get("DTEND") is not None else None
        last = _day(end) - timedelta(days=1) if isinstance(end, date) and not isinstance(end, datetime) else _day(end or first)
        spans.append(SchoolDays(kind=kind, first=first, last=max(first, last), summary=summary))
    if not spans:
        raise CalendarError("no term or holiday found: event titles should name a term (e.g. 'Autumn term') or a holiday")
    return ImportedCalendar(tuple(sorted(spans, key=lambda span: (span.first, span.kind))), tuple(ignored))


def _kind(summary: str) -> str | None:
    words = summary.casefold()
    if any(word in words for word in HOLIDAY_WORDS):
        return "holiday"
    if any(word in words for word in TERM_WORDS):
        return "term"
    return None


def _day(value: date | datetime) -> date:
    return value.date() if isinstance(value, datetime) else value
