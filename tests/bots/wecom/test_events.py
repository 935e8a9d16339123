"""Every typed WeCom event through HTTP, translated into the neutral events and handled by the
same duties as on Teams: 1:1 messages, the app menu, enter_agent, customer-group create / member
changes / dismiss (with the roster read from the fake API), and template-card clicks."""

from __future__ import annotations

import logging

import pytest

from bots.wecom.wechat_events import parse_callback
from handlers.messenger import Message
from handlers.outbox import send_durably
from state.due import Queue
from state.models import GroupKey, PersonRef, Supervision
from tests.bots.wecom.conftest import ADMIN, CUSTOMER_GROUP, DSL, INTERNAL_STUDENT, STUDENTS, TEACHER, WecomHarness, until

GROUP = GroupKey("wecom", CUSTOMER_GROUP)


async def test_a_student_1to1_message_is_refused_with_a_report_button(wecom: WecomHarness) -> None:
    """The refusal is a template card whose button starts a private report (key `report`)."""
    await wecom.deliver(wecom.callbacks.text(INTERNAL_STUDENT, "老师，今天作业是什么？"))
    await until(lambda: wecom.api.texts_to_user(INTERNAL_STUDENT))
    (card,) = [m for m in wecom.api.sent_messages() if m["touser"] == INTERNAL_STUDENT]
    assert card["msgtype"] == "template_card"
    assert [button["key"] for button in card["template_card"]["button_list"]] == ["report"]
    actions = [entry.record.action for entry in await wecom.bot.store.read_audit()]
    assert "dm.refused" in actions


async def test_a_picture_is_answered_too(wecom: WecomHarness) -> None:
    """A child who sends a picture instead of words still hears back (how to report in words)."""
    await wecom.deliver(wecom.callbacks.image(INTERNAL_STUDENT))
    await until(lambda: wecom.api.texts_to_user(INTERNAL_STUDENT))


async def test_the_menu_item_starts_a_private_report(wecom: WecomHarness) -> None:
    await wecom.deliver(wecom.callbacks.menu_click(INTERNAL_STUDENT, "report"))
    await until(lambda: wecom.api.texts_to_user(INTERNAL_STUDENT))
    assert wecom.api.texts_to_user(INTERNAL_STUDENT)[0] == wecom.bot.catalog.say("report.prompt", "zh_CN")


async def test_enter_agent_remembers_the_way_to_the_person(wecom: WecomHarness) -> None:
    await wecom.deliver(wecom.callbacks.enter_agent(TEACHER))

    async def remembered() -> bool:
        return await wecom.bot.store.get_person_address(PersonRef("wecom", TEACHER)) == {"userid": TEACHER}

    await until(remembered)


async def test_a_message_waiting_for_someone_outside_the_apps_range_goes_when_the_directory_adds_them(wecom: WecomHarness) -> None:
    """WeCom refuses a member outside the app's visible range (81013): the message waits. The
    directory's change_contact for them (brought into the range) sends it at once."""
    wecom.api.unknown_users.add(DSL)
    await send_durably(wecom.bot.deps, PersonRef("wecom", DSL), Message(key="report.prompt"), key="wait-1")

    async def waiting() -> bool:
        return any(u.item.item_id == "wait-1" for u in await wecom.bot.store.list_undelivered(Queue.OUTBOX))

    await until(waiting)
    wecom.api.unknown_users.discard(DSL)
    await wecom.deliver(wecom.callbacks.event(DSL, "change_contact", ChangeType="update_user", UserID=DSL))
    await until(lambda: wecom.api.texts_to_user(DSL))
    assert not await waiting()


