"""Reading a WeCom group's members from the APIs WeCom offers (issue 5, item 4).

- A customer group (客户群, kind `customer`): `externalcontact/groupchat/get`. Each member has
  `type` 1 (staff: `userid` is their WeCom userid) or 2 (external contact: `userid` is their
  `external_userid`). The roster CSV lists parents and students by that `external_userid`.
- A chat this app created (kind `appchat`): `appchat/get`, whose members are all staff userids.
An ordinary internal group that only has a robot webhook has no member API at all: its members
cannot be read (README), so such a group can be posted to but not checked.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from wechatpy.enterprise import WeChatClient

from bots.wecom.api import WecomApi
from state.models import Member

CUSTOMER = "customer"
APPCHAT = "appchat"
KINDS_WITH_MEMBERS = frozenset({CUSTOMER, APPCHAT})


@dataclass(frozen=True)
class GroupSnapshot:
    name: str
    owner: str
    members: tuple[Member, ...]


async def read_group(api: WecomApi, chat_id: str, kind: str) -> GroupSnapshot:
    if kind == CUSTOMER:
        return customer_group(await api.call(lambda client: _customer_group(client, chat_id)))
    if kind == APPCHAT:
        return app_chat(await api.call(lambda client: _app_chat(client, chat_id)))
    raise ValueError(f"WeCom has no member list for a group of kind {kind!r}")


def customer_group(result: dict[str, Any]) -> GroupSnapshot:
    chat = result.get("group_chat") or {}
    members = tuple(
        Member(user_id=str(entry["userid"]), display_name=str(entry.get("group_nickname") or entry.get("name") or ""),
               platform_id=str(entry["userid"]), platform_guest=False)
        for entry in chat.get("member_list") or [] if entry.get("userid"))
    return GroupSnapshot(name=str(chat.get("name") or ""), owner=str(chat.get("owner") or ""), members=members)


def app_chat(chat_info: dict[str, Any]) -> GroupSnapshot:
    members = tuple(Member(user_id=str(userid), platform_id=str(userid)) for userid in chat_info.get("userlist") or [])
    return GroupSnapshot(name=str(chat_info.get("name") or ""), owner=str(chat_info.get("owner") or ""), members=members)


def _customer_group(client: WeChatClient, chat_id: str) -> dict[str, Any]:
    result: dict[str, Any] = client.post("externalcontact/groupchat/get", data={"chat_id": chat_id, "need_name": 1})
    return result


def _app_chat(client: WeChatClient, chat_id: str) -> dict[str, Any]:
    result: dict[str, Any] = client.appchat.get(chat_id)
    return result
