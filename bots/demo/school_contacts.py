"""Demo scene for a WeCom school run from its school contacts (issue 22; 000 §5, §5.5): a second
school, on the same fake WeCom API with its own server and database, gets its roster and its
classes' 班级群 from 家校通讯录 with no CSV; the roster follows a change callback; a 班级群 WeCom
cannot list is checked against its class on the roster and says so; and reminders reach the
班级群 the ways WeCom allows: a group send the 班主任 confirms, and a 学校通知."""

from __future__ import annotations

import asyncio
import io

from bots.app import Bot, bootstrap
from bots.cli_directory import directory_sync
from bots.cli_operations import groups_list
from bots.config import load_settings
from bots.demo.scene import Scene
from bots.server import run_bot
from bots.sockets import free_port
from bots.waiting import eventually
from bots.wecom.channel import WecomOptions
from bots.wecom.cli_operations import set_delivery
from bots.wecom.fakes.api import FakeWecomApi
from bots.wecom.fakes.callbacks import WecomCallbacks, settings_env
from bots.wecom.fakes.school import CLASS_CHAT, SCHOOL_ROLE_GROUPS, small_school
from handlers.group_delivery import last_delivery
from handlers.messenger import Message
from handlers.outbox import send_durably
from state.due import OUTBOX_LANES, Queue
from state.models import GroupKey, Role, Supervision

CLASS_2_CHAT = "wrOgQhDgAAclass2B"
HEAD_TEACHER_1, HEAD_TEACHER_2 = "zhang.laoshi", "zhou.laoshi"


async def play(scene: Scene, api: FakeWecomApi) -> None:
    t, clock = scene.transcript, scene.clock
    t.section("A WeCom school run from its school contacts (家校通讯录): roster and 班级群 with no CSV (000 §5)")
    small_school(api.school)
    api.add_customer_group(CLASS_CHAT, name="一年级1班家长群", owner=HEAD_TEACHER_1,
                           members=[(HEAD_TEACHER_1, 1), ("chen.zhuren", 1), ("wmEXTwangbaba", 2), ("wmEXTchenmama", 2)])
    port = free_port()
    settings = load_settings({"ESAFETY_DB": str(scene.folder / "wecom-school.db"), "PORT": str(port), "ESAFETY_LOCALE": "zh-CN",
                              "ESAFETY_TIMEZONE": "Asia/Shanghai", "ESAFETY_ROLE_GROUPS": SCHOOL_ROLE_GROUPS,
                              **settings_env(api.base_url)})
    bot = await bootstrap(settings, clock=clock, wecom_options=WecomOptions(sleep=clock.sleep))
    t.say(f"ESAFETY_ROLE_GROUPS={SCHOOL_ROLE_GROUPS}")
    out = io.StringIO()
    await directory_sync(settings, bot.store, clock, out, dry_run=False, force=False)
    t.say("$ esafety-bot directory sync\n" + out.getvalue())
    people = {person.user_id: person for person in await bot.store.list_people("wecom")}
    t.expect(people["wang.xs"].classes == ("一年级1班",) and people["wmEXTwangbaba"].name == "王小明的爸爸"
             and people["zhang.laoshi"].role is Role.TEACHER and people["liu.dsl"].role is Role.DSL,
             "pupils, parents (by the external_userid a 班级群 shows) and 班主任 arrive from the school contacts; the lead from "
             "her WeCom tag")
    stop, started = asyncio.Event(), asyncio.Event()
    server = asyncio.create_task(run_bot(bot, host="127.0.0.1", port=port, stop=stop, started=started))
    await started.wait()
    callbacks = WecomCallbacks(clock)

    async def deliver(plaintext: str) -> None:
        query, body = callbacks.seal(plaintext)
        async with scene.http.post(f"http://127.0.0.1:{port}/wecom/callback", params=query, data=body) as response:
            t.expect(response.status == 200, "WeCom's callback is accepted")

    async def group(chat_id: str, state: Supervision) -> bool:
        found = await bot.store.get_group(GroupKey("wecom", chat_id))
        return found is not None and found.supervision is state

    try:
        t.expect(await eventually(lambda: group(CLASS_CHAT, Supervision.SUPERVISED)),
                 "the server joins 一年级1班's 班级群, reads its members as a customer group (陈主任 of the office is there): "
                 "supervised")
        api.school.add_student(3, "lin.xs", "林小华", [("lin.mama", "妈妈", "wmEXTlinmama")])
        await deliver(callbacks.school_change("create_student", "lin.xs"))

        async def arrived() -> bool:
            return await bot.store.get_person("wecom", "wmEXTlinmama") is not None

        t.expect(await eventually(arrived), "a pupil added to 1班 today is on the roster at once, with her mother "
                                            "(change_school_contact, read on its own with school/user/get)")
        (class_2,) = [department for department in api.school.departments if department["id"] == 4]
        class_2.update(open_group_chat=1, group_chat_id=CLASS_2_CHAT)
        await deliver(callbacks.school_change("update_department", "4"))

        async def taken() -> bool:
            return await bot.store.due_depth(Queue.INBOX) == 0

        t.expect(await eventually(taken), "the change is queued for a whole sync at the next minute")
        clock.advance(60)
        bot.deps.doorbell.ring(Queue.TIMERS)
        t.expect(await eventually(lambda: group(CLASS_2_CHAT, Supervision.UNSUPERVISED)),
                 "2班 opens its 班级群: a whole sync at the next minute joins it; WeCom cannot list it (90501), so its class "
                 "on the roster stands in: a pupil and no one from the admin team, unsupervised")
        t.expect(await eventually(lambda: any("安全机器人现在照看" in text for text in api.texts_to_user(HEAD_TEACHER_2))),
                 "its 班主任 周老师 is told first, privately, who to add and how")
        await delivery(scene, bot, api)
        listing = io.StringIO()
        await groups_list(bot.store, listing)
        t.say("$ esafety-bot groups list\n" + listing.getvalue())
        t.expect("members=class roster" in listing.getvalue() and "delivery=group-send (last: confirmed" in listing.getvalue(),
                 "groups list says whose members came from the class roster, and what became of the last group send")
    finally:
        stop.set()
        await server


