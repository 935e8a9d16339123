"""The fake WeCom API's group chats: chats this app created (`appchat/*`, the only chats an app
may post into), customer groups (`externalcontact/groupchat/get`, whose members are staff, type 1,
and external contacts, type 2; a school class's 班级群 that is not also a customer group is
answered 90501) group sends into customer groups (`externalcontact/add_msg_template`, waiting until the sender
confirms them, read back with `get_groupmsg_send_result`) and group robots (`webhook/send`, 20
messages a minute each)."""

from __future__ import annotations

import itertools
from collections.abc import Callable, Sequence
from typing import Any

from bots.wecom.fakes.school import SchoolContacts
from bots.wecom.fakes.wire import WecomFailure, text_of

NOT_A_CUSTOMER_GROUP = 90501  # a 班级群 (school contacts) that WeCom does not hold as a customer group


class GroupChatRoutes:
    """The group-chat routes and their state, mixed into FakeWecomApi (which holds the fields)."""

    url: str
    now: Callable[[], float]
    _ids: itertools.count[int]
    _posts: list[tuple[str, dict[str, Any]]]
    _app_chats: dict[str, dict[str, Any]]
    _customer_groups: dict[str, dict[str, Any]]
    _templates: dict[str, dict[str, Any]]
    _robots: dict[str, str]
    _robot_times: dict[str, list[float]]
    school: SchoolContacts

    # -- what a test sets up -------------------------------------------------------------
    def add_app_chat(self, chat_id: str, *, name: str, owner: str, userlist: Sequence[str]) -> str:
        self._app_chats[chat_id] = {"chatid": chat_id, "name": name, "owner": owner, "userlist": list(userlist), "chat_type": 0}
        return chat_id

    def add_customer_group(self, chat_id: str, *, name: str, owner: str, members: Sequence[tuple[str, int]]) -> None:
        self._customer_groups[chat_id] = {"chat_id": chat_id, "name": name, "owner": owner, "create_time": 1_700_000_000,
                                          "notice": "", "admin_list": [], "member_list": []}
        self.set_customer_group_members(chat_id, members)

    def set_customer_group_members(self, chat_id: str, members: Sequence[tuple[str, int]]) -> None:
        """Members as (userid or external_userid, type): type 1 = staff, 2 = external contact."""
        self._customer_groups[chat_id]["member_list"] = [
            {"userid": userid, "type": kind, "join_time": 1_700_000_000, "join_scene": 1, "name": userid,
             **({"unionid": f"union-{userid}"} if kind == 2 else {})} for userid, kind in members]

    def add_robot(self, key: str, chat_id: str) -> str:
        self._robots[key] = chat_id
        return f"{self.url}/cgi-bin/webhook/send?key={key}"

    # -- what a test reads -----------------------------------------------------------------
    def group_posts(self) -> list[tuple[str, dict[str, Any]]]:
        """(chat id, body) of every appchat/send and robot webhook post."""
        return list(self._posts)

    def group_texts(self, chat_id: str) -> list[str]:
        return [text_of(body) for target, body in self._posts if target == chat_id]

    # -- the routes ---------------------------------------------------------------------------
    def _appchat_create(self, body: dict[str, Any], query: Any) -> dict[str, Any]:
        users = list(body.get("userlist") or [])
        if not 2 <= len(users) <= 500:
            raise WecomFailure(86215)
        chat_id = str(body.get("chatid") or f"chat-{next(self._ids)}")
        self.add_app_chat(chat_id, name=str(body.get("name", "")), owner=str(body.get("owner", "")), userlist=users)
        return {"chatid": chat_id}

    def _appchat_get(self, body: dict[str, Any], query: Any) -> dict[str, Any]:
        chat = self._app_chats.get(query.get("chatid", ""))
        if chat is None:
            raise WecomFailure(86003)
        return {"chat_info": chat}

    def _appchat_send(self, body: dict[str, Any], query: Any) -> dict[str, Any]:
        chat_id = str(body.get("chatid", ""))
        if chat_id not in self._app_chats:
            raise WecomFailure(86003)
        self._posts.append((chat_id, body))
        return {}

    def _groupchat_get(self, body: dict[str, Any], query: Any) -> dict[str, Any]:
        chat_id = str(body.get("chat_id", ""))
        group = self._customer_groups.get(chat_id)
        if group is None:
            raise WecomFailure(NOT_A_CUSTOMER_GROUP if chat_id in self.school.class_chats() else 40050)
        return {"group_chat": group}

    def _add_msg_template(self, body: dict[str, Any], query: Any) -> dict[str, Any]:
        """A group send waits for its sender to confirm it; a chat that is not a customer group the
        sender owns cannot receive it (listed in fail_list)."""
        sender, chats = str(body.get("sender", "")), [str(chat) for chat in body.get("chat_id_list") or []]
        failed = [chat for chat in chats if self._customer_groups.get(chat, {}).get("owner") != sender]
        waiting = [chat for chat in chats if chat not in failed]
        if body.get("chat_type") != "group" or not waiting:
            return {"fail_list": failed, "msgid": ""}
        msgid = f"msgGAJ-{next(self._ids)}"
        self._templates[msgid] = {"sender": sender, "text": body.get("text", {}), "status": dict.fromkeys(waiting, 0), "send_time": 0}
        return {"fail_list": failed, "msgid": msgid}

    def _groupmsg_send_result(self, body: dict[str, Any], query: Any) -> dict[str, Any]:
        template = self._templates.get(str(body.get("msgid", "")))
        if template is None:
            raise WecomFailure(41063)
        if body.get("userid") != template["sender"]:
            return {"send_list": [], "next_cursor": ""}
        return {"next_cursor": "", "send_list": [
            {"chat_id": chat, "userid": template["sender"], "status": status, **({"send_time": template["send_time"]} if status else {})}
            for chat, status in template["status"].items()]}

    def waiting_group_sends(self, sender: str) -> list[str]:
        """The msgids of group sends `sender` has not confirmed yet."""
        return [msgid for msgid, template in self._templates.items() if template["sender"] == sender and 0 in template["status"].values()]

    def confirm_group_send(self, msgid: str) -> None:
        """The teacher confirms in WeCom: the message goes into each of its groups."""
        template = self._templates[msgid]
        template["status"] = dict.fromkeys(template["status"], 1)
        template["send_time"] = int(self.now())
        self._posts.extend((chat, {"msgtype": "text", "text": template["text"]}) for chat in template["status"])

    def _robot(self, key: str, body: dict[str, Any]) -> dict[str, Any]:
        chat_id = self._robots.get(key)
        if chat_id is None:
            raise WecomFailure(93000)
        recent = [t for t in self._robot_times.get(key, []) if self.now() - t < 60]
        if len(recent) >= 20:
            raise WecomFailure(45009)
        self._robot_times[key] = [*recent, self.now()]
        self._posts.append((chat_id, body))
        return {"errcode": 0, "errmsg": "ok"}
