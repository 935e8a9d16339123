"""Keeping the roster current as the school contacts change (issue 22): WeCom's
`change_school_contact` callbacks, so a child who joins a class is supervised as its pupil that
day, not after the nightly sync (000 §5).

A student or parent created or updated, or a parent who (un)subscribed to 学校通知, is read on its
own with `school/user/get`: the student with their parents, and each of those parents' other
children, so a parent keeps every class they have a child in. A deletion, a department change or
a `change_school_contact_batch` (a burst WeCom merged into one callback) changes relations only the
whole tree shows, so it runs a whole sync of the school contacts, one per minute however many
callbacks ask. Either way the timers' worker applies it through the roster guard, audited, and a
refusal or a failure is told to the head and the admins (handlers/directory_schedule.py).
"""

from __future__ import annotations

from collections.abc import Mapping
from datetime import UTC, datetime
from typing import Any

from wechatpy.enterprise import WeChatClient

from bots.wecom.api import WecomApi
from bots.wecom.school_contacts import Found, ParentName, classes_by_department, note_student, read_departments
from handlers.directory_schedule import directory_change
from handlers.directory_sync import Changes
from state.due import DueItem

CHANNEL = "wecom"
STUDENT_CHANGES = frozenset({"create_student", "update_student"})
PARENT_CHANGES = frozenset({"create_parent", "update_parent", "subscribe", "unsubscribe"})
WHOLE_SYNC_EVERY_SECONDS = 60


def change_item(message: Any, event_id: str, at: datetime) -> DueItem:
    """The timer item a change_school_contact(_batch) callback becomes."""
    change = str(getattr(message, "change_type", "") or "")
    changed_id = str(getattr(message, "changed_id", "") or "")
    if message.event == "change_school_contact" and change in STUDENT_CHANGES | PARENT_CHANGES and changed_id:
        return directory_change(CHANNEL, f"directory-change|{event_id}", at,
                                {"change": change, "id": changed_id, "new_id": str(message.new_id or "")})
    minute = int(at.timestamp()) // WHOLE_SYNC_EVERY_SECONDS + 1
    due = datetime.fromtimestamp(minute * WHOLE_SYNC_EVERY_SECONDS, UTC)
    return directory_change(CHANNEL, f"directory-change|{CHANNEL}|whole|{due.isoformat()}", due, {})


async def read_changes(api: WecomApi, change: Mapping[str, str], parent_name: ParentName) -> Changes:
    """The people one change touched, as the school contacts list them now. Only records read
    whole are returned: the students read, and the parents whose every child was read."""
    placed = classes_by_department(await read_departments(api))
    students: dict[str, dict[str, Any]] = {}
    if change["change"] in PARENT_CHANGES:
        parents = [(await _school_user(api, change["id"]))["parent"]]
    else:
        changed = change["new_id"] or change["id"]
        students[changed] = (await _school_user(api, changed))["student"]
        parents = [(await _school_user(api, str(each["parent_userid"])))["parent"] for each in students[changed].get("parents") or []]
    children = set(students) | {str(child["student_userid"]) for parent in parents for child in parent.get("children") or []}
    found: dict[str, Found] = {}
    for userid in sorted(children):
        student = students.get(userid) or (await _school_user(api, userid))["student"]
        classes = {placed.get(int(department), "") for department in student.get("department") or []} - {""}
        note_student(found, student, classes, parent_name)
    whole = children | {str(parent.get("external_userid") or parent["parent_userid"]) for parent in parents}
    gone = frozenset({change["id"]}) if change["new_id"] and change["new_id"] != change["id"] else frozenset()
    return Changes(tuple(entry.person(userid) for userid, entry in sorted(found.items()) if userid in whole), gone)


async def _school_user(api: WecomApi, userid: str) -> dict[str, Any]:
    def read(client: WeChatClient) -> dict[str, Any]:
        result: dict[str, Any] = client.get("school/user/get", params={"userid": userid})
        return result

    return await api.call(read)
