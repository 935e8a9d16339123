"""The periodic directory sync (ESAFETY_DIRECTORY_SYNC, a cron line in school time, nightly at
02:00 by default): the roster follows the directory without anyone exporting a file.

A sync that the roster guard refuses, or a directory that cannot be read, applies nothing, and
that is never silent: the head and the admin team are told in chat what was refused or what
failed and what to do, and it is audited (004 strategy 9: the people who receive reports must not
quietly disappear; 000 §3). Each channel's last result is kept for `doctor`.
"""

from __future__ import annotations

import json
import logging
from collections.abc import Awaitable, Callable, Mapping
from dataclasses import dataclass
from datetime import datetime
from functools import partial

from handlers.audit import record_decision
from handlers.cron import next_fire
from handlers.directory_sync import Changes, DirectoryError, Listing, SyncOutcome, sync_changes, sync_listing
from handlers.duties import Deps
from handlers.messenger import Message
from handlers.outbox import ADMIN_ROLES, send_durably
from handlers.roster import ROSTER_CLAUSE
from handlers.roster_guard import RosterRefused
from state.due import DueItem, Queue
from state.models import Role
from state.store import Store

log = logging.getLogger(__name__)
SYNC = "directory.sync"
LAST_RESULT = "directory:last:{channel}"
KEEP_RESULT_SECONDS = 400 * 86_400  # long past any sync schedule: doctor always finds the last one
CHANGED = "directory.changed"
Reader = Callable[[], Awaitable[Listing]]
"""Reads one channel's directory whole; raises DirectoryError when it cannot."""
ChangeReader = Callable[[Mapping[str, str]], Awaitable[Changes]]
"""Reads what one reported change touched; raises DirectoryError when it cannot."""


@dataclass(frozen=True)
class LastSync:
    """A channel's last periodic sync, as `doctor` reports it."""

    at: datetime
    result: str  # "applied", "refused" or "failed"
    detail: str


async def arm_directory_sync(deps: Deps, cron: str) -> None:
    """At start-up: the next sync is armed (the same item from every instance, so one)."""
    await deps.store.schedule_due(_item(next_fire(cron, deps.school_timezone, deps.clock.now()), cron))


async def run_directory_sync(item: DueItem, deps: Deps, readers: Mapping[str, Reader], cron: str) -> None:
    """Sync every channel's directory; tell the head and the admins (the leads when neither is on
    the roster) of whatever was not applied; arm the next run."""
    if item.payload.get("cron") != cron:
        return  # the setting changed: the chain armed at start-up under the new one takes over
    for channel, read in readers.items():
        await _apply_and_tell(deps, item, channel, partial(_whole, deps, channel, read))
    await deps.store.schedule_due(_item(next_fire(cron, deps.school_timezone, max(item.due_at, deps.clock.now())), cron))


def directory_change(channel: str, item_id: str, due: datetime, change: Mapping[str, str]) -> DueItem:
    """A change the directory reported (WeCom's change_school_contact): `change` names what to
    read on its own, or is empty for a whole sync."""
    return DueItem(queue=Queue.TIMERS, item_id=item_id, kind=CHANGED, due_at=due, payload={"channel": channel, "change": dict(change)})


async def run_directory_change(item: DueItem, deps: Deps, readers: Mapping[str, Reader],
                               change_readers: Mapping[str, ChangeReader]) -> None:
    """Apply a change the directory reported, as the nightly sync would, told the same way when
    it is not applied. A channel whose directory the school does not sync ignores it."""
    channel, change = str(item.payload["channel"]), item.payload.get("change") or {}
    read_whole, read_change = readers.get(channel), change_readers.get(channel)
    if read_whole is None or read_change is None:
        log.info("a directory change on %s is ignored: its directory is not synced", channel)
        return
    if change:
        await _apply_and_tell(deps, item, channel, partial(_changed, deps, channel, read_change, change))
    else:
        await _apply_and_tell(deps, item, channel, partial(_whole, deps, channel, read_whole))


async def _whole(deps: Deps, channel: str, read: Reader) -> SyncOutcome:
    return await sync_listing(deps.store, deps.clock, channel, await read())


async def _changed(deps: Deps, channel: str, read: ChangeReader, change: Mapping[str, str]) -> SyncOutcome:
    return await sync_changes(deps.store, deps.clock, channel, await read(change))


async def _apply_and_tell(deps: Deps, item: DueItem, channel: str, apply: Callable[[], Awaitable[SyncOutcome]]) -> None:
    """Apply a sync; whatever is not applied is audited and told (and kept for doctor)."""
    try:
        outcome = await apply()
    except RosterRefused as refused:
        await _not_applied(deps, item, channel, "refused", Message(key="directory.refused", fields={
            "channel": channel, "losses": "; ".join(refused.losses)}))
    except DirectoryError as failed:
        await record_decision(deps.store, deps.clock, action="directory.failed", actor="directory", clause=ROSTER_CLAUSE,
                              outcome=channel, detail={"reason": str(failed)[:300]})
        await _not_applied(deps, item, channel, "failed", Message(key="directory.failed", fields={
            "channel": channel, "reason": str(failed)}))
    else:
        change = outcome.change
        detail = f"{len(change.added)} added, {len(change.updated)} updated, {len(change.removed)} removed" if change else ""
        await _remember(deps.store, channel, LastSync(deps.clock.now(), "applied", detail))


async def last_sync(store: Store, channel: str) -> LastSync | None:
    raw = await store.cache_get(LAST_RESULT.format(channel=channel))
    if raw is None:
        return None
    data = json.loads(raw)
    return LastSync(datetime.fromisoformat(data["at"]), data["result"], data["detail"])


async def _not_applied(deps: Deps, item: DueItem, channel: str, result: str, message: Message) -> None:
    log.error("directory sync of %s %s: nothing applied; the head and the admins are told", channel, result)
    people = [person for person in await deps.store.list_people() if person.channel in deps.channels]
    told = [person for person in people if person.role in ADMIN_ROLES] or [person for person in people if person.role is Role.DSL]
    for person in told:
        await send_durably(deps, person.ref, message, key=f"{item.item_id}|{channel}|{person.ref}")
    why = message.fields.get("losses") or message.fields.get("reason")
    await _remember(deps.store, channel, LastSync(deps.clock.now(), result, f"{why}; {len(told)} staff told"))


async def _remember(store: Store, channel: str, last: LastSync) -> None:
    await store.cache_set(LAST_RESULT.format(channel=channel), json.dumps({"at": last.at.isoformat(), "result": last.result,
                                                                          "detail": last.detail}), KEEP_RESULT_SECONDS)


def _item(due: datetime, cron: str) -> DueItem:
    return DueItem(queue=Queue.TIMERS, item_id=f"directory-sync|{due.isoformat()}", kind=SYNC, due_at=due, payload={"cron": cron})
