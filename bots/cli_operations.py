"""What each administrative CLI command does, against an open Store. `bots/cli.py` parses the
command line and calls these; `demo` calls them too, so the demo shows the real commands."""

from __future__ import annotations

import asyncio
import csv
from dataclasses import replace
from datetime import datetime
from pathlib import Path
from typing import IO

from bots.user_ids import spell_user_id
from handlers.audit import export_audit, record_decision, verify_audit
from handlers.calendar_import import ImportedCalendar, parse_calendar
from handlers.case_export import Readable
from handlers.cron import check, next_fire, zone
from handlers.group_delivery import last_delivery
from handlers.groups import infer_class, resolve_group
from handlers.names import group_words, person_words
from handlers.outbox_view import retry, undelivered
from handlers.reminders import set_schedule
from handlers.roster_guard import ImportPlan, guarded_import, plan_import
from handlers.roster_import import ParsedRoster, parse_roster
from handlers.spoken_time import school_time_words
from policy_text.catalog import Catalog
from state.clock import Clock
from state.models import Group
from state.records import Lesson
from state.store import RosterChange, Store

CLI_ACTOR = "cli"


class CommandRefused(ValueError):
    """A command was asked for something it must not do; the message says what to do instead."""


async def roster_import(store: Store, clock: Clock, path: Path, *, merge: bool, force: bool = False) -> RosterChange:
    """Import, refused (RosterRefused) if it would lose the people reports depend on, unless forced."""
    return await guarded_import(store, clock, await _read_roster(path), merge=merge, actor=CLI_ACTOR, force=force)


async def _read_roster(path: Path) -> ParsedRoster:
    """A roster file, each id spelled as its channel spells it (bots/user_ids.py)."""
    return parse_roster(await asyncio.to_thread(path.read_bytes), spell_user_id)


async def roster_dry_run(store: Store, path: Path, out: IO[str], *, merge: bool) -> ImportPlan:
    """Print what an import would change, by role, and what it would lose; write nothing."""
    plan = plan_import(await store.list_people(), await _read_roster(path), merge=merge)
    print_plan(plan, out)
    return plan


def print_plan(plan: ImportPlan, out: IO[str]) -> None:
    """A roster change by role, and what the guard would refuse (for import and directory dry runs)."""
    for what, roles in plan.by_role().items():
        for role, people in sorted(roles.items()):
            out.write(f"{what} {role} ({len(people)}): {', '.join(f'{p.name} ({p.ref})' for p in people)}\n")
    for loss in plan.losses():
        out.write(f"would be refused: {loss}\n")


async def roster_list(store: Store, out: IO[str], channel: str | None = None) -> int:
    people = await store.list_people(channel)
    for p in people:
        consent = {True: "yes", False: "no", None: "-"}[p.consent]
        out.write(f"{p.channel}:{p.user_id}\t{p.role.value}\t{';'.join(p.classes) or '-'}\tconsent={consent}\t{p.name}\n")
    return len(people)


async def groups_list(store: Store, out: IO[str]) -> int:
    groups = await store.list_groups()
    people = await store.list_people()
    for group in groups:
        inferred = infer_class(await store.group_members(group.key), people)
        class_name = group.class_name or (f"{inferred} (inferred)" if inferred else "-")
        members = "\tmembers=class roster (the channel cannot list them)" if group.members_from_roster else ""
        out.write(f"{group.key}\t{group.name}\tclass={class_name}\t{group.supervision.value}{members}"
                  f"{await _delivery(store, group)}\n")
    return len(groups)


async def _delivery(store: Store, group: Group) -> str:
    """A group reached through someone's hands: the mode, and what became of its last message."""
    if not group.delivery:
        return ""
    last = await last_delivery(store, group.key)
    seen = f" (last: {last.state.replace('_', ' ')} {last.at.astimezone(zone(group.timezone)):%Y-%m-%d %H:%M})" if last else ""
    return f"\tdelivery={group.delivery}{seen}"


async def groups_set_class(store: Store, clock: Clock, name: str, class_name: str) -> str:
    if not class_name.strip():
        raise CommandRefused("the class name is empty: give the class as the roster names it, e.g. 5A")
    group = await resolve_group(store, name)
    await store.save_group(replace(group, class_name=class_name.strip()))
    await record_decision(store, clock, action="group.class_set", actor=CLI_ACTOR, group=str(group.key),
                          clause="000 §5", outcome=class_name.strip())
    return str(group.key)


async def groups_set_webhook(store: Store, clock: Clock, name: str, url: str) -> str:
    """A WeCom group robot (群机器人) lets the bot post into a group it cannot otherwise reach."""
    group = await resolve_group(store, name)
    if group.key.channel != "wecom":
        raise CommandRefused(f"{group.key} is a {group.key.channel} group: a group robot webhook is for WeCom groups only")
    webhook = None if url == "none" else url
    await store.save_group(replace(group, webhook=webhook))
    await record_decision(store, clock, action="group.webhook_set", actor=CLI_ACTOR, group=str(group.key),
                          clause="000 §5", outcome="removed" if webhook is None else "set")
    return str(group.key)


