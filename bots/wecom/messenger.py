"""The Messenger port for WeCom: how each kind of class group and each person is reached.

A group is reached, in order (README "What WeCom can and cannot do"):
1. through its group robot's webhook, if the school set one (`groups set-webhook`; at most
   20 messages a minute per robot);
2. with `appchat/send`, if this app created the chat (only such chats: W7);
3. for a 班级群 the school chose so (`groups set-delivery`, bots/wecom/class_delivery.py), as a
   group send its 班主任 confirms (asked privately here), or as a 学校通知 to the class's families;
4. otherwise (a customer group, 客户群, which an app cannot post into) privately to the group's
   owner and the class's staff, with the text ready to forward — also when a group send cannot
   be prepared (WeCom's monthly limit reached, or WeCom refused it), saying why.
A person is reached with `message/send` (`enable_duplicate_check` guards against our own
retries). External contacts cannot receive app messages: WeCom reports them invalid, and the
caller hears `Unreachable` so a person is told (the outbox parks and alerts).
"""

from __future__ import annotations

import logging
from collections.abc import Awaitable, Callable, Sequence
from dataclasses import replace
from typing import Any

from wechatpy.enterprise import WeChatClient

from bots.wecom import render
from bots.wecom.api import WecomApi, WecomError
from bots.wecom.class_delivery import GROUP_SEND, SCHOOL_NOTICE, ClassChatDelivery, sender_of
from bots.wecom.roster import KINDS_WITH_MEMBERS, place_of, read_group
from handlers.messenger import Message, Sent, Unreachable
from handlers.send_slots import take_send_slot
from policy_text.catalog import Catalog, Queued
from state.clock import Clock
from state.models import STAFF_ROLES, Group, GroupKey, Member, PersonRef
from state.store import Store

CHANNEL = "wecom"
log = logging.getLogger("esafety.wecom")
ROBOT_WINDOWS = ((20, 60.0),)  # a group robot: 20 messages a minute
PERSON_WINDOWS = ((30, 60.0),)  # app messages to one member: 30 a minute (W7)
APPCHAT_WINDOWS = ((20, 60.0),)
DUPLICATE_CHECK_SECONDS = 600  # covers our retries (and a lease handed on after a crash); a legitimate repeat after it is sent
ALL_RECIPIENTS_INVALID = 81013


