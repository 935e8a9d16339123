"""E-safety reminders on each group's own schedule (000 closing paragraph: students reminded
periodically about personal information, photographs, harassment and scams; 000 §5.3: times
agreed with the school; 004 objectives 4–6, strategy 15).

Each enabled schedule keeps exactly one pending Store timer, the next time its cron line names.
Whichever instance claims it posts the next topic in the group's rotation (so consecutive
reminders differ) through the durable outbox, then arms the following one. A reminder inside
quiet hours or outside term is skipped and audited, never posted later; after downtime one that
is still within the catch-up grace is posted once, older ones are skipped: never a burst. A new
`revision` on every change retires the old chain: its timer finds itself superseded and stops.
"""

from __future__ import annotations

import uuid
from datetime import datetime

from handlers.audit import record_decision
from handlers.cron import in_quiet_hours, next_fire
from handlers.duties import Deps
from handlers.events import GroupJoined
from handlers.messenger import Message
from handlers.outbox import send_durably
from handlers.term import in_term
from state.clock import Clock
from state.due import DueItem, Queue
from state.models import GroupKey, Supervision
from state.records import Schedule
from state.store import Store

FIRE = "reminder.fire"
CLAUSE = "000 closing; 000 §5.3; 004 objectives 4–6"
TOPICS = ("reminder.personal_info", "reminder.photos", "reminder.harassment", "reminder.scams", "reminder.who_to_tell",
          "reminder.camera_conduct")


async def set_schedule(store: Store, clock: Clock, key: GroupKey, cron: str, timezone: str, *, actor: str,
                       enabled: bool = True, event_id: str | None = None) -> Schedule:
    """Store the schedule (checked by the caller) and arm its first reminder; audited once per
    event that asked (a retried event re-arms the same schedule and audits nothing again)."""
    schedule = Schedule(group=key, cron=cron, timezone=timezone, enabled=enabled, revision=uuid.uuid4().hex)
    await store.save_schedule(schedule)
    if enabled:
        await _arm(store, schedule, after=clock.now())
    action = "schedule.set" if enabled else "schedule.off"
    await record_decision(store, clock, key=f"{event_id}|{action}" if event_id else None, action=action, actor=actor, group=str(key),
                          clause=CLAUSE, outcome=f"{cron} {timezone}" if enabled else "off")
    return schedule


async def ensure_schedule(event: GroupJoined, deps: Deps) -> None:
    """A group joined (or joined again) keeps its schedule, armed anew; a new group gets the
    school default, in the school's time zone."""
    known = await deps.store.get_schedule(event.group)
    if known is not None:
        if known.enabled:
            await set_schedule(deps.store, deps.clock, event.group, known.cron, known.timezone, actor="system", event_id=event.event_id)
        return
    if deps.reminders.default_cron:
        await set_schedule(deps.store, deps.clock, event.group, deps.reminders.default_cron, deps.school_timezone, actor="system",
                           event_id=event.event_id)


async def fire(item: DueItem, deps: Deps) -> None:
    key = GroupKey.parse(item.payload["group"])
    schedule = await deps.store.get_schedule(key)
    if schedule is None or not schedule.enabled or schedule.revision != item.payload["revision"]:
        return  # turned off or changed since this timer was armed: the new chain has its own
    group = await deps.store.get_group(key)
    if group is None or group.supervision is Supervision.UNMONITORED:
        return  # the bot is no longer there; joining again re-arms the schedule
    await _post_or_skip(deps, key, schedule, item.due_at)
    await _arm(deps.store, schedule, after=max(deps.clock.now(), item.due_at))


async def _post_or_skip(deps: Deps, key: GroupKey, schedule: Schedule, due_at: datetime) -> None:
    late = (deps.clock.now() - due_at).total_seconds()
    skipped = ("reminder.missed" if late > deps.reminders.catchup_grace_seconds else
               "reminder.skipped_quiet_hours" if in_quiet_hours(due_at, schedule.timezone, deps.reminders.quiet_hours) else
               "reminder.skipped_holiday" if not await in_term(deps.store, due_at, schedule.timezone) else None)
    if skipped:
        await record_decision(deps.store, deps.clock, key=f"{key}|reminder|{due_at.isoformat()}", action=skipped, actor="system",
                              group=str(key), clause=CLAUSE, outcome=due_at.isoformat())
        return
    topic = TOPICS[await deps.store.advance_rotation(key) % len(TOPICS)]
    await send_durably(deps, key, Message(key=topic), key=f"{key}|reminder|{due_at.isoformat()}")
    await record_decision(deps.store, deps.clock, key=f"{key}|reminder|{due_at.isoformat()}", action="reminder.posted", actor="system",
                          group=str(key), clause=CLAUSE, outcome=topic)


async def _arm(store: Store, schedule: Schedule, *, after: datetime) -> None:
    due = next_fire(schedule.cron, schedule.timezone, after)
    await store.schedule_due(DueItem(queue=Queue.TIMERS, item_id=f"{schedule.group}|reminder|{schedule.revision}|{due.isoformat()}",
                                          kind=FIRE, due_at=due, payload={"group": str(schedule.group), "revision": schedule.revision}))