async def schedule_set(store: Store, clock: Clock, name: str, cron: str, timezone: str | None) -> str:
    group = await resolve_group(store, name)
    current = await store.get_schedule(group.key)
    zone = timezone or (current.timezone if current else group.timezone)
    check(cron, zone)
    await set_schedule(store, clock, group.key, cron, zone, actor=CLI_ACTOR)
    return f"{group.key}: reminders at {cron} ({zone}), next {next_fire(cron, zone, clock.now()).isoformat()}"


async def schedule_off(store: Store, clock: Clock, name: str) -> str:
    group = await resolve_group(store, name)
    current = await store.get_schedule(group.key)
    await set_schedule(store, clock, group.key, current.cron if current else "-", current.timezone if current else "-",
                       actor=CLI_ACTOR, enabled=False)
    return f"{group.key}: reminders off"


async def schedule_show(store: Store, clock: Clock, name: str) -> str:
    group = await resolve_group(store, name)
    current = await store.get_schedule(group.key)
    if current is None or not current.enabled:
        return f"{group.key}: reminders off"
    return f"{group.key}: {current.cron} ({current.timezone}), next {next_fire(current.cron, current.timezone, clock.now()).isoformat()}"


async def calendar_import(store: Store, clock: Clock, path: Path) -> ImportedCalendar:
    """Replace the school calendar with the file's terms and holidays (audited)."""
    imported = parse_calendar(await asyncio.to_thread(path.read_bytes))
    await store.save_calendar(imported.spans)
    await record_decision(store, clock, action="calendar.imported", actor=CLI_ACTOR, clause="000 §5.3",
                          outcome=f"{len(imported.spans)} spans")
    return imported


async def calendar_show(store: Store, out: IO[str]) -> int:
    spans = await store.get_calendar()
    for span in spans:
        out.write(f"{span.kind}\t{span.first.isoformat()}\t{span.last.isoformat()}\t{span.summary}\n")
    return len(spans)


LESSON_FIELDS = ("lesson_id", "group", "started_by", "started_at", "ended_at", "consent_confirmed_by", "register_by", "register_at",
                 "present", "absent")


async def lessons_export(store: Store, out: IO[str]) -> int:
    """Every lesson with its register as CSV (000 §5.6): who was present and absent, by roster id."""
    writer = csv.writer(out)
    writer.writerow(LESSON_FIELDS)
    lessons = await store.list_lessons()
    for lesson in lessons:
        writer.writerow(_lesson_row(lesson))
    return len(lessons)


def _lesson_row(lesson: Lesson) -> list[str]:
    def when(at: datetime | None) -> str:
        return at.isoformat() if at else ""

    taken = lesson.present is not None
    present = set(lesson.present or ())
    return [lesson.lesson_id, str(lesson.group), str(lesson.started_by), when(lesson.started_at), when(lesson.ended_at),
            lesson.consent_confirmed_by or "", lesson.register_by or "", when(lesson.register_at),
            ";".join(u for u in lesson.roll if u in present) if taken else "",
            ";".join(u for u in lesson.roll if u not in present) if taken else ""]


async def outbox_list(store: Store, out: IO[str]) -> int:
    """Every message that failed at least once: id, recipient, what, waiting or parked, why."""
    waiting = await undelivered(store)
    for entry in waiting:
        when = "parked" if entry.parked else f"next try {entry.next_attempt:%Y-%m-%d %H:%M} UTC" if entry.next_attempt else "due"
        out.write(f"{entry.short_id}\t{entry.recipient}\t{entry.what}\t{when}\t{entry.reason}\n")
    return len(waiting)


async def outbox_retry(store: Store, clock: Clock, short_ids: list[str]) -> int:
    return await retry(store, clock, short_ids, actor=CLI_ACTOR)


async def audit_export(store: Store, out: IO[str]) -> int:
    return await export_audit(store, out)


async def audit_verify(store: Store, out: IO[str]) -> int:
    """`audit verify`: every finding on its own line; exit 1 if there is any."""
    verdict = await verify_audit(store)
    ends = verdict.ends
    span = f"{verdict.records} records, seq {ends.anchor_seq + 1} to {ends.head_seq}"
    if verdict.intact:
        out.write(f"audit log intact: {span}; each follows the seal of the one before; head seal {ends.head_seal}\n")
        return 0
    out.write(f"AUDIT LOG TAMPERED WITH: {len(verdict.findings)} finding(s) in {span}\n")
    for finding in verdict.findings:
        out.write(f"record {finding.seq}: {finding.kind}: {finding.detail}\n")
    return 1


async def readable(store: Store, catalog: Catalog, locale: str, timezone: str) -> Readable:
    """Names for the ids in a case, and the school's clock for its times, in `locale`."""
    groups = await store.list_groups()
    names = {str(person.ref): str(catalog.value(person_words(person), locale)) for person in await store.list_people()}
    names |= {str(group.key): str(catalog.value(group_words(group, groups), locale)) for group in groups}
    return Readable(names, lambda at: str(catalog.value(school_time_words(at, timezone), locale)))
