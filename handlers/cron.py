"""When a schedule fires: a cron line read in a group's own time zone (000 §5.3: broadcast times
agreed with the school), parsed by croniter rather than by hand.

The cron line is walked in local wall-clock time and each time found is placed in the zone:
a time the clocks skip in spring (01:30 when 01:00 jumps to 02:00) fires once, an hour later on
the wall clock; a time the clocks pass twice in autumn fires once, the first time. So a change
of daylight-saving time neither skips nor doubles a reminder.
"""

from __future__ import annotations

from datetime import UTC, datetime, time, timedelta
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from croniter import CroniterError, croniter


class ScheduleError(ValueError):
    """A cron line or time zone a person gave is not valid. The message says why (for the command
    line); `key` and `fields` say it in the person's language in a chat (policy_text)."""

    def __init__(self, message: str, *, key: str, fields: dict[str, str]) -> None:
        super().__init__(message)
        self.key = key
        self.fields = fields


def check(cron: str, timezone: str) -> None:
    """A readable five-field line, at most once an hour (a reminder every minute would drown a
    class chat: the minute field names one minute), in a known time zone."""
    if not croniter.is_valid(cron) or len(cron.split()) != 5:
        raise _bad_cron(cron)
    minutes = croniter(cron).expanded[0]  # ['*'] for every minute
    if len(minutes) != 1 or minutes[0] == "*":
        raise ScheduleError(f"{cron!r} would post more than once an hour: give one minute, e.g. '0 9 * * MON'",
                            key="schedule.too_often", fields={"cron": cron})
    zone(timezone)


def zone(timezone: str) -> ZoneInfo:
    try:
        return ZoneInfo(timezone)
    except (ZoneInfoNotFoundError, ValueError):
        raise ScheduleError(f"{timezone!r} is not an IANA time zone, e.g. 'Asia/Shanghai' or 'Europe/London'",
                            key="schedule.bad_zone", fields={"zone": timezone}) from None


def _bad_cron(cron: str) -> ScheduleError:
    return ScheduleError(f"{cron!r} is not a cron line of five fields (minute hour day month weekday), e.g. '0 9 * * MON'",
                         key="schedule.bad_cron", fields={"cron": cron})


def next_fire(cron: str, timezone: str, after: datetime) -> datetime:
    """The first time strictly after `after` that `cron` names in `timezone`, in UTC."""
    place = zone(timezone)
    wall = after.astimezone(place).replace(tzinfo=None)
    try:
        walker = croniter(cron, wall)
        while True:
            candidate = walker.get_next(datetime).replace(tzinfo=place).astimezone(UTC)
            if candidate > after:
                return candidate
    except CroniterError:
        raise _bad_cron(cron) from None


def in_quiet_hours(at: datetime, timezone: str, quiet: tuple[time, time] | None) -> bool:
    """True when `at`, on the group's clock, falls in the quiet window (e.g. 21:00–07:00)."""
    if quiet is None:
        return False
    start, end = quiet
    local = at.astimezone(zone(timezone)).time()
    return start <= local < end if start < end else local >= start or local < end


def quiet_hours_end(at: datetime, timezone: str, quiet: tuple[time, time]) -> datetime:
    """The first moment after `at` (in quiet hours) when they end, on the group's clock."""
    place = zone(timezone)
    local = at.astimezone(place)
    end = datetime.combine(local.date(), quiet[1], tzinfo=place)
    return (end if end > local else end + timedelta(days=1)).astimezone(UTC)
