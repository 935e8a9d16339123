"""Reading a WeCom group's members from the APIs WeCom offers (issue 5, item 4).

- A customer group (客户群, kind `customer`): `externalcontact/groupchat/get`. Each member has
  `type` 1 (staff: `userid` is their WeCom userid) or 2 (external contact: `userid` is their
  `external_userid`). The roster CSV lists parents and students by that `external_userid`.
- A chat this app created (kind `appchat`): `appchat/get`, whose members are all staff userids.
- A class's 班级群 from the school contacts (kind `class_chat`, issue 22): its `group_chat_id` is
  asked for as a customer group; when WeCom answers 90501 (not a customer group), the class on the
  roster stands in for its members (handlers/roster.class_members) and the group says so.
An ordinary internal group that only has a robot webhook has no member API at all: its members
cannot be read (README), so such a group can be posted to but not checked.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

from wechatpy.enterprise import WeChatClient

from bots.wecom.api import WecomApi, WecomError
from handlers.roster import class_members
from state.models import Group, Member
from state.store import Store

CHANNEL = "wecom"
CUSTOMER = "customer"
APPCHAT = "appchat"
CLASS_CHAT = "class_chat"
KINDS_WITH_MEMBERS = frozenset({CUSTOMER, APPCHAT, CLASS_CHAT})
NOT_A_CUSTOMER_GROUP = 90501


@dataclass(frozen=True)
class GroupSnapshot:
    name: str
    owner: str
    members: tuple[Member, ...]
    from_class_roster: bool = False  # WeCom could not list them: these are the class's people on the roster


async def read_group(api: WecomApi, store: Store, chat_id: str, kind: str, address: Mapping[str, Any]) -> GroupSnapshot:
    """The group's members as WeCom lists them; for a 班级群 `address` names its class and 班主任."""
    if kind == CLASS_CHAT:
        return await _class_chat(api, store, chat_id, str(address.get("class", "")), str(address.get("head_teacher", "")))
    if kind == CUSTOMER:
        return customer_group(await api.call(lambda client: _customer_group(client, chat_id)))
    if kind == APPCHAT:
        return app_chat(await api.call(lambda client: _app_chat(client, chat_id)))
    raise ValueError(f"WeCom has no member list for a group of kind {kind!r}")


def place_of(group: Group) -> dict[str, str]:
    """Where a 班级群 belongs: its class (as the directory names it now), its 班主任 and its
    department in the school contacts; nothing for any other kind of group."""
    if group.kind != CLASS_CHAT:
        return {}
    return {"class": group.class_name or str(group.address.get("class", "")), "head_teacher": str(group.address.get("head_teacher", "")),
            "department": str(group.address.get("department", ""))}


async def _class_chat(api: WecomApi, store: Store, chat_id: str, class_name: str, head_teacher: str) -> GroupSnapshot:
    try:
        snapshot = customer_group(await api.call(lambda client: _customer_group(client, chat_id)))
    except WecomError as error:
        if error.errcode != NOT_A_CUSTOMER_GROUP:
            raise
        members = tuple(await class_members(store, CHANNEL, class_name))
        return GroupSnapshot(name=class_name, owner=head_teacher, members=members, from_class_roster=True)
    return GroupSnapshot(name=snapshot.name or class_name, owner=snapshot.owner or head_teacher, members=snapshot.members)


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
