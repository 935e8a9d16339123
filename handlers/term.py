"""Whether a day is a school day by the school's calendar (000 §5.3: reminders at agreed times).

With no calendar imported every day counts as term. Otherwise a day is in term when it falls in
a term span (or, for a calendar listing only holidays, always) and in no holiday span. Only
reminders look at this: reports and escalations never pause for holidays.
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import date, datetime

from handlers.cron import zone
from state.records import SchoolDays
from state.store import Store


async def in_term(store: Store, at: datetime, timezone: str) -> bool:
    return is_term_day(await store.get_calendar(), at.astimezone(zone(timezone)).date())


def is_term_day(calendar: Sequence[SchoolDays], day: date) -> bool:
    terms = [span for span in calendar if span.kind == "term"]
    in_a_term = not terms or any(span.first <= day <= span.last for span in terms)
    return in_a_term and not any(span.first <= day <= span.last for span in calendar if span.kind == "holiday")
