"""Demo scenes over WeCom (企业微信): the same school day as on Teams, through sealed callbacks
to the real `/wecom/callback` and the real wechatpy client against the fake WeCom API.

A customer group (客户群) for class 6B is created with the class teacher and two students but
nobody from the admin team, and a stranger; the coordinator is added; a student reports a worry
in the app's 1:1 and the lead acknowledges on the template card; the group is dismissed.
"""

from __future__ import annotations

from datetime import timedelta
from typing import Any
from zoneinfo import ZoneInfo

from bots.demo.scene import Scene
from bots.waiting import eventually
from bots.wecom.cli_operations import create_menu
from bots.wecom.fakes.api import FakeWecomApi
from bots.wecom.fakes.callbacks import WecomCallbacks
from handlers.cron import in_quiet_hours
from handlers.policies import emergency_contacts
from policy_text.catalog import words
from state.models import GroupKey, Supervision

CLASS_GROUP = "wrOgQhDgAAdemo6B"
TEACHER, ADMIN, DSL, STUDENT = "zhang.laoshi", "chen.zhuren", "liu.dsl", "zhou.xiaoming"
STUDENTS = ("李同学", "王同学", "周小明")
REPORT = "有人在网上一直让我发自己的照片"


async def play(scene: Scene, api: FakeWecomApi) -> None:
    t, bot, http = scene.transcript, scene.bot, scene.http
    if bot.wecom is None:
        raise RuntimeError("the demo's settings turn WeCom on")
    callbacks = WecomCallbacks(scene.clock)

    async def deliver(plaintext: str) -> str:
        query, body = callbacks.seal(plaintext)
        async with http.post("/wecom/callback", params=query, data=body) as response:
            return f"{response.status} {await response.text()}"

    def said(key: str, **fields: Any) -> str:
        return bot.catalog.say(key, "zh_CN", **fields)

    t.section("WeCom: the callback URL is checked, forged and replayed callbacks are refused or ignored")
    async with http.get("/wecom/callback", params=callbacks.url_check("echo-6b")) as response:
        echoed = await response.text()
    t.say(f"GET /wecom/callback?msg_signature=…&echostr=… → {response.status} {echoed}")
    t.expect(response.status == 200 and echoed == "echo-6b", "the URL check decrypts and echoes echostr")
    query, body = callbacks.seal(callbacks.text(TEACHER, "hello"))
    async with http.post("/wecom/callback", params={**query, "msg_signature": "0" * 40}, data=body) as response:
        t.say(f"POST /wecom/callback with a forged signature → {response.status}")
        t.expect(response.status == 403, "a forged callback is refused with 403")
    menu = await create_menu(bot.wecom.api, bot.catalog, "zh_CN")
    t.say(f"$ esafety-bot wecom-menu → {menu['button'][0]['name']} → "
          + " / ".join(item["name"] for item in menu["button"][0]["sub_button"]))
    t.expect(api.menu == menu, "the app menu with 'report a worry privately' is created (menu/create)")

    t.section("WeCom: a class customer group is created without an admin-team member, with a stranger in it")
    api.add_customer_group(CLASS_GROUP, name="六年级B班家长群", owner=TEACHER,
                           members=[(TEACHER, 1), ("wm_student_li", 2), ("wm_student_wang", 2), ("wm_stranger", 2)])
    answer = await deliver(callbacks.external_chat(CLASS_GROUP, "create"))
    t.say(f"POST /wecom/callback change_external_chat create → {answer}")
    replay = await deliver(callbacks.external_chat(CLASS_GROUP, "create"))
    t.expect(replay == "200 success", "WeCom's retry of the same event is answered 'success' and not processed again")
    t.expect(await eventually(lambda: any("您把安全机器人加入了" in x for x in api.texts_to_user(TEACHER))),
             "the owner, who added the bot, is told first and privately who to add and how (群设置 → +)")
    t.say("bot → 张老师 (private): " + next(x for x in api.texts_to_user(TEACHER) if "您把安全机器人加入了" in x))
    scene.clock.advance(bot.settings.supervision.grace_seconds)
    warning = said("supervision.group_warning", missing=words("supervision.group_missing_admin"))

    def forwarded() -> bool:
        return any(warning in x and "转发" in x for x in api.texts_to_user(TEACHER))

    local = scene.clock.now().astimezone(ZoneInfo(bot.settings.timezone))
    if in_quiet_hours(scene.clock.now(), bot.settings.timezone, bot.settings.reminders.quiet_hours):
        t.expect(not await eventually(forwarded, seconds=0.5),
                 f"it is {local:%H:%M} at school, in quiet hours: the group's notice waits for the morning")
        morning = (local + timedelta(days=1 if local.hour >= 7 else 0)).replace(hour=7, minute=5)
        scene.clock.advance((morning - local).total_seconds())
    t.expect(await eventually(forwarded),
             "an app cannot post in a customer group: the warning goes to its owner, ready to forward")
    t.say("bot → 张老师 (private): " + next((x for x in api.texts_to_user(TEACHER) if warning in x), "-").replace("\n\n", " ⏎ "))
    t.expect(await eventually(lambda: any("六年级B班家长群" in x for x in api.texts_to_user(DSL))),
             "the safeguarding lead is alerted privately (message/send)")
    t.expect(await eventually(lambda: any("wm_stranger" in x for x in api.texts_to_user(DSL))),
             "the stranger is flagged to the lead as a guest, privately")
    t.expect(await eventually(lambda: any("王同学" in x for x in api.texts_to_user(TEACHER))),
             "the student without recorded consent is listed privately to the class teacher")

    t.section("WeCom: the coordinator joins the group")
    api.set_customer_group_members(CLASS_GROUP, [(TEACHER, 1), (ADMIN, 1), ("wm_student_li", 2), ("wm_student_wang", 2)])
    t.say("POST /wecom/callback change_external_chat update add_member → "
          + await deliver(callbacks.external_chat(CLASS_GROUP, "update", detail="add_member", count=1)))

    async def supervised() -> bool:
        group = await bot.store.get_group(GroupKey("wecom", CLASS_GROUP))
        return group is not None and group.supervision is Supervision.SUPERVISED

    t.expect(await eventually(supervised), "the roster is read again (groupchat/get) and the group is supervised")
    t.expect(await eventually(lambda: any(said("supervision.group_resolved") in x for x in api.texts_to_user(TEACHER))),
             "the owner gets the 'supervised again' notice to forward")

    t.section("WeCom: a student reports a worry in the app's 1:1; the lead acknowledges on the card")

    def cards() -> list[dict[str, Any]]:
        return [m["template_card"] for m in api.sent_messages() if m["touser"] == DSL and m["msgtype"] == "template_card"]

    earlier = len(cards())  # the lead also received the Teams cases' cards here: one lead for the whole school
    t.say("POST /wecom/callback text (a report in the app's 1:1) → " + await deliver(callbacks.text(STUDENT, f"报告 {REPORT}")))
    t.expect(await eventually(lambda: len(cards()) > earlier), "the lead gets a template card with an Acknowledge button (key ack:C-…)")
    card = cards()[-1]
    reference = card["button_list"][0]["key"].removeprefix("ack:")
    rows = " | ".join(f"{row['keyname']}：{row['value']}" for row in card.get("horizontal_content_list", []))
    t.say(f"bot → 刘老师 (template card): {card['main_title']['title']} | {rows} | {card['sub_title_text']} "
          f"[{card['button_list'][0]['text']}]")
    t.expect(await eventually(lambda: any(REPORT in x for x in api.texts_to_user(DSL))), "then the report's words, as their own message")
    t.expect(await eventually(lambda: any(reference in x for x in api.texts_to_user(STUDENT))),
             f"the student is told it was received, with the reference {reference}")
    code = api.issue_response_code()
    t.say("POST /wecom/callback template_card_event (Acknowledge) → "
          + await deliver(callbacks.card_click(DSL, f"ack:{reference}", task_id=card["task_id"], response_code=code)))
    t.expect(await eventually(lambda: any(u["response_code"] == code for u in api.card_updates)),
             "the card is updated with the click's single-use response code")
    heard = said("report.acknowledged", reference=reference, contacts=emergency_contacts(bot.settings.cases))
    t.expect(await eventually(lambda: heard in api.texts_to_user(STUDENT)),
             "the student hears that a teacher whose job is keeping children safe has read it and will talk to them")

    t.section("WeCom: the class group is dismissed")
    before = len(api.texts_to_user(DSL))
    t.say("POST /wecom/callback change_external_chat dismiss → " + await deliver(callbacks.external_chat(CLASS_GROUP, "dismiss")))
    t.expect(await eventually(lambda: len(api.texts_to_user(DSL)) > before), "the lead is told the group is no longer monitored")
    group_bound = [str(body) for _, body in api.group_posts()] + [x for x in api.texts_to_user(TEACHER) if "转发" in x]
    t.expect(bool(group_bound) and not any(name in text for text in group_bound for name in STUDENTS),
             "no child's name in anything meant for the group")
