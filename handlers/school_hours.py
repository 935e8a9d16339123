"""When a person at school will read a report: the school's hours, e.g. `MON-FRI 08:00-16:00`.

Outside them a child is told when someone will see the report and whom to call meanwhile
(004 strategy 9: concerns reported immediately — the bot must be honest about 'immediately').
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import datetime, time, timedelta

DAYS = ("MON", "TUE", "WED", "THU", "FRI", "SAT", "SUN")
PATTERN = re.compile(r"^\s*([A-Z]{3})(?:-([A-Z]{3}))?\s+(\d{2}):(\d{2})-(\d{2}):(\d{2})\s*$")


@dataclass(frozen=True)
class SchoolHours:
    days: frozenset[int]
    opens: time
    closes: time

    @classmethod
    def parse(cls, text: str) -> SchoolHours:
        match = PATTERN.match(text.upper())
        if not match or match.group(1) not in DAYS or (match.group(2) and match.group(2) not in DAYS):
            raise ValueError(f"school hours must look like MON-FRI 08:00-16:00, got {text!r}")
        first = DAYS.index(match.group(1))
        last = DAYS.index(match.group(2) or match.group(1))
        opens, closes = time(int(match.group(3)), int(match.group(4))), time(int(match.group(5)), int(match.group(6)))
        if last < first or closes <= opens:
            raise ValueError(f"school hours run forwards, e.g. MON-FRI 08:00-16:00, got {text!r}")
        return cls(frozenset(range(first, last + 1)), opens, closes)

    def is_open(self, local: datetime) -> bool:
        return local.weekday() in self.days and self.opens <= local.time() < self.closes

    def next_open(self, local: datetime) -> datetime:
        """The next moment (at or after `local`) when school is open."""
        if self.is_open(local):
            return local
        for days_ahead in range(8):
            day = (local + timedelta(days=days_ahead)).date()
            start = datetime.combine(day, self.opens, tzinfo=local.tzinfo)
            if day.weekday() in self.days and start >= local:
                return start
        raise AssertionError("school hours name at least one day")