async def test_customer_group_created_without_an_admin_is_flagged(wecom: WecomHarness) -> None:
    """create → join with the roster read from groupchat/get; no admin → the warning goes to the
    owner to forward (an app cannot post in a customer group), the alert to the DSL and the
    class's admin; the consent gap is listed privately to staff."""
    await wecom.deliver(wecom.callbacks.external_chat(CUSTOMER_GROUP, "create"))
    await until(lambda: wecom.api.texts_to_user(DSL))
    group = await wecom.bot.store.get_group(GROUP)
    assert group is not None
    assert group.kind == "customer"
    assert group.supervision is Supervision.UNSUPERVISED
    members = {member.user_id for member in await wecom.bot.store.group_members(GROUP)}
    assert members == {TEACHER, *STUDENTS}
    await until(lambda: any("转发" in text for text in wecom.api.texts_to_user(TEACHER)))
    assert wecom.api.texts_to_user(ADMIN), "the class's admin is alerted"
    await until(lambda: any("王同学" in text for text in wecom.api.texts_to_user(TEACHER)))  # consent gap, privately
    assert wecom.api.group_posts() == []


async def test_an_admin_added_resolves_and_a_removed_one_flags_again(wecom: WecomHarness) -> None:
    await wecom.deliver(wecom.callbacks.external_chat(CUSTOMER_GROUP, "create"))
    await until(lambda: wecom.api.texts_to_user(DSL))
    wecom.api.set_customer_group_members(CUSTOMER_GROUP, [(TEACHER, 1), (ADMIN, 1), ("wm_student_li", 2), ("wm_student_wang", 2)])
    await wecom.deliver(wecom.callbacks.external_chat(CUSTOMER_GROUP, "update", detail="add_member", count=1))

    async def supervised() -> bool:
        group = await wecom.bot.store.get_group(GROUP)
        return group is not None and group.supervision is Supervision.SUPERVISED

    await until(supervised)
    wecom.clock.advance(1)
    wecom.api.set_customer_group_members(CUSTOMER_GROUP, [(TEACHER, 1), ("wm_student_li", 2)])
    await wecom.deliver(wecom.callbacks.external_chat(CUSTOMER_GROUP, "update", detail="del_member", count=2))

    async def one_to_one() -> bool:
        audit = [entry.record for entry in await wecom.bot.store.read_audit()]
        return any(record.action == "supervision.unsupervised" and record.outcome == "one_to_one" for record in audit)

    await until(one_to_one)


async def test_a_stranger_in_the_group_is_flagged_as_a_guest(wecom: WecomHarness) -> None:
    wecom.api.set_customer_group_members(CUSTOMER_GROUP, [(TEACHER, 1), (ADMIN, 1), ("wm_student_li", 2), ("wm_stranger", 2)])
    await wecom.deliver(wecom.callbacks.external_chat(CUSTOMER_GROUP, "create"))

    async def flagged() -> bool:
        return any(entry.record.action == "supervision.guest_flagged" for entry in await wecom.bot.store.read_audit())

    await until(flagged)


async def test_a_dismissed_group_is_unmonitored_and_the_lead_told(wecom: WecomHarness) -> None:
    await wecom.deliver(wecom.callbacks.external_chat(CUSTOMER_GROUP, "create"))
    await until(lambda: wecom.api.texts_to_user(DSL))
    before = len(wecom.api.texts_to_user(DSL))
    await wecom.deliver(wecom.callbacks.external_chat(CUSTOMER_GROUP, "dismiss"))
    await until(lambda: len(wecom.api.texts_to_user(DSL)) > before)
    group = await wecom.bot.store.get_group(GROUP)
    assert group is not None
    assert group.supervision is Supervision.UNMONITORED


