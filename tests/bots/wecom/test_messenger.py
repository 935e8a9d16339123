"""How each kind of WeCom group and person is reached: an app-created chat (appchat/send), a group
robot (webhook, 20 a minute), a customer group (privately to its owner and staff, ready to
forward), a staff member (message/send) and an external contact (unreachable: WeCom says so)."""

from __future__ import annotations

from dataclasses import replace

import pytest

from bots.wecom.messenger import WecomMessenger
from handlers.messenger import Message, Unreachable
from state.models import Group, GroupKey, Member, PersonRef
from tests.bots.wecom.conftest import ADMIN, CUSTOMER_GROUP, TEACHER, WecomHarness

WARNING = Message(key="supervision.group_warning", fields={"missing": "admin"})


def messenger(harness: WecomHarness) -> WecomMessenger:
    assert harness.bot.wecom is not None
    return harness.bot.wecom.messenger


async def register(harness: WecomHarness, chat_id: str, kind: str, members: list[str], **extra: object) -> GroupKey:
    key = GroupKey("wecom", chat_id)
    group = Group(key=key, name="六年级B班", joined_at=harness.clock.now(), kind=kind, locale="zh_CN",
                  address={"chat_id": chat_id, "kind": kind, "owner": TEACHER})
    await harness.bot.store.register_group(replace(group, **extra))  # type: ignore[arg-type]
    await harness.bot.store.set_group_members(key, [Member(user_id=userid) for userid in members])
    return key


async def test_an_app_created_chat_is_posted_into(wecom: WecomHarness) -> None:
    chat_id = wecom.api.add_app_chat("chat-6b", name="六年级B班", owner=TEACHER, userlist=[TEACHER, ADMIN])
    key = await register(wecom, chat_id, "appchat", [TEACHER, ADMIN])
    await messenger(wecom).send_to_group(key, WARNING)
    assert len(wecom.api.group_texts(chat_id)) == 1


async def test_a_robot_webhook_is_used_when_set_and_limited_to_20_a_minute(wecom: WecomHarness) -> None:
    url = wecom.api.add_robot("robot-key", CUSTOMER_GROUP)
    key = await register(wecom, CUSTOMER_GROUP, "customer", [TEACHER], webhook=url)
    started = wecom.clock.now()
    for _ in range(21):
        await messenger(wecom).send_to_group(key, WARNING)
    assert len(wecom.api.group_texts(CUSTOMER_GROUP)) == 21
    assert (wecom.clock.now() - started).total_seconds() >= 59, "the 21st waited for the minute to pass"


async def test_a_customer_group_is_reached_through_its_owner_and_staff(wecom: WecomHarness) -> None:
    key = await register(wecom, CUSTOMER_GROUP, "customer", [TEACHER, ADMIN, "wm_student_li"])
    sent = await messenger(wecom).send_to_group(key, WARNING)
    assert sent.address["to"] == [TEACHER, ADMIN]
    warning = wecom.bot.catalog.say("supervision.group_warning", "zh_CN", missing="admin")
    for userid in (TEACHER, ADMIN):
        (text,) = wecom.api.texts_to_user(userid)
        assert warning in text
    assert wecom.api.texts_to_user("wm_student_li") == []
    assert wecom.api.group_posts() == []


async def test_an_external_contact_cannot_be_messaged(wecom: WecomHarness) -> None:
    wecom.api.unknown_users.add("wm_parent_li")
    with pytest.raises(Unreachable):
        await messenger(wecom).send_to_person(PersonRef("wecom", "wm_parent_li"), Message(key="help.parent"))


async def test_a_retried_send_is_suppressed_by_wecom_duplicate_check(wecom: WecomHarness) -> None:
    person = PersonRef("wecom", TEACHER)
    await messenger(wecom).send_to_person(person, Message(key="help.staff"))
    await messenger(wecom).send_to_person(person, Message(key="help.staff"))
    assert len(wecom.api.texts_to_user(TEACHER)) == 1
    assert wecom.api.duplicates_suppressed == 1


async def test_a_title_with_lines_goes_to_staff_as_markdown(wecom: WecomHarness) -> None:
    line = {"reference": "C-2026-000001", "state": "new", "urgency": "normal", "received": "09:00"}
    listing = Message(key="case.list_header", fields={"count": 1}, lines=(("case.list_line", line),))
    await messenger(wecom).send_to_person(PersonRef("wecom", TEACHER), listing)
    (sent,) = wecom.api.sent_messages()
    assert sent["msgtype"] == "markdown"
    assert sent["markdown"]["content"].startswith("**")
    assert "\n> " in sent["markdown"]["content"]
