"""A class's 班级群 from the school contacts becomes a group of the bot (issue 22): a directory
sync queues its join, the server reads its members as a customer group (staff type 1, parents
type 2) or, when WeCom answers 90501 (not a customer group), takes the class on the roster
instead and says so in `status`, `groups list` and `doctor`; the 班主任 is told first, privately."""

from __future__ import annotations

import io
from collections.abc import AsyncIterator
from pathlib import Path

import pytest

from bots.cli_operations import groups_list
from bots.directories import directory_readers
from bots.doctor import examine_settings
from bots.wecom.fakes.api import FakeWecomApi
from bots.wecom.fakes.school import CLASS_CHAT, SCHOOL_ROLE_GROUPS, small_school
from handlers.directory_sync import sync_listing
from state.clock import ManualClock
from state.models import GroupKey, Supervision
from tests.bots.wecom.conftest import WecomHarness, start_harness, until

GROUP = GroupKey("wecom", CLASS_CHAT)
HEAD_TEACHER, OFFICE, LEAD = "zhang.laoshi", "chen.zhuren", "liu.dsl"


@pytest.fixture
async def school(tmp_path: Path, wecom_api: FakeWecomApi, clock: ManualClock) -> AsyncIterator[WecomHarness]:
    small_school(wecom_api.school)
    harness = await start_harness(tmp_path / "school.db", wecom_api, clock, ESAFETY_ROLE_GROUPS=SCHOOL_ROLE_GROUPS)
    yield harness
    await harness.client.close()


async def sync(school: WecomHarness) -> None:
    bot = school.bot
    read = directory_readers(bot.settings, bot.store, school.clock)["wecom"]
    outcome = await sync_listing(bot.store, school.clock, "wecom", await read())
    assert outcome.joining == (GROUP,)


async def joined(school: WecomHarness) -> bool:
    group = await school.bot.store.get_group(GROUP)
    return group is not None and group.supervision is not Supervision.UNCHECKED


async def test_a_class_chat_that_is_a_customer_group_is_read_from_wecom(school: WecomHarness) -> None:
    school.api.add_customer_group(CLASS_CHAT, name="一年级1班家长群", owner=HEAD_TEACHER,
                                  members=[(HEAD_TEACHER, 1), (OFFICE, 1), ("wmEXTwangbaba", 2), ("wmEXTchenmama", 2)])
    await sync(school)
    await until(lambda: joined(school))
    group = await school.bot.store.get_group(GROUP)
    assert group is not None
    assert (group.kind, group.name, group.class_name, group.members_from_roster) == ("class_chat", "一年级1班家长群", "一年级1班", False)
    assert group.added_by is not None
    assert group.added_by.user_id == HEAD_TEACHER
    assert {member.user_id for member in await school.bot.store.group_members(GROUP)} == {HEAD_TEACHER, OFFICE, "wmEXTwangbaba",
                                                                                         "wmEXTchenmama"}
    assert group.supervision is Supervision.SUPERVISED
    listing = io.StringIO()
    await groups_list(school.bot.store, listing)
    assert "members=class roster" not in listing.getvalue()
    again = await sync_listing(school.bot.store, school.clock, "wecom",
                               await directory_readers(school.bot.settings, school.bot.store, school.clock)["wecom"]())
    assert again.joining == ()  # in it already: not joined twice


async def test_a_class_chat_wecom_cannot_list_is_checked_against_the_class_roster(school: WecomHarness) -> None:
    """90501: the class's students, parents and teachers on the roster stand in. With pupils and no
    one from the admin team, the group is unsupervised: the 班主任 hears first, privately, then the
    lead; the status, `groups list` and `doctor` all say the members came from the class roster."""
    await sync(school)
    await until(lambda: joined(school))
    group = await school.bot.store.get_group(GROUP)
    assert group is not None
    assert (group.name, group.class_name, group.members_from_roster) == ("一年级1班", "一年级1班", True)
    assert group.supervision is Supervision.UNSUPERVISED
    assert {member.user_id for member in await school.bot.store.group_members(GROUP)} == {
        "wang.xs", "chen.xs", "wmEXTwangbaba", "wang.mama", "wmEXTchenmama", HEAD_TEACHER, "li.laoshi"}
    told = school.bot.catalog.say("supervision.note_to_class_teacher", "zh_CN", group="", who="", how="", wait="")[:8]
    await until(lambda: any(told in text for text in school.api.texts_to_user(HEAD_TEACHER)) and school.api.texts_to_user(LEAD))
    listing = io.StringIO()
    await groups_list(school.bot.store, listing)
    assert f"wecom:{CLASS_CHAT}\t一年级1班\tclass=一年级1班\tunsupervised\tmembers=class roster" in listing.getvalue()
    findings = {finding.check: finding for finding in await examine_settings(school.bot.settings, school.clock)}
    assert "一年级1班" in findings["group members"].detail
    await school.deliver(school.callbacks.text(HEAD_TEACHER, f"status {CLASS_CHAT}"))
    said = school.bot.catalog.say("supervision.members_from_roster", "zh_CN")
    await until(lambda: any(said in text for text in school.api.texts_to_user(HEAD_TEACHER)))
    decisions = [entry.record.action for entry in await school.bot.store.read_audit()]
    assert "group.join_queued" in decisions
    assert "group.class_linked" not in decisions