async def test_staff_ask_for_status_in_a_1to1_and_students_are_refused(wecom: WecomHarness) -> None:
    """A WeCom app cannot read group messages, so `status GROUP` is asked in the app's 1:1."""
    await wecom.deliver(wecom.callbacks.external_chat(CUSTOMER_GROUP, "create"))
    await until(lambda: any("王同学" in text for text in wecom.api.texts_to_user(TEACHER)))  # the join's own consent alert first
    wecom.clock.advance(601)  # past WeCom's duplicate check: the same consent-gap text was sent on joining
    before = len(wecom.api.texts_to_user(TEACHER))
    await wecom.deliver(wecom.callbacks.text(TEACHER, f"status wecom:{CUSTOMER_GROUP}"))
    await until(lambda: any("王同学" in text for text in wecom.api.texts_to_user(TEACHER)[before:]))  # consent gaps named privately
    await wecom.deliver(wecom.callbacks.text(INTERNAL_STUDENT, f"status wecom:{CUSTOMER_GROUP}"))

    async def refused() -> bool:
        return any(entry.record.action in ("staff_command.refused", "dm.refused") and entry.record.actor == f"wecom:{INTERNAL_STUDENT}"
                   for entry in await wecom.bot.store.read_audit())

    await until(refused)


def test_every_event_we_need_parses_as_a_typed_class(wecom: WecomHarness) -> None:
    """wechatpy 1.8.18 alone parses these as UnknownMessage; registered, they are typed."""
    make = wecom.callbacks
    directory = make.event("sys", "change_contact", ChangeType="delete_user", UserID="leaver")
    parsed = {
        "change_external_chat": parse_callback(make.external_chat(CUSTOMER_GROUP, "update", detail="add_member")),
        "change_contact": parse_callback(directory),
        "template_card_event": parse_callback(make.card_click(DSL, "ack:C-2026-000001", task_id="t", response_code="rc")),
    }
    assert {name: type(event).__name__ for name, event in parsed.items()} == {
        "change_external_chat": "ChangeExternalChatEvent", "change_contact": "ChangeContactEvent",
        "template_card_event": "TemplateCardEvent"}
    assert (parsed["change_external_chat"].chat_id, parsed["change_external_chat"].update_detail) == (CUSTOMER_GROUP, "add_member")
    assert (parsed["change_contact"].change_type, parsed["change_contact"].user_id) == ("delete_user", "leaver")
    assert parsed["template_card_event"].response_code == "rc"


async def test_events_the_bot_does_not_act_on_are_answered_and_dropped_quietly(wecom: WecomHarness,
                                                                                caplog: pytest.LogCaptureFixture) -> None:
    contact = wecom.callbacks.event("sys", "change_contact", ChangeType="delete_user", UserID="leaver")  # typed, not acted on
    unknown = wecom.callbacks.event("sys", "change_external_tag", ChangeType="create")  # not even typed: UnknownMessage
    with caplog.at_level(logging.INFO):
        for callback in (contact, unknown):
            response = await wecom.deliver(callback)
            assert await response.text() == "success"
        await until(lambda: any("wecom event change_contact ignored" in r.getMessage() for r in caplog.records))
        await until(lambda: any("wecom callback of an unknown kind ignored" in r.getMessage() for r in caplog.records))
    assert wecom.api.sent_messages() == [], "nobody is answered: 'sys' is not a person"
    assert await wecom.bot.store.list_parked(Queue.INBOX) == []


async def test_the_periodic_recheck_reads_the_members_from_wecom(wecom: WecomHarness) -> None:
    """The admin left and no event reached the bot: the re-check reads groupchat/get itself."""
    wecom.api.set_customer_group_members(CUSTOMER_GROUP, [(TEACHER, 1), (ADMIN, 1), ("wm_student_li", 2)])
    await wecom.deliver(wecom.callbacks.external_chat(CUSTOMER_GROUP, "create"))

    async def now(expected: Supervision) -> bool:
        group = await wecom.bot.store.get_group(GROUP)
        return group is not None and group.supervision is expected

    await until(lambda: now(Supervision.SUPERVISED))
    reads = sum(1 for request in wecom.api.received if request.path == "externalcontact/groupchat/get")
    wecom.api.set_customer_group_members(CUSTOMER_GROUP, [(TEACHER, 1), ("wm_student_li", 2)])
    wecom.clock.advance(wecom.bot.settings.supervision.recheck_seconds)
    await until(lambda: now(Supervision.UNSUPERVISED))
    assert sum(1 for request in wecom.api.received if request.path == "externalcontact/groupchat/get") > reads
