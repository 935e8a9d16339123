"""Reminders and recording notices into a class's 班级群, which a self-built app cannot post into,
the two ways WeCom allows (issue 22; 000 §5.5: the class must actually receive them).

- `group-send`: a group send (`externalcontact/add_msg_template`, chat_type group, the 班主任 as
  sender, the chat named in chat_id_list) that the teacher confirms in WeCom. The teacher is asked
  privately (bots/wecom/messenger.py); the result is read back with `get_groupmsg_send_result` 1,
  6 and 24 hours later and noted (handlers/group_delivery.py: audited, in `groups list` and the
  digest). WeCom limits the group sends one customer group receives in a month (by default as many
  as the month has days; a school may set fewer in WeCom): WECOM_GROUP_SENDS_PER_MONTH keeps the
  bot within it, and past it the message goes to the staff to forward instead, saying why.
- `school-notice`: a 学校通知 (`externalcontact/message/send`) to the class's department, parents
  and students (recv_scope 2), received directly in WeChat. WeCom sends it only if the app is one
  of the school's 「家长可使用的应用」 for that class (`school/agent/get_allow_scope`).
"""

from __future__ import annotations

import calendar
import hashlib
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

from bots.wecom.api import WecomApi
from handlers.cron import zone
from handlers.group_delivery import CAP_REACHED, CONFIRM_ASKED, CONFIRMED, NOT_SENT, NOTICE_SENT, UNCONFIRMED, note_delivery
from handlers.messenger import Unreachable
from state.clock import Clock
from state.due import DueItem, Queue
from state.models import Group, GroupKey
from state.store import Store

GROUP_SEND, SCHOOL_NOTICE = "group-send", "school-notice"
MODES = {"group-send": GROUP_SEND, "school-notice": SCHOOL_NOTICE, "owner": ""}
CHECK = "wecom.group_send.check"
CHECK_AFTER = (timedelta(hours=1), timedelta(hours=6), timedelta(hours=24))
SENT, NOT_A_FRIEND, ALREADY_HAD_ONE = 1, 2, 3  # get_groupmsg_send_result statuses (0: not sent yet)
PARENTS_AND_STUDENTS = 2
MONTH_COUNT_SECONDS = 40 * 86_400
RETRY_WINDOW_SECONDS = 3600  # the same words to the same group within it are one group send (the outbox's retries)


def sender_of(group: Group) -> str:
    """Who sends a group send into the group: its 班主任, else its owner."""
    return str(group.address.get("head_teacher") or group.address.get("owner") or "")


@dataclass(frozen=True)
class ClassChatDelivery:
    api: WecomApi
    store: Store
    clock: Clock
    per_month: int  # group sends a group may receive in a month; 0: as many as the month has days

    async def group_send(self, group: Group, words: str) -> str | None:
        """Prepare a group send for the teacher to confirm: its msgid, or None when it cannot go
        this way this time (the month's limit reached, or WeCom refused the chat), noted either way."""
        chat_id, sender = group.key.conversation_id, sender_of(group)
        prepared = f"wecom:group-send:{group.key}:{hashlib.sha256(words.encode()).hexdigest()[:16]}"
        if (earlier := await self.store.cache_get(prepared)) is not None:
            return earlier  # this message's retry: the group send WeCom already holds, not a second one
        counted = self._month_key(group)
        used = int(await self.store.cache_get(counted) or 0)
        if used >= self._cap(group):
            await note_delivery(self.store, self.clock, group.key, CAP_REACHED)
            return None
        body = {"chat_type": "group", "sender": sender, "chat_id_list": [chat_id], "text": {"content": words}}
        result: dict[str, Any] = await self.api.call(lambda client: client.post("externalcontact/add_msg_template", data=body))
        if chat_id in (result.get("fail_list") or []) or not result.get("msgid"):
            await note_delivery(self.store, self.clock, group.key, NOT_SENT)
            return None
        msgid = str(result["msgid"])
        await self.store.cache_set(prepared, msgid, RETRY_WINDOW_SECONDS)
        await self.store.cache_set(counted, str(used + 1), MONTH_COUNT_SECONDS)
        await self.store.schedule_due(_check(group.key, msgid, sender, self.clock.now(), 0))
        await note_delivery(self.store, self.clock, group.key, CONFIRM_ASKED, key=f"{msgid}|asked")
        return msgid

    async def school_notice(self, group: Group, words: str) -> None:
        department = str(group.address.get("department", ""))
        body = {"recv_scope": PARENTS_AND_STUDENTS, "to_party": [department], "toall": 0, "agentid": self.api.agent_id,
                "msgtype": "text", "text": {"content": words}, "enable_duplicate_check": 1, "duplicate_check_interval": 600}
        result: dict[str, Any] = await self.api.call(lambda client: client.post("externalcontact/message/send", data=body))
        if department in {str(party) for party in result.get("invalid_party") or []}:
            raise Unreachable(f"{group.key}: WeCom refused a 学校通知 to class department {department}: the app is not one of the "
                              f"家长可使用的应用 for that class (school/agent/get_allow_scope)")
        await note_delivery(self.store, self.clock, group.key, NOTICE_SENT)

    async def check(self, item: DueItem) -> None:
        """Read a group send's result back: confirmed, refused, or asked again later; after the
        last look, noted as never confirmed (the digest shows it to the leads)."""
        key, msgid, sender = GroupKey.parse(item.payload["group"]), str(item.payload["msgid"]), str(item.payload["sender"])
        attempt, prepared = int(item.payload["attempt"]), datetime.fromisoformat(item.payload["prepared"])
        body = {"msgid": msgid, "userid": sender, "limit": 1000}
        result: dict[str, Any] = await self.api.call(lambda client: client.post("externalcontact/get_groupmsg_send_result", data=body))
        status = next((int(entry.get("status", 0)) for entry in result.get("send_list") or []
                       if entry.get("chat_id") == key.conversation_id), 0)
        if status == SENT:
            await note_delivery(self.store, self.clock, key, CONFIRMED, key=f"{msgid}|done")
        elif status in (NOT_A_FRIEND, ALREADY_HAD_ONE):
            await note_delivery(self.store, self.clock, key, NOT_SENT, key=f"{msgid}|done")
        elif attempt + 1 < len(CHECK_AFTER):
            await self.store.schedule_due(_check(key, msgid, sender, prepared, attempt + 1))
        else:
            await note_delivery(self.store, self.clock, key, UNCONFIRMED, key=f"{msgid}|done")

    def _month(self, group: Group) -> tuple[int, int]:
        local = self.clock.now().astimezone(zone(group.timezone))
        return local.year, local.month

    def _month_key(self, group: Group) -> str:
        year, month = self._month(group)
        return f"wecom:group-sends:{group.key}:{year:04d}-{month:02d}"

    def _cap(self, group: Group) -> int:
        return self.per_month or calendar.monthrange(*self._month(group))[1]


def _check(key: GroupKey, msgid: str, sender: str, prepared: datetime, attempt: int) -> DueItem:
    """The `attempt`-th look at a group send prepared at `prepared` (CHECK_AFTER after it)."""
    return DueItem(queue=Queue.TIMERS, item_id=f"group-send|{msgid}|{attempt}", kind=CHECK, due_at=prepared + CHECK_AFTER[attempt],
                   payload={"group": str(key), "msgid": msgid, "sender": sender, "prepared": prepared.isoformat(), "attempt": attempt})
