"""`schedule` for staff: see, set or turn off a group's reminder times (000 §5.3: broadcast times
agreed with the school). In a group (Teams @mention): `schedule`, `schedule set "0 9 * * MON,THU"
[ZONE]`, `schedule off`; in a 1:1, naming the group first (`schedule GROUP set "…"`), since a
WeCom app cannot read group messages. Role-checked every time; anyone else is refused
privately and audited."""

from __future__ import annotations

import shlex

from handlers.cron import ScheduleError, check
from handlers.duties import Deps
from handlers.groups import GroupNotFound, resolve_group
from handlers.messenger import Message
from handlers.outbox import send_durably
from handlers.reminders import set_schedule
from state.models import Group, GroupKey, Person


async def schedule_command(deps: Deps, person: Person, args: str, *, in_group: GroupKey | None, event_id: str) -> None:
    where = in_group or person.ref
    try:
        group, words = await _target(deps, args, in_group)
        locale = group.locale if in_group is not None else person.locale or deps.school_locale  # the state word's language
        answer = await _act(deps, person, group, words, locale, event_id)
    except ScheduleError as error:
        answer = Message(key=error.key, fields=error.fields)
    except (ValueError, GroupNotFound):  # unbalanced quotes, no such group, an unknown action
        answer = Message(key="schedule.usage")
    await send_durably(deps, where, answer, key=f"reply:{event_id}")


async def _target(deps: Deps, args: str, in_group: GroupKey | None) -> tuple[Group, list[str]]:
    words = shlex.split(args)
    if in_group is not None:
        group = await deps.store.get_group(in_group)
        if group is None:
            raise GroupNotFound(f"no group {in_group}")
        return group, words
    if not words:
        raise ValueError("no group named")
    return await resolve_group(deps.store, words[0]), words[1:]


async def _act(deps: Deps, person: Person, group: Group, words: list[str], locale: str, event_id: str) -> Message:
    current = await deps.store.get_schedule(group.key)
    action = words[0].casefold() if words else "show"
    if action == "set" and len(words) in (2, 3):
        cron = words[1]
        timezone = words[2] if len(words) == 3 else current.timezone if current else group.timezone
        check(cron, timezone)
        await set_schedule(deps.store, deps.clock, group.key, cron, timezone, actor=str(person.ref), event_id=event_id)
        return Message(key="schedule.set", fields={"group": group.name, "cron": cron, "timezone": timezone})
    if action == "off":
        await set_schedule(deps.store, deps.clock, group.key, current.cron if current else "-", current.timezone if current else "-",
                           actor=str(person.ref), enabled=False, event_id=event_id)
        return Message(key="schedule.off", fields={"group": group.name})
    if action == "show":
        on = current is not None and current.enabled
        state = deps.catalog.say("schedule.state_on" if on else "schedule.state_off", locale)
        return Message(key="schedule.show", fields={"group": group.name, "cron": current.cron if current else "-",
                                                    "timezone": current.timezone if current else "-", "state": state})
    raise ValueError(f"unknown schedule action {action!r}")
