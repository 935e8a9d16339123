"""Supervision without alarm: who hears about an unsupervised group, and when (000 §5; 004
strategy 18). The person who added the bot hears first, privately, in plain words: who to add and
how. The group itself, children and parents, hears only after a grace period, in words a parent
understands, at most a few times a day, no more often than the warning interval, and never in
quiet hours. The leads' alert and its escalation never wait for any of this (handlers/supervision.py)."""

from __future__ import annotations

from dataclasses import replace
from datetime import datetime, timedelta
from typing import Any

from handlers.cron import in_quiet_hours, quiet_hours_end, zone
from handlers.duties import Deps
from handlers.messenger import Message
from handlers.outbox import outbox_item
from handlers.spoken_time import duration_words
from handlers.supervision_rule import Assessment
from policy_text.catalog import words
from state.due import DueItem
from state.models import STAFF_ROLES, Group, Person, Role

GROUP_MISSING = {"supervision.role_admin_team": "supervision.group_missing_admin",
                 "supervision.role_second_adult": "supervision.group_missing_second_adult"}
"""What is missing, as a parent would say it (the staff's words are for staff)."""


def warning_due(deps: Deps, group: Group, now: datetime) -> bool:
    """Past the grace period, past the interval since the last warning, under the day's cap, and outside quiet hours."""
    since = group.supervision_since or now
    if (now - since).total_seconds() < deps.supervision.grace_seconds:
        return False
    if group.last_warning_at is not None and now - group.last_warning_at < timedelta(seconds=deps.supervision.warning_interval_seconds):
        return False
    if in_quiet_hours(now, group.timezone, deps.reminders.quiet_hours):
        return False
    return _warnings_today(group, now) < deps.supervision.warnings_per_day


def warned(group: Group, now: datetime) -> Group:
    """The group as it is once warned now: counted against its day."""
    return replace(group, last_warning_at=now, warnings_day=_day(group, now), warnings_on_day=_warnings_today(group, now) + 1)


def group_warning(group: Group, result: Assessment, now: datetime) -> DueItem:
    missing = GROUP_MISSING.get(result.missing_key, "supervision.group_missing_second_adult")
    return outbox_item(group.key, Message(key="supervision.group_warning", fields={"missing": words(missing)}),
                       key=f"{group.key}|warning|{now.isoformat()}", due_at=now)


def first_warning_at(deps: Deps, group: Group, now: datetime) -> datetime | None:
    """When a group not yet warned may first be, if that is still to come: the end of its grace
    period, or the morning when that falls in quiet hours. The re-check is armed for then; never
    for now, or a re-check in quiet hours would re-arm itself at once, again and again."""
    if group.supervision_since is None or (group.last_warning_at is not None and group.last_warning_at >= group.supervision_since):
        return None
    at = max(group.supervision_since + timedelta(seconds=deps.supervision.grace_seconds), now)
    quiet = deps.reminders.quiet_hours
    if quiet is not None and in_quiet_hours(at, group.timezone, quiet):
        at = quiet_hours_end(at, group.timezone, quiet)
    return at if at > now else None


def note_to_adder(deps: Deps, group: Group, result: Assessment, people: list[Person], watchers: list[Person],
                  label: dict[str, Any], since: str) -> DueItem | None:
    """The member of staff who added the bot (or, for a class group the directory brought it
    into, the class's teacher responsible for it): who to add (the class's admins by name, from
    `watchers`), how, and how long before the group is told."""
    adder = next((person for person in people if group.added_by is not None and person.ref == group.added_by), None)
    if adder is None or adder.role not in STAFF_ROLES:
        return None
    key = "supervision.note_to_class_teacher" if group.joined_from_directory else "supervision.note_to_adder"
    note = Message(key=key, fields={
        "group": label, "who": _who_to_add(result, watchers), "how": words(f"supervision.how_to_add_{group.key.channel}"),
        "wait": duration_words(deps.supervision.grace_seconds)})
    return outbox_item(adder.ref, note, key=f"{group.key}|adder|{since}", due_at=deps.clock.now())


def _who_to_add(result: Assessment, watchers: list[Person]) -> Any:
    """By name where the roster knows the class's admin team; else the role."""
    if result.missing_key != "supervision.role_admin_team":
        return words(result.missing_key)
    admins = [p.name for p in watchers if p.role in (Role.ADMIN, Role.HEAD) and p.name]
    return words("supervision.one_of", names=", ".join(admins)) if admins else words(result.missing_key)


def _day(group: Group, now: datetime) -> str:
    return now.astimezone(zone(group.timezone)).date().isoformat()


def _warnings_today(group: Group, now: datetime) -> int:
    return group.warnings_on_day if group.warnings_day == _day(group, now) else 0
