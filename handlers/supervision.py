"""Keeping an adult from the admin team present: the check, its transitions, and the alerts.

Run on every membership change, periodically (a roster can change without an event reaching
the bot) and on demand. An unsupervised group gets at once a private alert to the safeguarding
leads and the admin-team members of that class, a private note to whoever added the bot saying
who to add and how, a stored status with the time it began, an audit record for every
transition, and — if it lasts — an escalation to the deputies and the head through a Store
timer. The group itself is warned calmly, and only as handlers/group_warning.py allows (after a
grace period, a few times a day, never in quiet hours; no child's name). Guests and consent gaps
are named only privately, to staff
(000 §5, §5.1–5.2, §5.10; 004 objectives 10, 12, 13, strategies 18, 20).
"""

from __future__ import annotations

from dataclasses import replace
from datetime import timedelta
from typing import Any

from handlers.audit import decision, record_decision
from handlers.duties import Deps
from handlers.group_warning import first_warning_at, group_warning, note_to_adder, warned, warning_due
from handlers.groups import infer_class
from handlers.messenger import Message
from handlers.names import group_words, person_words
from handlers.outbox import outbox_item, send_durably
from handlers.spoken_time import duration_words
from handlers.supervision_rule import NEEDED, Assessment, assess
from policy_text.catalog import words
from state.due import DueItem, Queue
from state.effects import NO_EFFECTS, Effects
from state.models import Group, GroupKey, Person, Role, Supervision

CLAUSE = "000 §5; 004 objective 10; 004 strategy 18"
CHECK_ATTEMPTS = 3


class ConcurrentChange(RuntimeError):
    """The group changed under every attempt; the caller's retry (a timer, an inbox item) tries later."""


UNSUPERVISED_ESCALATE, RECHECK = "supervision.escalate", "supervision.recheck"


async def check_group(deps: Deps, key: GroupKey) -> Assessment | None:
    """Check and decide; the new status and everything that follows from it (the alerts, the
    warning, the escalation timer, the audit row) are written in one compare-and-set, so a
    check that loses a race (the bot removed, another check first) writes none of it and looks
    again, a few times at most. Two checks racing on one group alert once."""
    for _ in range(CHECK_ATTEMPTS):
        seen = await deps.store.get_group(key)
        if seen is None or seen.supervision is Supervision.UNMONITORED:
            return None
        members = await deps.store.group_members(key)
        people = await deps.store.list_people(key.channel)
        result = assess(members, {p.user_id: p for p in people}, deps.supervision.rule)
        watchers = _watchers(people, seen.class_name or infer_class(members, people))
        label = group_words(seen, await deps.store.list_groups())
        if not result.supervised:
            group, effects = _unsupervised(deps, seen, result, watchers, people, label)
        elif seen.supervision is not Supervision.SUPERVISED:
            group, effects = _resolved(deps, seen, watchers, label)
        else:
            group, effects = seen, NO_EFFECTS
        recheck = _recheck_timer(deps, group)
        if group == seen:
            await deps.store.schedule_due(recheck, replace=True)
        elif not await deps.store.replace_group(seen, group, effects + Effects(timers=(recheck,))):
            continue
        await _flag_privately(deps, group, result, watchers, label)
        return result
    raise ConcurrentChange(f"{key} kept changing during {CHECK_ATTEMPTS} supervision checks")


def _recheck_timer(deps: Deps, group: Group) -> DueItem:
    """The periodic re-check, sooner when an unsupervised group may first be warned before it."""
    now = deps.clock.now()
    due_at = now + timedelta(seconds=deps.supervision.recheck_seconds)
    if group.supervision is Supervision.UNSUPERVISED and (first := first_warning_at(deps, group, now)) is not None:
        due_at = min(due_at, first)
    return DueItem(queue=Queue.TIMERS, item_id=f"{group.key}|recheck", kind=RECHECK, due_at=due_at, payload={"group": str(group.key)})


def _unsupervised(deps: Deps, group: Group, result: Assessment, watchers: list[Person], people: list[Person],
                  label: dict[str, Any]) -> tuple[Group, Effects]:
    """Found unsupervised: the leads and the class's admins are alerted at once, the person who
    added the bot is told how to fix it, and the escalation is armed; the group itself is warned
    only when handlers/group_warning.py says so."""
    now = deps.clock.now()
    effects = NO_EFFECTS
    if group.supervision is not Supervision.UNSUPERVISED:
        group = replace(group, supervision=Supervision.UNSUPERVISED, supervision_since=now)
        became = decision(deps.clock, action="supervision.unsupervised", actor="system", group=str(group.key), clause=CLAUSE,
                          outcome="one_to_one" if result.one_to_one else "unsupervised",
                          detail={"missing": result.missing_key, "students": str(len(result.students)), "staff": str(len(result.staff))})
        since = now.isoformat()
        if result.one_to_one:
            alert = Message(key="supervision.alert_one_to_one", fields={"group": label, "staff": person_words(result.staff[0])})
        else:
            alert = Message(key="supervision.alert_unsupervised", fields={
                "group": label, "missing": words(result.missing_key), "since": deps.school_time_words(now)})
        escalation = DueItem(queue=Queue.TIMERS, item_id=f"{group.key}|escalate|{since}", kind=UNSUPERVISED_ESCALATE,
                             due_at=now + timedelta(seconds=deps.supervision.escalate_seconds),
                             payload={"group": str(group.key), "since": since})
        note = note_to_adder(deps, group, result, people, watchers, label, since)
        alerts = tuple(outbox_item(watcher.ref, alert, key=f"{group.key}|unsupervised|{since}|{watcher.ref}", due_at=now)
                       for watcher in watchers)
        effects = Effects(messages=(*alerts, *([note] if note else [])), timers=(escalation,), audit=(became,))
    if warning_due(deps, group, now):
        effects += Effects(messages=(group_warning(group, result, now),))
        group = warned(group, now)
    return group, effects


