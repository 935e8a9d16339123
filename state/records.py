"""What the bot keeps a record of: concern cases, the audit log, schedules and lessons."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date, datetime
from enum import StrEnum

from state.models import GroupKey, PersonRef, Role


class CaseState(StrEnum):
    NEW = "new"
    DELIVERED = "delivered"
    ACKNOWLEDGED = "acknowledged"
    CLOSED = "closed"


class Outcome(StrEnum):
    """How a case was closed: the decision a lead records with its reason (000 §3: formal
    procedures; UK guidance asks for the reason to be written down, not to refer included)."""

    ADVICE = "advice"
    PARENTS_INFORMED = "parents_informed"
    SOCIAL_CARE = "social_care"
    POLICE = "police"
    NO_FURTHER_ACTION = "no_further_action"


class Urgency(StrEnum):
    NORMAL = "normal"
    URGENT = "urgent"


@dataclass(frozen=True, kw_only=True)
class CaseStep:
    """One line of a case's chronology (004 strategy 13: incidents recorded)."""

    at: datetime
    action: str
    actor: str = ""
    detail: dict[str, str] = field(default_factory=dict)


STEP_ACTIONS = ("received", "delivered", "delivery_failed", "escalated_to_deputies", "escalated_to_head", "acknowledged",
                "text_added", "review_reminded", "read", "note", "assigned", "closed", "reopened")
"""Every action a case's chronology records, so the console can name each in the reader's language."""


@dataclass(frozen=True, kw_only=True)
class Case:
    """A reported concern. `text` is the child's words: it reaches only the safeguarding leads,
    so it is kept out of `repr` and therefore out of any log line or traceback."""

    reference: str
    reporter: PersonRef
    reporter_role: Role
    received_at: datetime
    text: str = field(repr=False)
    group: GroupKey | None = None
    urgency: Urgency = Urgency.NORMAL
    about_adult: bool = False
    state: CaseState = CaseState.NEW
    acknowledged_by: str | None = None
    acknowledged_at: datetime | None = None
    drill: bool = False  # a test of the chain (handlers/drill.py): no child, never counted as a real case
    assigned_to: str | None = None  # the member of the safeguarding staff the case is given to
    outcome: Outcome | None = None  # set when closed, cleared when reopened
    steps: tuple[CaseStep, ...] = ()


@dataclass(frozen=True, kw_only=True)
class Cover:
    """A lead away: `person` receives and acts on cases as a safeguarding lead until the end of
    `until` (school time), set by `set_by` at `set_at`."""

    person: PersonRef
    until: date
    set_by: str
    set_at: datetime


FORBIDDEN_AUDIT_DETAIL = frozenset({"text", "body", "content", "message", "report"})
"""Audit detail keys that would invite report contents into the log; refused outright."""


@dataclass(frozen=True, kw_only=True)
class AuditRecord:
    """A decision that touches a child: who, what, which group, which rule, when. Never the
    words of a report (the privacy rule of DEVELOPERS.md)."""

    at: datetime
    action: str
    actor: str
    actor_role: str = ""
    subject: str = ""
    group: str = ""
    clause: str = ""
    outcome: str = ""
    detail: dict[str, str] = field(default_factory=dict)

    def __post_init__(self) -> None:
        leaked = FORBIDDEN_AUDIT_DETAIL & {key.casefold() for key in self.detail}
        if leaked:
            raise ValueError(f"audit detail may not carry {sorted(leaked)}")


@dataclass(frozen=True)
class AuditEntry:
    """An audit record with its place in the one total order across instances."""

    seq: int
    record: AuditRecord


@dataclass(frozen=True, kw_only=True)
class Schedule:
    """When a group gets its e-safety reminders (000 §5.3, §5.5): a cron line in a time zone."""

    group: GroupKey
    cron: str
    timezone: str
    enabled: bool = True
    revision: str = ""  # new on every change: a timer armed for an older revision is superseded


@dataclass(frozen=True, kw_only=True)
class SchoolDays:
    """A span of the school calendar (000 §5.3): `term` days, or a `holiday` inside or between
    terms. Reminders run only on term days that are not holidays; cases never pause."""

    kind: str  # "term" | "holiday"
    first: date
    last: date
    summary: str = ""


@dataclass(frozen=True, kw_only=True)
class Lesson:
    """A live lesson: recorded (000 §5.5), with attendance taken (000 §5.6). `present` is None
    until the register is submitted."""

    lesson_id: str
    group: GroupKey
    started_by: PersonRef
    started_at: datetime
    ended_at: datetime | None = None
    consent_confirmed_by: str | None = None
    roll: tuple[str, ...] = ()  # the class's students when it ended, in the register's order
    present: tuple[str, ...] | None = None
    register_by: str | None = None
    register_at: datetime | None = None
