"""The weekly safeguarding digest to each designated lead (004 strategy 13: concerns recorded and
followed up; 000 §5: every group supervised): what a lead would otherwise gather by hand.

Per group (by name and class), for the past week: how long it was unsupervised (in minutes,
hours or days), guests flagged, students still without recorded consent, refused direct messages
from its members, lessons held and registers taken; then open cases counted as new, acknowledged
and overdue, and each overdue one with its age and class — never a report's words; last, whether
the audit log verified intact (with its head's seal). A group whose reminders go through a
teacher's confirmation or as a 学校通知 also gets what became of them. Sent at `ESAFETY_DIGEST`
(default `MON 08:00`, school time) by a Store timer chain like the reminders, once per week
whichever instance claims it, in each lead's language.
"""

from __future__ import annotations

import logging
from collections import Counter
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta

from handlers.audit import verify_audit
from handlers.case_review import overdue_for_review
from handlers.cover import cover_desk
from handlers.cron import next_fire
from handlers.duties import Deps
from handlers.group_delivery import CAP_REACHED, CONFIRM_ASKED, CONFIRMED, NOT_SENT, NOTICE_SENT, UNCONFIRMED
from handlers.messenger import Message
from handlers.names import class_of, group_words, person_words
from handlers.outbox import send_durably
from handlers.spoken_time import date_words, duration_words
from policy_text.catalog import words
from state.case_lifecycle import OPEN, UNACKNOWLEDGED
from state.due import DueItem, Queue
from state.models import Group, PersonRef, Role, Supervision
from state.records import AuditRecord, Case, CaseState
from state.store import Store

DIGEST = "digest.send"
log = logging.getLogger(__name__)
WEEK = timedelta(days=7)
DAYS = frozenset({"MON", "TUE", "WED", "THU", "FRI", "SAT", "SUN"})


def digest_cron(setting: str) -> str:
    """`MON 08:00` → `0 8 * * MON` (ValueError names the expected form)."""
    day, _, clock = setting.strip().upper().partition(" ")
    hour, _, minute = clock.partition(":")
    if day not in DAYS or not (hour.isdigit() and minute.isdigit()) or int(hour) > 23 or int(minute) > 59:
        raise ValueError(f"want a weekday and a time such as 'MON 08:00', got {setting!r}")
    return f"{int(minute)} {int(hour)} * * {day}"


async def arm_digest(deps: Deps) -> None:
    """At start-up: the next digest is armed (the same item from every instance, so one)."""
    cron = deps.reminders.digest_cron
    if cron:
        await deps.store.schedule_due(_item(next_fire(cron, deps.school_timezone, deps.clock.now()), cron))


async def send_digest(item: DueItem, deps: Deps) -> None:
    """Build the week ending at the due time, send it to every lead, arm next week's."""
    cron = str(item.payload["cron"])
    if cron != deps.reminders.digest_cron:
        return  # the setting changed: the chain armed at start-up under the new one takes over
    end = item.due_at
    lines = await week_lines(deps, end - WEEK, end)
    week = words("time.date_range", start=date_words(deps.school_time(end - WEEK).date()), end=date_words(deps.school_time(end).date()))
    digest = Message(key="digest.title", fields={"week": week}, lines=tuple(lines))
    for lead in [p for p in await cover_desk(deps).case_people() if p.role is Role.DSL]:  # whoever covers gets it too
        await send_durably(deps, lead.ref, digest, key=f"digest|{end.isoformat()}|{lead.ref}")
    await deps.store.schedule_due(_item(next_fire(cron, deps.school_timezone, max(end, deps.clock.now())), cron))


async def week_lines(deps: Deps, start: datetime, end: datetime) -> list[tuple[str, dict[str, object]]]:
    audit = [record for record in await _audit(deps.store) if start <= record.at < end]
    lines: list[tuple[str, dict[str, object]]] = []
    groups = await deps.store.list_groups()
    for group in groups:
        stats = await _group_week(deps, group, audit, start, end)
        lines.append(("digest.group_line", {"group": group_words(group, groups), **stats.fields()}))
        lines += _delivery(group, groups, audit)
    return [*lines, *await _cases(deps, end), *await _covering(deps), await _audit_verified(deps.store)]


def _delivery(group: Group, groups: Sequence[Group], audit: Sequence[AuditRecord]) -> list[tuple[str, dict[str, object]]]:
    """For a group reached through a teacher's confirmation or a 学校通知 (handlers/group_delivery.py):
    what became of its messages this week, so one nobody confirmed is seen, not lost."""
    steps = Counter(record.action.removeprefix("delivery.") for record in audit
                    if record.group == str(group.key) and record.action.startswith("delivery."))
    if not steps:
        return []
    return [("digest.delivery_line", {"group": group_words(group, groups), "asked": steps[CONFIRM_ASKED], "confirmed": steps[CONFIRMED],
                                      "unconfirmed": steps[UNCONFIRMED], "held": steps[CAP_REACHED] + steps[NOT_SENT],
                                      "notices": steps[NOTICE_SENT]})]


async def _covering(deps: Deps) -> list[tuple[str, dict[str, object]]]:
    """Who is covering for a lead this week, and until when (handlers/cover.py)."""
    desk, people = cover_desk(deps), {str(p.ref): p for p in await deps.store.list_people()}
    return [("digest.cover_line", {"person": person_words(people[ref]) if ref in people else ref, "until": date_words(cover.until)})
            for ref, cover in sorted((await desk.active()).items())]