class WecomMessenger:
    def __init__(self, api: WecomApi, store: Store, catalog: Catalog, clock: Clock, *, school_locale: str,
                 sleep: Callable[[float], Awaitable[None]], group_sends_per_month: int = 0) -> None:
        self._api = api
        self.class_chats = ClassChatDelivery(api, store, clock, group_sends_per_month)
        self._store = store
        self._catalog = Queued(catalog)  # a message queued by an earlier version still renders
        self._clock = clock
        self._school_locale = school_locale
        self._sleep = sleep

    async def send_to_group(self, key: GroupKey, message: Message) -> Sent:
        group = await self._store.get_group(key)
        if group is None:
            raise Unreachable(f"{key} is not a known group")
        words = render.text(message, self._catalog, group.locale, in_group=True)
        if group.webhook:
            await self._slot(f"wecom:robot:{key}", ROBOT_WINDOWS)
            await self._api.post_webhook(group.webhook, {"msgtype": "text", "text": {"content": words}})
            return Sent(channel=CHANNEL, message_id="", address={"route": "robot"})
        if group.kind == "appchat":
            await self._slot(f"wecom:appchat:{key}", APPCHAT_WINDOWS)
            await self._api.call(lambda client: client.appchat.send_text(key.conversation_id, words))
            return Sent(channel=CHANNEL, message_id="", address={"route": "appchat"})
        if group.delivery == GROUP_SEND:
            return await self._group_send(group, words)
        if group.delivery == SCHOOL_NOTICE:
            await self.class_chats.school_notice(group, words)
            return Sent(channel=CHANNEL, message_id="", address={"route": "school-notice"})
        return await self._forward_through_staff(group, words)

    async def send_to_person(self, person: PersonRef, message: Message) -> Sent:
        locale = await self._locale_of(person.user_id)
        if message.buttons and not message.toggles:
            return await self._send_card(person.user_id, message, locale)
        if message.lines or message.toggles:
            body = {"msgtype": "markdown", "markdown": {"content": render.markdown(message, self._catalog, locale)}}
        else:
            body = {"msgtype": "text", "text": {"content": render.text(message, self._catalog, locale)}}
        result = await self._send(person.user_id, body)
        return Sent(channel=CHANNEL, message_id=str(result.get("msgid", "")), address={"userid": person.user_id})

    async def update(self, sent: Sent, message: Message) -> None:
        """Turn the card's button into a label saying what happened (e.g. who acknowledged). The
        single-use code from the click is preferred; the one `message/send` returned also works."""
        task_id = sent.address.get("task_id", "")
        code = await self._store.cache_get(response_code_key(task_id)) or sent.address.get("response_code", "")
        if not code:
            raise Unreachable("this WeCom card cannot be updated (no response code)")
        userid = str(sent.address["userid"])
        label = render.text(message, self._catalog, await self._locale_of(userid)).splitlines()[-1]
        body = {"userids": [userid], "agentid": self._api.agent_id, "response_code": code,
                "button": {"replace_name": label[:64]}}
        await self._api.call(lambda client: client.post("message/update_template_card", data=body))
        await self._store.cache_delete(response_code_key(task_id))

    async def read_members(self, group: Group) -> list[Member] | None:
        if group.kind not in KINDS_WITH_MEMBERS:
            return None
        snapshot = await read_group(self._api, self._store, group.key.conversation_id, group.kind, place_of(group))
        await self._note_members_source(group.key, snapshot.from_class_roster)
        return list(snapshot.members)

    async def _note_members_source(self, key: GroupKey, from_class_roster: bool) -> None:
        """Whether the members came from the class roster, compare-and-set on the group as it is
        now (a supervision check may have changed it while WeCom was being asked)."""
        for _ in range(3):
            current = await self._store.get_group(key)
            if current is None or current.members_from_roster == from_class_roster:
                return
            if await self._store.replace_group(current, replace(current, members_from_roster=from_class_roster)):
                return

    async def tell_without_store(self, userid: str, message: Message, locale: str) -> None:
        """A plain text to one member that needs nothing from the Store (no send slot, no
        stored language): what a person hears when the Store could not take their message.
        WeCom's duplicate check keeps its retries of the same callback to one message."""
        body = {"msgtype": "text", "text": {"content": render.text(message, self._catalog, locale)},
                "enable_duplicate_check": 1, "duplicate_check_interval": DUPLICATE_CHECK_SECONDS}
        await self._api.call(lambda client: client.message.send(self._api.agent_id, [userid], msg=body))

    async def _send_card(self, userid: str, message: Message, locale: str) -> Sent:
        card = render.template_card(message, self._catalog, locale, task_id="")
        window = int(self._clock.now().timestamp() // DUPLICATE_CHECK_SECONDS)
        card["task_id"] = render.task_id_for(userid, card, window)
        result = await self._send(userid, {"msgtype": "template_card", "template_card": card})
        return Sent(channel=CHANNEL, message_id=str(result.get("msgid", "")),
                    address={"userid": userid, "task_id": card["task_id"], "response_code": result.get("response_code", "")})

    async def _send(self, userid: str, body: dict[str, Any]) -> dict[str, Any]:
        await self._slot(f"wecom:user:{userid}", PERSON_WINDOWS)
        message = {**body, "enable_duplicate_check": 1, "duplicate_check_interval": DUPLICATE_CHECK_SECONDS}

        def send(client: WeChatClient) -> dict[str, Any]:
            result: dict[str, Any] = client.message.send(self._api.agent_id, [userid], msg=message)
            return result

        try:
            result = await self._api.call(send)
        except WecomError as error:
            if error.errcode == ALL_RECIPIENTS_INVALID:
                raise Unreachable(f"WeCom cannot deliver app messages to {userid} (not a member in the app's range)") from None
            raise
        if userid in str(result.get("invaliduser", "")).split("|"):
            raise Unreachable(f"WeCom cannot deliver app messages to {userid}")
        return result

    async def _group_send(self, group: Group, words: str) -> Sent:
        """A group send the 班主任 confirms, asked privately (WeCom's own reminder comes too); when
        it cannot be prepared, the staff forward it, told why."""
        msgid = await self.class_chats.group_send(group, words)
        if msgid is None:
            return await self._forward_through_staff(group, words, why="wecom.forward_group_send_held")
        teacher = sender_of(group)
        ask = self._catalog.say("wecom.group_send_confirm", await self._locale_of(teacher), group=group.name or str(group.key), text=words)
        try:  # the group send is prepared whatever happens here: a retry of this message must not prepare a second one
            await self._send(teacher, {"msgtype": "text", "text": {"content": ask}})
        except (Unreachable, WecomError):
            log.warning("the group send for %s waits in WeCom (which reminds its teacher), but the app could not ask them too",
                        group.key)
        return Sent(channel=CHANNEL, message_id=msgid, address={"route": "group-send", "msgid": msgid, "sender": teacher})

    async def _forward_through_staff(self, group: Group, words: str, *, why: str = "wecom.forward_to_group") -> Sent:
        """A customer group cannot be posted into by an app: its owner and the class's staff get
        the text privately, ready to forward (or to send with 群发 from the WeCom client)."""
        recipients = await self._staff_of(group)
        if not recipients:
            raise Unreachable(f"{group.key} is a customer group with no owner or staff the app can message")
        delivered = 0
        for userid in recipients:
            forward = self._catalog.say(why, await self._locale_of(userid), group=group.name or str(group.key), text=words)
            try:
                await self._send(userid, {"msgtype": "text", "text": {"content": forward}})
                delivered += 1
            except Unreachable:
                continue
        if not delivered:
            raise Unreachable(f"nobody who could forward to {group.key} can be messaged")
        return Sent(channel=CHANNEL, message_id="", address={"route": "forward", "to": recipients})

    async def _staff_of(self, group: Group) -> list[str]:
        owner = str(group.address.get("owner", ""))
        staff = [member.user_id for member in await self._store.group_members(group.key)
                 if (person := await self._store.get_person(CHANNEL, member.user_id)) and person.role in STAFF_ROLES]
        return _unique([owner, *staff])

    async def _locale_of(self, userid: str) -> str:
        known = await self._store.get_person(CHANNEL, userid)
        return (known.locale if known else None) or self._school_locale

    async def _slot(self, bucket: str, windows: Sequence[tuple[int, float]]) -> None:
        await take_send_slot(self._store, bucket, windows, self._sleep)


def response_code_key(task_id: str) -> str:
    return f"wecom:card:{task_id}:response_code"


def _unique(userids: Sequence[str]) -> list[str]:
    return list(dict.fromkeys(u for u in userids if u))
