"""Term dates from an iCalendar export: terms, holidays (end dates exclusive), and what is ignored."""

from __future__ import annotations

from datetime import date

import pytest

from handlers.calendar_import import CalendarError, parse_calendar

ICS = b"""BEGIN:VCALENDAR
VERSION:2.0
PRODID:-//School//Calendar//EN
BEGIN:VEVENT
UID:1@school
SUMMARY:Autumn Term
DTSTART;VALUE=DATE:20260903
DTEND;VALUE=DATE:20261219
END:VEVENT
BEGIN:VEVENT
UID:2@school
SUMMARY:October Half Term
DTSTART;VALUE=DATE:20261026
DTEND;VALUE=DATE:20261031
END:VEVENT
BEGIN:VEVENT
UID:3@school
SUMMARY:\xe5\x9b\xbd\xe5\xba\x86\xe5\x81\x87\xe6\x9c\x9f
DTSTART;VALUE=DATE:20261001
DTEND;VALUE=DATE:20261008
END:VEVENT
BEGIN:VEVENT
UID:4@school
SUMMARY:Parents' evening
DTSTART:20261112T170000Z
DTEND:20261112T190000Z
END:VEVENT
END:VCALENDAR
"""


def test_terms_holidays_and_ignored_events() -> None:
    imported = parse_calendar(ICS)
    assert [(s.kind, s.first, s.last) for s in imported.spans] == [
        ("term", date(2026, 9, 3), date(2026, 12, 18)),
        ("holiday", date(2026, 10, 1), date(2026, 10, 7)),
        ("holiday", date(2026, 10, 26), date(2026, 10, 30)),
    ]
    assert imported.ignored == ("Parents' evening",)


def test_not_a_calendar_or_nothing_useful_is_a_clear_error() -> None:
    with pytest.raises(CalendarError, match="iCalendar"):
        parse_calendar(b"name,date\nterm,2026-09-03\n")
    only_events = ICS.replace(b"Autumn Term", b"Sports day").replace(b"October Half Term", b"Trip").replace(
        b"\xe5\x9b\xbd\xe5\xba\x86\xe5\x81\x87\xe6\x9c\x9f", b"Concert")
    with pytest.raises(CalendarError, match="no term or holiday"):
        parse_calendar(only_events)
