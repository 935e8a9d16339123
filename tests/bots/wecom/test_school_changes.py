"""The roster follows the school contacts as they change (issue 22): a change_school_contact
callback for a student or a parent is read on its own (school/user/get) and applied through the
roster guard; a deletion, a department change or a change_school_contact_batch runs one whole
sync at the next minute however many callbacks ask; a school whose roster does not follow the
school contacts ignores them."""

from __future__ import annotations

import logging
from collections.abc import AsyncIterator
from datetime import UTC, datetime
from pathlib import Path

import pytest

from bots.directories import directory_readers
from bots.wecom.fakes.api import FakeWecomApi
from bots.wecom.fakes.school import SCHOOL_ROLE_GROUPS, small_school
from handlers.directory_sync import sync_listing
from state.clock import ManualClock
from state.due import Queue
from state.models import Person, Role
from tests.bots.wecom.conftest import WecomHarness, start_harness, until

CLASS_1, CLASS_2 = "一年级1班", "一年级2班"


@pytest.fixture
async def school(tmp_path: Path, wecom_api: FakeWecomApi, clock: ManualClock) -> AsyncIterator[WecomHarness]:
    """The small school, synced whole once, as the nightly sync leaves it."""
    small_school(wecom_api.school)
    harness = await start_harness(tmp_path / "school.db", wecom_api, clock, ESAFETY_ROLE_GROUPS=SCHOOL_ROLE_GROUPS)
    read = directory_readers(harness.bot.settings, harness.bot.store, clock)["wecom"]
    await sync_listing(harness.bot.store, clock, "wecom", await read())
    yield harness
    await harness.client.close()


async def person(school: WecomHarness, userid: str) -> Person | None:
    return await school.bot.store.get_person("wecom", userid)


async def whole_sync_queued(school: WecomHarness) -> bool:
    """The one whole sync the callbacks asked for, due at the next minute, and no callback left."""
    minute = datetime.fromtimestamp((int(school.clock.now().timestamp()) // 60 + 1) * 60, UTC)
    item = await school.bot.store.get_due(Queue.TIMERS, f"directory-change|wecom|whole|{minute.isoformat()}")
    return item is not None and await school.bot.store.due_depth(Queue.INBOX) == 0


def whole_reads(api: FakeWecomApi) -> int:
    return sum(1 for request in api.received if request.path == "school/user/list")


async def test_a_new_pupil_is_read_on_their_own_and_joins_the_roster(school: WecomHarness) -> None:
    school.api.school.add_student(3, "lin.xs", "林小华", [("lin.mama", "妈妈", "wmEXTlinmama")])
    before = whole_reads(school.api)
    await school.deliver(school.callbacks.school_change("create_student", "lin.xs"))

    async def audited() -> bool:
        added = {entry.record.subject for entry in await school.bot.store.read_audit() if entry.record.action == "directory.added"}
        return {"wecom:lin.xs", "wecom:wmEXTlinmama"} <= added

    await until(audited)
    pupil, parent = await person(school, "lin.xs"), await person(school, "wmEXTlinmama")
    assert pupil is not None
    assert (pupil.name, pupil.role, pupil.classes, pupil.from_directory) == ("林小华", Role.STUDENT, (CLASS_1,), True)
    assert parent is not None
    assert (parent.name, parent.role, parent.classes) == ("林小华的妈妈", Role.PARENT, (CLASS_1,))
    assert whole_reads(school.api) == before  # read on its own: no class was listed again


async def test_a_parent_keeps_every_class_they_have_a_child_in(school: WecomHarness) -> None:
    """A second child of 王小明's father joins 2班: the father is read with both children."""
    school.api.school.add_student(4, "wang.xd", "王小东", [("wang.baba", "爸爸", "wmEXTwangbaba")])
    await school.deliver(school.callbacks.school_change("update_parent", "wang.baba"))

    async def both_classes() -> bool:
        father = await person(school, "wmEXTwangbaba")
        return father is not None and father.classes == (CLASS_1, CLASS_2)

    await until(both_classes)
    sibling = await person(school, "wang.xd")
    assert sibling is not None
    assert sibling.classes == (CLASS_2,)
    mother = await person(school, "wang.mama")
    assert mother is not None
    assert mother.classes == (CLASS_1,)


async def test_a_changed_userid_replaces_the_old_one(school: WecomHarness) -> None:
    (pupil,) = [each for each in school.api.school.students[3] if each["student_userid"] == "chen.xs"]
    pupil["student_userid"] = "chen.xiaohong"
    await school.deliver(school.callbacks.school_change("update_student", "chen.xs", new_id="chen.xiaohong"))

    async def renamed() -> bool:
        return await person(school, "chen.xiaohong") is not None and await person(school, "chen.xs") is None

    await until(renamed)


async def test_deletions_and_batches_run_one_whole_sync_at_the_next_minute(school: WecomHarness) -> None:
    school.api.school.remove_student("sun.xs")
    before = whole_reads(school.api)
    await school.deliver(school.callbacks.school_change("delete_student", "sun.xs"))
    await school.deliver(school.callbacks.school_change("update_department", "4"))
    await school.deliver(school.callbacks.school_change_batch([("delete_student", "sun.xs"), ("update_parent", "sun.nainai")]))

    await until(lambda: whole_sync_queued(school))
    assert await person(school, "sun.xs") is not None  # not before the minute is up
    school.clock.advance(60)
    school.bot.deps.doorbell.ring(Queue.TIMERS)

    async def gone() -> bool:
        return await person(school, "sun.xs") is None

    await until(gone)
    assert whole_reads(school.api) - before == 4  # one whole read: each of the 4 departments once
    removed = [entry.record.subject for entry in await school.bot.store.read_audit() if entry.record.action == "roster.removed"]
    assert "wecom:sun.xs" in removed


async def test_a_change_that_would_lose_the_lead_is_refused_and_the_office_told(school: WecomHarness) -> None:
    school.api.school.tags[7] = []  # the lead's tag emptied by mistake
    await school.deliver(school.callbacks.school_change_batch([("delete_department", "9")]))

    await until(lambda: whole_sync_queued(school))
    school.clock.advance(60)
    school.bot.deps.doorbell.ring(Queue.TIMERS)
    refused = school.bot.catalog.say("directory.refused", "zh_CN", channel="wecom", losses="").split("：")[0]
    await until(lambda: any(refused in text for text in school.api.texts_to_user("chen.zhuren")))
    lead = await person(school, "liu.dsl")
    assert lead is not None
    assert lead.role is Role.DSL


async def test_a_school_whose_roster_does_not_follow_the_school_contacts_ignores_them(wecom: WecomHarness,
                                                                                      caplog: pytest.LogCaptureFixture) -> None:
    """No WeCom role group: the roster is the school's file, and a change callback is logged and left."""
    caplog.set_level(logging.INFO, logger="esafety.wecom")
    await wecom.deliver(wecom.callbacks.school_change("create_student", "lin.xs"))
    await until(lambda: "a school contacts change is ignored" in caplog.text)
    assert not [request for request in wecom.api.received if request.path.startswith("school/")]
    assert await person(wecom, "lin.xs") is None
