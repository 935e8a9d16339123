"""Reminders into a 班级群, which the app cannot post into (issue 22): `groups set-delivery`
chooses a group send its 班主任 confirms (asked privately, read back after 1, 6 and 24 hours,
within WeCom's monthly limit, else forwarded by staff saying why) or a 学校通知 to the class's
families; what became of each is in `groups list`, the audit log and the digest."""

from __future__ import annotations

import io
from collections.abc import AsyncIterator
from datetime import timedelta
from pathlib import Path

import pytest

from bots.cli_operations import CommandRefused, groups_list
from bots.directories import directory_readers
from bots.wecom.cli_operations import set_delivery
from bots.wecom.fakes.api import FakeWecomApi
from bots.wecom.fakes.school import CLASS_CHAT, SCHOOL_ROLE_GROUPS, small_school
from handlers.digest import week_lines
from handlers.directory_sync import sync_listing
from handlers.group_delivery import last_delivery
from handlers.messenger import Message
from handlers.outbox import send_durably
from state.clock import ManualClock
from state.due import OUTBOX_LANES, Queue
from state.models import GroupKey, Supervision
from tests.bots.wecom.conftest import CUSTOMER_GROUP, WecomHarness, start_harness, until

GROUP = GroupKey("wecom", CLASS_CHAT)
HEAD_TEACHER = "zhang.laoshi"
REMINDER = Message(key="reminder.personal_info")


async def school_with(tmp_path: Path, api: FakeWecomApi, clock: ManualClock, *, customer_group: bool, **env: str) -> WecomHarness:
    """The small school, synced, with its 1班 班级群 joined (a customer group its 班主任 owns, or not)."""
    small_school(api.school)
    if customer_group:
        api.add_customer_group(CLASS_CHAT, name="一年级1班家长群", owner=HEAD_TEACHER, members=[(HEAD_TEACHER, 1), ("wmEXTwangbaba", 2)])
    harness = await start_harness(tmp_path / "school.db", api, clock, ESAFETY_ROLE_GROUPS=SCHOOL_ROLE_GROUPS, **env)
    read = directory_readers(harness.bot.settings, harness.bot.store, clock)["wecom"]
    await sync_listing(harness.bot.store, clock, "wecom", await read())

    async def joined_and_welcomed() -> bool:
        """Joined and checked (so its welcome is queued), and the welcome gone to staff (the default
        then): it must not be taken for a reminder the test sends."""
        group = await harness.bot.store.get_group(GROUP)
        depths = [await harness.bot.store.due_depth(lane) for lane in OUTBOX_LANES]
        return group is not None and group.supervision is not Supervision.UNCHECKED and not any(depths)

    await until(joined_and_welcomed)
    return harness


@pytest.fixture
async def school(tmp_path: Path, wecom_api: FakeWecomApi, clock: ManualClock) -> AsyncIterator[WecomHarness]:
    harness = await school_with(tmp_path, wecom_api, clock, customer_group=True, WECOM_GROUP_SENDS_PER_MONTH="2")
    yield harness
    await harness.client.close()


async def state_is(school: WecomHarness, state: str) -> bool:
    last = await last_delivery(school.bot.store, GROUP)
    return last is not None and last.state == state


async def remind(school: WecomHarness, key: str, reminder: Message = REMINDER) -> None:
    await send_durably(school.bot.deps, GROUP, reminder, key=key)


async def listed(school: WecomHarness) -> str:
    out = io.StringIO()
    await groups_list(school.bot.store, out)
    return out.getvalue()


async def test_a_group_send_is_confirmed_by_the_head_teacher_and_read_back(school: WecomHarness) -> None:
    await set_delivery(school.bot.store, school.clock, str(GROUP), "group-send")
    await remind(school, "r1")
    await until(lambda: school.api.waiting_group_sends(HEAD_TEACHER))
    asked = school.bot.catalog.say("wecom.group_send_confirm", "zh_CN", group="一年级1班家长群", text="").strip()
    await until(lambda: any(asked in text for text in school.api.texts_to_user(HEAD_TEACHER)))
    assert not school.api.group_texts(CLASS_CHAT)  # nothing reaches the group before the teacher confirms
    assert "delivery=group-send (last: confirm asked" in await listed(school)
    (msgid,) = school.api.waiting_group_sends(HEAD_TEACHER)
    school.api.confirm_group_send(msgid)
    school.clock.advance(3600)
    school.bot.deps.doorbell.ring(Queue.TIMERS)
    await until(lambda: state_is(school, "confirmed"))
    reminder = school.bot.catalog.say("reminder.personal_info", "zh_CN")
    assert any(reminder in text for text in school.api.group_texts(CLASS_CHAT))
    assert "delivery=group-send (last: confirmed" in await listed(school)


async def test_a_group_send_nobody_confirms_is_in_the_digest(school: WecomHarness) -> None:
    await set_delivery(school.bot.store, school.clock, str(GROUP), "group-send")
    start = school.clock.now()
    await remind(school, "r1")
    await until(lambda: state_is(school, "confirm_asked"))
    for hours in (1, 5, 18):  # the looks at 1, 6 and 24 hours
        school.clock.advance(hours * 3600)
        school.bot.deps.doorbell.ring(Queue.TIMERS)
    await until(lambda: state_is(school, "unconfirmed"))
    lines = dict(await week_lines(school.bot.deps, start, start + timedelta(days=7)))
    assert lines["digest.delivery_line"] == {"group": lines["digest.delivery_line"]["group"], "asked": 1, "confirmed": 0,
                                             "unconfirmed": 1, "held": 0, "notices": 0}


