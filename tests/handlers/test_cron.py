"""Cron lines in a group's time zone: DST neither skips nor doubles; quiet hours; term days."""

from __future__ import annotations

from datetime import UTC, date, datetime, time

import pytest

from handlers.cron import ScheduleError, check, in_quiet_hours, next_fire, quiet_hours_end
from handlers.term import is_term_day
from state.records import SchoolDays


def fires(cron: str, timezone: str, start: datetime, count: int) -> list[datetime]:
    found, at = [], start
    for _ in range(count):
        at = next_fire(cron, timezone, at)
        found.append(at)
    return found


def test_daily_nine_oclock_stays_nine_oclock_across_both_changes() -> None:
    spring = fires("0 9 * * *", "Europe/London", datetime(2026, 3, 27, 12, tzinfo=UTC), 4)
    autumn = fires("0 9 * * *", "Europe/London", datetime(2026, 10, 23, 12, tzinfo=UTC), 4)
    assert all(when.tzinfo is UTC for when in spring + autumn)
    assert [f.isoformat() for f in spring] == ["2026-03-28T09:00:00+00:00", "2026-03-29T08:00:00+00:00",
                                               "2026-03-30T08:00:00+00:00", "2026-03-31T08:00:00+00:00"]
    assert [f.isoformat() for f in autumn] == ["2026-10-24T08:00:00+00:00", "2026-10-25T09:00:00+00:00",
                                               "2026-10-26T09:00:00+00:00", "2026-10-27T09:00:00+00:00"]


def test_a_time_the_clocks_skip_fires_once_and_one_they_repeat_fires_once() -> None:
    spring = fires("30 1 * * *", "Europe/London", datetime(2026, 3, 28, 12, tzinfo=UTC), 3)
    assert [f.date() for f in spring] == [date(2026, 3, 29), date(2026, 3, 30), date(2026, 3, 31)]
    assert spring[0] == datetime(2026, 3, 29, 1, 30, tzinfo=UTC)  # 02:30 BST: the skipped 01:30, an hour on
    autumn = fires("30 1 * * *", "Europe/London", datetime(2026, 10, 24, 12, tzinfo=UTC), 3)
    assert [f.date() for f in autumn] == [date(2026, 10, 25), date(2026, 10, 26), date(2026, 10, 27)]
    assert autumn[0] == datetime(2026, 10, 25, 0, 30, tzinfo=UTC)  # the first of the two 01:30s


def test_the_zone_decides_the_hour() -> None:
    (shanghai,) = fires("0 9 * * MON", "Asia/Shanghai", datetime(2026, 11, 23, 0, 0, tzinfo=UTC), 1)
    assert shanghai == datetime(2026, 11, 23, 1, 0, tzinfo=UTC)


@pytest.mark.parametrize(("cron", "zone", "says"), [("61 9 * * *", "UTC", "five fields"), ("0 9 * *", "UTC", "five fields"),
                                                    ("0 9 * * MON", "Mars/Base", "IANA")])
def test_bad_schedules_say_why(cron: str, zone: str, says: str) -> None:
    with pytest.raises(ScheduleError, match=says):
        check(cron, zone)


def test_quiet_hours_wrap_midnight() -> None:
    quiet = (time(21, 0), time(7, 0))
    at = lambda hour, minute=0: datetime(2026, 11, 23, hour, minute, tzinfo=UTC)  # noqa: E731
    assert [in_quiet_hours(at(h), "UTC", quiet) for h in (20, 21, 23, 3, 6)] == [False, True, True, True, True]
    assert not in_quiet_hours(at(7), "UTC", quiet)
    assert in_quiet_hours(at(13), "Asia/Shanghai", quiet)  # 21:00 in Shanghai
    assert not in_quiet_hours(at(23), "UTC", None)


def test_quiet_hours_end_on_the_groups_clock() -> None:
    quiet = (time(21, 0), time(7, 0))
    assert quiet_hours_end(datetime(2026, 11, 23, 22, 0, tzinfo=UTC), "UTC", quiet) == datetime(2026, 11, 24, 7, 0, tzinfo=UTC)
    assert quiet_hours_end(datetime(2026, 11, 24, 3, 0, tzinfo=UTC), "UTC", quiet) == datetime(2026, 11, 24, 7, 0, tzinfo=UTC)
    # 22:00 in Shanghai (UTC+8) ends at 07:00 there, 23:00 UTC
    assert quiet_hours_end(datetime(2026, 11, 23, 14, 0, tzinfo=UTC), "Asia/Shanghai", quiet) == datetime(2026, 11, 23, 23, 0, tzinfo=UTC)
    # the night the UK's clocks go back (25 October 2026): quiet from 23:00 BST ends at 07:00 GMT, 07:00 UTC
    assert quiet_hours_end(datetime(2026, 10, 24, 22, 0, tzinfo=UTC), "Europe/London", quiet) == datetime(2026, 10, 25, 7, 0, tzinfo=UTC)


def test_term_days() -> None:
    autumn = SchoolDays(kind="term", first=date(2026, 9, 3), last=date(2026, 12, 18))
    half_term = SchoolDays(kind="holiday", first=date(2026, 10, 26), last=date(2026, 10, 30))
    assert is_term_day([], date(2026, 8, 1)), "no calendar: every day counts"
    assert is_term_day([autumn, half_term], date(2026, 10, 23))
    assert not is_term_day([autumn, half_term], date(2026, 10, 27))
    assert not is_term_day([autumn, half_term], date(2026, 12, 25))
    assert not is_term_day([half_term], date(2026, 10, 27)), "holidays only: everything else is term"
    assert is_term_day([half_term], date(2026, 11, 2))