async def delivery(scene: Scene, bot: Bot, api: FakeWecomApi) -> None:
    """The two ways a reminder reaches a 班级群 the app cannot post into (000 §5.5)."""
    t, clock = scene.transcript, scene.clock
    reminder = Message(key="reminder.personal_info")
    class_1, class_2 = GroupKey("wecom", CLASS_CHAT), GroupKey("wecom", CLASS_2_CHAT)

    async def delivered() -> bool:  # the welcomes have gone (to staff): the next group send is the reminder's
        return not any([await bot.store.due_depth(lane) for lane in OUTBOX_LANES])

    await eventually(delivered)
    await set_delivery(bot.store, clock, str(class_1), "group-send")
    t.say(f"$ esafety-bot groups set-delivery {class_1} group-send")
    await send_durably(bot.deps, class_1, reminder, key="demo-reminder-1")
    t.expect(await eventually(lambda: api.waiting_group_sends(HEAD_TEACHER_1))
             and await eventually(lambda: any("请在企业微信中确认发送" in text for text in api.texts_to_user(HEAD_TEACHER_1))),
             "the reminder is prepared as a group send from 张老师 (add_msg_template), and she is asked privately to confirm it")
    (msgid,) = api.waiting_group_sends(HEAD_TEACHER_1)
    api.confirm_group_send(msgid)
    clock.advance(3600)
    bot.deps.doorbell.ring(Queue.TIMERS)

    async def confirmed() -> bool:
        last = await last_delivery(bot.store, class_1)
        return last is not None and last.state == "confirmed"

    t.expect(await eventually(confirmed) and any("安全小贴士" in text for text in api.group_texts(CLASS_CHAT)),
             "she confirms in WeCom; an hour later the bot reads it back (get_groupmsg_send_result): sent into the 班级群")
    await set_delivery(bot.store, clock, str(class_2), "school-notice")
    t.say(f"$ esafety-bot groups set-delivery {class_2} school-notice")
    await send_durably(bot.deps, class_2, reminder, key="demo-reminder-2")
    t.expect(await eventually(lambda: api.school.notice_texts(4)),
             "2班's families receive it as a 学校通知 in WeChat (externalcontact/message/send to the class)")