async def test_the_monthly_limit_holds_and_the_staff_forward_past_it(school: WecomHarness) -> None:
    """WECOM_GROUP_SENDS_PER_MONTH=2: the third reminder this month goes to the staff to forward, saying
    why; next month group sends resume."""
    await set_delivery(school.bot.store, school.clock, str(GROUP), "group-send")
    for n, tip in ((1, "personal_info"), (2, "photos")):
        await remind(school, f"r{n}", Message(key=f"reminder.{tip}"))
        await until(lambda n=n: len(school.api.waiting_group_sends(HEAD_TEACHER)) == n)
    await remind(school, "r3", Message(key="reminder.scams"))
    held = school.bot.catalog.say("wecom.forward_group_send_held", "zh_CN", group="一年级1班家长群", text="").strip()
    await until(lambda: any(held in text for text in school.api.texts_to_user(HEAD_TEACHER)))
    assert await state_is(school, "cap_reached")
    assert len(school.api.waiting_group_sends(HEAD_TEACHER)) == 2
    school.clock.advance(31 * 86_400)
    await remind(school, "r4", Message(key="reminder.harassment"))
    await until(lambda: len(school.api.waiting_group_sends(HEAD_TEACHER)) == 3)


async def test_a_retried_message_is_one_group_send(school: WecomHarness) -> None:
    """The outbox retrying the same words (after a crash, or a failure past WeCom's answer) finds
    the group send WeCom already holds: not a second one, not counted twice."""
    await set_delivery(school.bot.store, school.clock, str(GROUP), "group-send")
    group = await school.bot.store.get_group(GROUP)
    assert group is not None
    delivery = school.bot.wecom.messenger.class_chats  # type: ignore[union-attr]
    first = await delivery.group_send(group, "安全小贴士")
    assert await delivery.group_send(group, "安全小贴士") == first
    assert school.api.waiting_group_sends(HEAD_TEACHER) == [first]


async def test_a_school_notice_reaches_the_class_families(school: WecomHarness) -> None:
    await set_delivery(school.bot.store, school.clock, str(GROUP), "school-notice")
    await remind(school, "r1")
    await until(lambda: school.api.school.notice_texts(3))
    (notice,) = school.api.school.notices
    assert (notice["recv_scope"], notice["to_party"], notice["agentid"]) == (2, ["3"], school.api.agent_id)
    assert await state_is(school, "notice_sent")


async def test_a_class_outside_the_apps_parent_scope_is_not_silently_dropped(school: WecomHarness) -> None:
    school.api.school.parent_scope = {4}
    await set_delivery(school.bot.store, school.clock, str(GROUP), "school-notice")
    await remind(school, "r1")

    async def waiting_with_the_reason() -> bool:
        return any("get_allow_scope" in entry.item.last_error for entry in await school.bot.store.list_undelivered(Queue.OUTBOX))

    await until(waiting_with_the_reason)
    assert not school.api.school.notices


async def test_a_class_chat_that_is_not_a_customer_group_falls_back_to_the_staff(tmp_path: Path, wecom_api: FakeWecomApi,
                                                                                 clock: ManualClock) -> None:
    school = await school_with(tmp_path, wecom_api, clock, customer_group=False)
    try:
        await set_delivery(school.bot.store, clock, str(GROUP), "group-send")
        await remind(school, "r1")
        held = school.bot.catalog.say("wecom.forward_group_send_held", "zh_CN", group="一年级1班", text="").strip()
        await until(lambda: any(held in text for text in school.api.texts_to_user(HEAD_TEACHER)))
        assert await state_is(school, "not_sent")
    finally:
        await school.client.close()


async def test_set_delivery_refuses_what_the_group_cannot_use(wecom: WecomHarness) -> None:
    await wecom.deliver(wecom.callbacks.external_chat(CUSTOMER_GROUP, "create"))

    async def joined() -> bool:
        return await wecom.bot.store.get_group(GroupKey("wecom", CUSTOMER_GROUP)) is not None

    await until(joined)
    with pytest.raises(CommandRefused, match="school contacts"):
        await set_delivery(wecom.bot.store, wecom.clock, CUSTOMER_GROUP, "school-notice")
    assert await set_delivery(wecom.bot.store, wecom.clock, CUSTOMER_GROUP, "group-send") == f"wecom:{CUSTOMER_GROUP}"
    assert await set_delivery(wecom.bot.store, wecom.clock, CUSTOMER_GROUP, "owner") == f"wecom:{CUSTOMER_GROUP}"
    group = await wecom.bot.store.get_group(GroupKey("wecom", CUSTOMER_GROUP))
    assert group is not None
    assert group.delivery == ""
    actions = [entry.record.outcome for entry in await wecom.bot.store.read_audit() if entry.record.action == "group.delivery_set"]
    assert actions == ["group-send", "owner"]
