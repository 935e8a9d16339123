"""Mapping WeCom's member lists to roster ids: staff by userid, families by external_userid."""

from __future__ import annotations

from bots.wecom.roster import app_chat, customer_group


def test_customer_group_members_of_both_types() -> None:
    snapshot = customer_group({"group_chat": {"chat_id": "wr1", "name": "六年级B班家长群", "owner": "zhang.laoshi", "member_list": [
        {"userid": "zhang.laoshi", "type": 1, "name": "张老师"},
        {"userid": "wm_student_li", "type": 2, "group_nickname": "小李", "name": "李"},
        {"type": 2},  # a member WeCom gives no id for is not invented
    ]}})
    assert (snapshot.name, snapshot.owner) == ("六年级B班家长群", "zhang.laoshi")
    assert [(m.user_id, m.display_name) for m in snapshot.members] == [("zhang.laoshi", "张老师"), ("wm_student_li", "小李")]
    assert not any(m.platform_guest for m in snapshot.members), "a stranger is a guest because the roster lacks them"


def test_app_chat_members_are_staff_userids() -> None:
    snapshot = app_chat({"chatid": "c1", "name": "6B", "owner": "t1", "userlist": ["t1", "a1"]})
    assert [m.user_id for m in snapshot.members] == ["t1", "a1"]
    assert snapshot.owner == "t1"
