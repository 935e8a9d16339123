"""Every typed WeCom event through HTTP, translated into the neutral events and handled by the
same duties as on Teams: 1:1 messages, the app menu, enter_agent, customer-group create / member
changes / dismiss (with the roster read from the fake API), and template-card clicks."""

from __future__ import annotations

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
    await until(lambda: wecom.api.texts_to_user(DSL))
    wecom.clock.advance(601)  # past WeCom's duplicate check: the same consent-gap text was sent on joining
    before = len(wecom.api.texts_to_user(TEACHER))
    await wecom.deliver(wecom.callbacks.text(TEACHER, f"status wecom:{CUSTOMER_GROUP}"))
    await until(lambda: len(wecom.api.texts_to_user(TEACHER)) > before)
    assert any("王同学" in text for text in wecom.api.texts_to_user(TEACHER)[before:]), "consent gaps named to staff, privately"
    await wecom.deliver(wecom.callbacks.text(INTERNAL_STUDENT, f"status wecom:{CUSTOMER_GROUP}"))

    async def refused() -> bool:
        return any(entry.record.action in ("staff_command.refused", "dm.refused") and entry.record.actor == f"wecom:{INTERNAL_STUDENT}"
                   for entry in await wecom.bot.store.read_audit())

    await until(refused)