async def _audit_verified(store: Store) -> tuple[str, dict[str, object]]:
    """The audit log's verification, every week; with the head's seal, so a copy of the chain's
    end lives outside the database, in the leads' chats (a rewrite of the whole log shows there)."""
    try:
        verdict = await verify_audit(store)
    except Exception as error:  # the rest of the digest still goes: a lead must get the week's cases
        log.error("the digest could not verify the audit log (%s)", type(error).__name__)
        return "digest.audit_unverified", {}
    if verdict.intact:
        return "digest.audit_intact", {"records": verdict.records, "seal": verdict.ends.head_seal[:16]}
    return "digest.audit_broken", {"findings": len(verdict.findings), "first": verdict.findings[0].seq}


@dataclass(frozen=True)
class GroupWeek:
    minutes: int
    guests: int
    consent_gaps: int
    refused: int
    lessons: int
    registers: int

    def fields(self) -> dict[str, object]:
        unsupervised = duration_words(self.minutes * 60) if self.minutes else words("digest.not_at_all")
        return {"unsupervised": unsupervised, "guests": self.guests, "consent_gaps": self.consent_gaps, "refused": self.refused,
                "lessons": self.lessons, "registers": self.registers}


async def _group_week(deps: Deps, group: Group, audit: Sequence[AuditRecord], start: datetime, end: datetime) -> GroupWeek:
    mine = [record for record in audit if record.group == str(group.key)]
    member_ids = {m.user_id for m in await deps.store.group_members(group.key)}
    people = {p.user_id: p for p in await deps.store.list_people(group.key.channel)}
    students = [people[u] for u in member_ids if u in people and people[u].role is Role.STUDENT]
    members = {str(PersonRef(group.key.channel, u)) for u in member_ids}
    lessons = [lesson for lesson in await deps.store.list_lessons() if lesson.group == group.key and start <= lesson.started_at < end]
    counts = Counter(record.action for record in mine)
    return GroupWeek(
        minutes=_unsupervised_minutes(group, mine, start, end),
        guests=counts["supervision.guest_flagged"],
        consent_gaps=sum(1 for student in students if not student.has_consent),
        refused=sum(1 for record in audit if record.action == "dm.refused" and record.actor in members),
        lessons=len(lessons),
        registers=sum(1 for lesson in lessons if lesson.present is not None),
    )


def _unsupervised_minutes(group: Group, records: Sequence[AuditRecord], start: datetime, end: datetime) -> int:
    """Add up the spans between an `unsupervised` transition and the next `resolved`, clipped to
    the week; a group unsupervised when the week began counts from its start."""
    began = group.supervision_since if group.supervision is Supervision.UNSUPERVISED and group.supervision_since else None
    total = timedelta()
    open_at: datetime | None = start if began is not None and began < start else None
    for record in sorted(records, key=lambda r: r.at):
        if record.action == "supervision.unsupervised" and open_at is None:
            open_at = record.at
        elif record.action in ("supervision.resolved", "supervision.bot_removed") and open_at is not None:
            total += record.at - open_at
            open_at = None
    if open_at is not None:
        total += end - open_at
    return int(total.total_seconds() // 60)


async def _cases(deps: Deps, end: datetime) -> list[tuple[str, dict[str, object]]]:
    """Open cases counted apart (new, acknowledged and being handled, overdue), then each overdue
    one with its age and class: the ones a lead must act on first; then each acknowledged case
    still open past the review time, and who has it (handlers/case_review.py)."""
    cases = [case for case in await deps.store.list_cases(OPEN) if not case.drill]  # a drill is never counted as a real case
    due = timedelta(seconds=deps.cases.ack_timeout_seconds)
    overdue = [c for c in cases if c.state in UNACKNOWLEDGED and end - c.received_at > due]
    counts: dict[str, object] = {"new": sum(1 for c in cases if c.state in UNACKNOWLEDGED) - len(overdue), "overdue": len(overdue),
                                 "acknowledged": sum(1 for c in cases if c.state is CaseState.ACKNOWLEDGED)}
    lines: list[tuple[str, dict[str, object]]] = [("digest.cases_line", counts)]
    for case in overdue:
        lines.append(("digest.overdue_line", {"reference": case.reference, "age": duration_words((end - case.received_at).total_seconds()),
                                              "class_name": await _class_of(deps, case) or words("case.class_unknown")}))
    people = {str(p.ref): p for p in await deps.store.list_people()}
    for case in [c for c in cases if overdue_for_review(c, end, deps.cases.review_days)]:
        holder = people.get(case.acknowledged_by or "")
        lines.append(("digest.review_line", {
            "reference": case.reference, "age": duration_words((end - (case.acknowledged_at or case.received_at)).total_seconds()),
            "by": person_words(holder) if holder else case.acknowledged_by or "-",
            "class_name": await _class_of(deps, case) or words("case.class_unknown")}))
    return lines


async def _class_of(deps: Deps, case: Case) -> str:
    group = await deps.store.get_group(case.group) if case.group else None
    return class_of(group, await deps.store.get_person(case.reporter.channel, case.reporter.user_id))


async def _audit(store: Store) -> list[AuditRecord]:
    records: list[AuditRecord] = []
    after = 0
    while page := await store.read_audit(after_seq=after, limit=1000):
        records += [entry.record for entry in page]
        after = page[-1].seq
    return records


def _item(due: datetime, cron: str) -> DueItem:
    return DueItem(queue=Queue.TIMERS, item_id=f"digest|{due.isoformat()}", kind=DIGEST, due_at=due, payload={"cron": cron})