def _resolved(deps: Deps, group: Group, watchers: list[Person], label: dict[str, Any]) -> tuple[Group, Effects]:
    now = deps.clock.now()
    fixed = replace(group, supervision=Supervision.SUPERVISED, supervision_since=now)
    if group.supervision is not Supervision.UNSUPERVISED:
        return fixed, Effects(audit=(decision(deps.clock, action="supervision.supervised", actor="system", group=str(group.key),
                                              clause=CLAUSE),))
    since, at = group.supervision_since.isoformat() if group.supervision_since else "", now.isoformat()
    warned_group = group.last_warning_at is not None and group.supervision_since is not None and \
        group.last_warning_at >= group.supervision_since
    notices = [outbox_item(group.key, Message(key="supervision.group_resolved"), key=f"{group.key}|resolved|{at}", due_at=now)] \
        if warned_group else []  # a group never warned is not told it was fixed
    notices += [outbox_item(watcher.ref, Message(key="supervision.alert_resolved", fields={"group": label}),
                            key=f"{group.key}|resolved|{at}|{watcher.ref}", due_at=now) for watcher in watchers]
    resolved = decision(deps.clock, action="supervision.resolved", actor="system", group=str(group.key), clause=CLAUSE)
    return fixed, Effects(messages=tuple(notices), disarmed=(f"{group.key}|escalate|{since}",), audit=(resolved,))


async def _flag_privately(deps: Deps, group: Group, result: Assessment, watchers: list[Person], label: dict[str, Any]) -> None:
    """Guests and consent gaps, named only to staff in private, once per distinct set."""
    staff = {p.ref: p for p in [*result.staff, *watchers]}
    now = deps.clock.now()
    if result.guests:
        names = ", ".join(sorted(m.display_name or m.user_id or m.platform_id for m in result.guests))
        marker = "|".join(sorted(m.user_id or m.platform_id for m in result.guests))
        flagged = decision(deps.clock, action="supervision.guest_flagged", actor="system", group=str(group.key),
                           clause="004 objective 12", detail={"guests": str(len(result.guests))})
        notice = outbox_item(group.key, Message(key="supervision.group_warning_guest"), key=f"{group.key}|guests|{marker}", due_at=now)
        await deps.store.commit(Effects(messages=(notice,), audit=(flagged,)), once=f"{group.key}|guests|{marker}")
        for person in staff.values():
            await send_durably(deps, person.ref, Message(key="supervision.alert_guest", fields={"group": label, "guests": names}),
                               key=f"{group.key}|guests|{marker}|{person.ref}")
    gaps = result.consent_gaps
    if gaps:
        marker = "|".join(sorted(p.user_id for p in gaps))
        names = ", ".join(sorted(p.name for p in gaps))
        alert = Message(key="supervision.alert_consent_gap", fields={"group": label, "students": names})
        for person in list(result.staff) or list(staff.values()):
            key = f"{group.key}|consent|{marker}|{person.ref}"
            gap = decision(deps.clock, action="supervision.consent_gap", actor="system", subject=str(person.ref), group=str(group.key),
                           clause="000 §5.1–5.2; 004 objective 13", detail={"students": str(len(gaps))})
            await deps.store.commit(Effects(messages=(outbox_item(person.ref, alert, key=key, due_at=now),), audit=(gap,)), once=key)


def _watchers(people: list[Person], class_name: str) -> list[Person]:
    """Who watches over a class group's supervision: the safeguarding leads, and the head and
    admin team members who coordinate this class."""
    return [p for p in people if p.role is Role.DSL or (p.role in (Role.ADMIN, Role.HEAD) and class_name and class_name in p.classes)]


async def escalate_unsupervised(item: DueItem, deps: Deps) -> None:
    """Still unsupervised since the same moment: tell the deputies and the head."""
    group = await deps.store.get_group(GroupKey.parse(item.payload["group"]))
    if group is None or group.supervision is not Supervision.UNSUPERVISED or group.supervision_since is None:
        return
    if group.supervision_since.isoformat() != item.payload["since"]:
        return
    minutes = int((deps.clock.now() - group.supervision_since).total_seconds() // 60)
    alert = Message(key="supervision.alert_escalated", fields={
        "group": group_words(group, await deps.store.list_groups()), "since": deps.school_time_words(group.supervision_since),
        "missing": words(NEEDED.get(deps.supervision.rule, NEEDED["admin_team"])),
        "how_long": duration_words((deps.clock.now() - group.supervision_since).total_seconds())})
    people = await deps.store.list_people(group.key.channel)
    for person in [p for p in people if p.role in (Role.DEPUTY_DSL, Role.HEAD)]:
        await send_durably(deps, person.ref, alert, key=f"{item.item_id}|{person.ref}")
    await record_decision(deps.store, deps.clock, key=f"{item.item_id}|escalated", action="supervision.escalated", actor="system",
                          group=str(group.key), clause=CLAUSE,
                          detail={"minutes": str(minutes)})
