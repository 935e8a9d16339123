"""The timings and contacts of concern handling, supervision and reminders, chosen by the school
(README settings)."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import time
from typing import Any

from handlers.school_hours import SchoolHours
from policy_text.catalog import words

CONTACT_KEYS = {"GB": "emergency.contacts_gb", "CN": "emergency.contacts_cn"}
DEFAULT_SCHOOL_HOURS = "MON-FRI 08:00-16:00"
DEFAULT_REMINDER_CRON = "0 9 * * MON"
DEFAULT_QUIET_HOURS = "21:00-07:00"
DEFAULT_DIGEST = "MON 08:00"
"""The defaults written as a school writes them in its settings (bots/config.py parses them)."""


@dataclass(frozen=True, kw_only=True)
class CasePolicy:
    ack_timeout_seconds: int = 900
    second_escalation_seconds: int = 900
    urgent_ack_timeout_seconds: int = 120
    report_window_seconds: int = 300
    school_hours: SchoolHours = field(default_factory=lambda: SchoolHours.parse(DEFAULT_SCHOOL_HOURS))
    school_country: str = "GB"
    emergency_contacts: str = ""  # the school's own numbers, used as given instead of the country default
    review_days: int = 7  # an acknowledged case still open this long re-alerts whoever has it
    review_repeat_hours: int = 24  # and again this often, until it is closed
    retention_days: int | None = None  # None: the safeguarding record is kept for ever (nothing may be purged)
    drill_cron: str | None = None  # a drill of the whole chain on this schedule (school time); None: only when asked


def emergency_contacts(cases: CasePolicy) -> Any:
    """Whom a child in danger should call now: the school's own contacts, else its country's (in
    the reader's language)."""
    return cases.emergency_contacts or words(CONTACT_KEYS[cases.school_country])


@dataclass(frozen=True, kw_only=True)
class SupervisionPolicy:
    """How the supervision rule is enforced (000 §5; 004 strategy 18); README settings."""

    rule: str = "admin_team"
    recheck_seconds: int = 1800
    warning_interval_seconds: int = 3600
    grace_seconds: int = 600  # the group is warned only this long after it was found unsupervised
    warnings_per_day: int = 3  # group warnings a day at most (never in quiet hours)
    escalate_seconds: int = 3600
    recording_retention_days: int = 365


@dataclass(frozen=True, kw_only=True)
class ReminderPolicy:
    """When e-safety reminders are posted (000 §5.3, §5.5 and closing paragraph). `default_cron`
    None means a newly joined group gets no schedule until staff set one."""

    default_cron: str | None = DEFAULT_REMINDER_CRON
    quiet_hours: tuple[time, time] | None = (time(21, 0), time(7, 0))
    catchup_grace_seconds: int = 3600
    lesson_notice_seconds: int = 900  # the recording notice is said again this often during a lesson
    digest_cron: str | None = "0 8 * * MON"  # the weekly digest to the leads, school time; None: off
