"""The nightly directory sync: applied when the guard allows, and when it refuses or the
directory cannot be read, nothing applied and the head and the admin team told; the next run
armed either way, and the last result kept for doctor."""

from __future__ import annotations

from collections.abc import Mapping
from datetime import datetime, timedelta

from handlers.cron import next_fire
from handlers.directory_schedule import arm_directory_sync, directory_change, last_sync, run_directory_change, run_directory_sync
from handlers.directory_sync import Changes, DirectoryError, Listing
from handlers.duties import Deps
from state.due import DueItem, Queue
from state.models import Person, PersonRef, Role
from tests.fakes.recording_messenger import RecordingMessenger
from tests.handlers.conftest import drain, keys_to

CRON = "0 2 * * *"


def listed(user_id: str, role: Role) -> Person:
    return Person(channel="teams", user_id=user_id, name=user_id.title(), role=role, from_directory=True)


SCHOOL = [listed("lead", Role.DSL), listed("head", Role.HEAD), listed("office", Role.ADMIN), listed("teacher", Role.TEACHER),
          listed("pupil", Role.STUDENT)]


async def armed(deps: Deps, after: datetime) -> DueItem | None:
    due = next_fire(CRON, deps.school_timezone, after)
    return await deps.store.get_due(Queue.TIMERS, f"directory-sync|{due.isoformat()}")


async def due_sync(deps: Deps) -> DueItem:
    """The armed sync, with the clock moved to its time."""
    item = await armed(deps, deps.clock.now())
    assert item is not None
    deps.clock.advance((item.due_at - deps.clock.now()).total_seconds())  # type: ignore[attr-defined]
    return item


async def test_the_nightly_sync_applies_the_directory_and_arms_the_next(deps: Deps) -> None:
    async def directory() -> Listing:
        return Listing(SCHOOL)

    await arm_directory_sync(deps, CRON)
    item = await due_sync(deps)
    assert deps.school_time(item.due_at).hour == 2
    await run_directory_sync(item, deps, {"teams": directory}, CRON)
    assert len(await deps.store.list_people()) == len(SCHOOL)
    last = await last_sync(deps.store, "teams")
    assert last is not None
    assert (last.result, last.detail) == ("applied", "5 added, 0 updated, 0 removed")
    following = await armed(deps, item.due_at)
    assert following is not None
    assert following.due_at == item.due_at + timedelta(days=1)


async def test_a_refused_sync_changes_nothing_and_tells_the_head_and_the_admins(deps: Deps, messenger: RecordingMessenger) -> None:
    await deps.store.replace_roster(["teams"], SCHOOL)

    async def without_the_lead() -> Listing:
        return Listing([person for person in SCHOOL if person.role is not Role.DSL])

    await arm_directory_sync(deps, CRON)
    await run_directory_sync(await due_sync(deps), deps, {"teams": without_the_lead}, CRON)
    await drain(deps)
    assert await deps.store.get_person("teams", "lead") is not None
    for told in ("head", "office"):
        assert keys_to(messenger, PersonRef("teams", told)) == ["directory.refused"]
    last = await last_sync(deps.store, "teams")
    assert last is not None
    assert last.result == "refused"
    assert "no safeguarding lead" in last.detail


async def test_a_directory_that_cannot_be_read_is_audited_and_told(deps: Deps, messenger: RecordingMessenger) -> None:
    await deps.store.replace_roster(["teams"], SCHOOL)

    async def unreadable() -> Listing:
        raise DirectoryError("teams: Microsoft Graph: the token endpoint refused the app's credentials")

    await arm_directory_sync(deps, CRON)
    await run_directory_sync(await due_sync(deps), deps, {"teams": unreadable}, CRON)
    await drain(deps)
    assert keys_to(messenger, PersonRef("teams", "head")) == ["directory.failed"]
    assert [e.record.action for e in await deps.store.read_audit() if e.record.action.startswith("directory.")] == ["directory.failed"]
    assert await armed(deps, deps.clock.now()) is not None  # the next night's run is armed


async def test_a_reported_change_is_applied_or_told_like_the_nightly_sync(deps: Deps, messenger: RecordingMessenger) -> None:
    """A change read on its own is applied; one that cannot be read is audited and told; a channel
    whose directory is no longer synced leaves it."""
    async def directory() -> Listing:
        return Listing(SCHOOL)

    async def one_pupil(change: Mapping[str, str]) -> Changes:
        if change["id"] == "unreadable":
            raise DirectoryError("teams: the record could not be read")
        return Changes((listed(change["id"], Role.STUDENT),))

    def reported(item_id: str, change: dict[str, str]) -> DueItem:
        return directory_change("teams", item_id, deps.clock.now(), change)

    await run_directory_change(reported("c1", {}), deps, {"teams": directory}, {"teams": one_pupil})
    assert len(await deps.store.list_people()) == len(SCHOOL)
    await run_directory_change(reported("c2", {"change": "create_student", "id": "newcomer"}), deps, {"teams": directory},
                               {"teams": one_pupil})
    assert await deps.store.get_person("teams", "newcomer") is not None
    await run_directory_change(reported("c3", {"change": "create_student", "id": "unreadable"}), deps, {"teams": directory},
                               {"teams": one_pupil})
    await drain(deps)
    assert keys_to(messenger, PersonRef("teams", "office")) == ["directory.failed"]
    await run_directory_change(reported("c4", {"change": "create_student", "id": "late"}), deps, {}, {})
    assert await deps.store.get_person("teams", "late") is None
