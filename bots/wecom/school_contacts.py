"""A WeCom school's roster as its school contacts (家校通讯录) hold it (issue 22).

Classes are the departments of type 1 in `school/department/list`; each class's 班主任 (head
teacher, admin type 3) and 任课老师 (subject teachers, type 4) are its teachers. Students come from
`school/user/list`, which lists one department's own students and does not recurse, so every
department of the tree is asked; each student's parents come with them, and a parent is on
the roster by their `external_userid` (how they appear in a 班级群, joined from WeChat), or by
their parent userid when they never followed 学校通知. Staff roles come from the WeCom
departments (`user/list`) and tags (`tag/get`) named in ESAFETY_ROLE_GROUPS. Consent is not here:
it stays as the school recorded it (handlers/directory_sync.py). A class whose 班级群 is open
(`open_group_chat`) names it by `group_chat_id`: the sync has the bot join it (000 §5 asks for
exactly these groups to be supervised), with the class's 班主任 as the teacher told first.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

from wechatpy.enterprise import WeChatClient

from bots.role_groups import STAFF_ROLES
from bots.wecom.api import WecomApi
from bots.wecom.join_requests import join_request
from bots.wecom.roster import CLASS_CHAT
from handlers.directory_sync import Listing
from state.due import DueItem
from state.models import GroupKey, Person, Role

CHANNEL = "wecom"
CLASS = 1
HEAD_TEACHER = 3
TEACHING = frozenset({HEAD_TEACHER, 4})  # 班主任, 任课老师


@dataclass
class Found:
    """Someone the school contacts list, as read so far (a parent's classes grow with each child)."""

    name: str
    role: Role
    classes: set[str] = field(default_factory=set)

    def person(self, userid: str, role: Role | None = None) -> Person:
        return Person(channel=CHANNEL, user_id=userid, name=self.name, role=role or self.role, classes=tuple(sorted(self.classes)),
                      from_directory=True)


ParentName = Callable[[str, str], str]
"""(the child's name, the relation WeCom records, '' when none) → the parent's name on the roster,
as staff read it (policy_text's `name.parent_of`): the school contacts give a parent no name."""


async def read_school(api: WecomApi, role_groups: Mapping[Role, tuple[str, ...]], parent_name: ParentName, *,
                      now: datetime) -> Listing:
    """Everyone the school contacts and the role groups give a role; the classes' 班级群 by chat id,
    each with the join the bot makes when it is not in it yet (its class and 班主任 with it)."""
    departments = await read_departments(api)
    found: dict[str, Found] = {}
    chats: dict[str, str] = {}
    joins: dict[GroupKey, DueItem] = {}
    for department in (each for each in departments if each.get("type") == CLASS):
        name = str(department["name"])
        admins = department.get("department_admins") or []
        if department.get("open_group_chat") == 1 and department.get("group_chat_id"):
            chat_id = str(department["group_chat_id"])
            chats[chat_id] = name
            head_teacher = next((str(admin["userid"]) for admin in admins if admin.get("type") == HEAD_TEACHER), "")
            place = {"class": name, "head_teacher": head_teacher, "department": str(department["id"])}
            joins[GroupKey(CHANNEL, chat_id)] = join_request(chat_id, CLASS_CHAT, now, place)
        for admin in admins:
            if admin.get("type") in TEACHING:
                found.setdefault(str(admin["userid"]), Found("", Role.TEACHER)).classes.add(name)
    for department_id, class_name in classes_by_department(departments).items():
        for student in await _students(api, department_id):
            note_student(found, student, {class_name} - {""}, parent_name)
    staff = await _staff_roles(api, role_groups, found)
    for userid, entry in found.items():
        if entry.role is Role.TEACHER and not entry.name:
            entry.name = await _staff_name(api, userid)
    people = [entry.person(userid, staff.get(userid)) for userid, entry in found.items()]
    return Listing(tuple(sorted(people, key=lambda person: person.user_id)), chats, joins)


async def read_departments(api: WecomApi) -> list[dict[str, Any]]:
    """The whole tree of the school contacts (school, grades, classes), as `school/department/list` gives it."""
    departments: list[dict[str, Any]] = (await api.call(lambda client: client.get("school/department/list")))["departments"]
    return departments


def classes_by_department(departments: list[dict[str, Any]]) -> dict[int, str]:
    """Every department of the tree (`school/user/list` lists only a department's own students,
    so each is asked), with the class it is in: itself or its nearest class above, '' for none
    (a pupil not placed in a class yet)."""
    by_id = {int(each["id"]): each for each in departments}

    def class_of(department_id: int, seen: frozenset[int] = frozenset()) -> str:
        department = by_id.get(department_id)
        if department is None or department_id in seen:
            return ""
        if department.get("type") == CLASS:
            return str(department["name"])
        return class_of(int(department.get("parentid", 0)), seen | {department_id})

    return {department_id: class_of(department_id) for department_id in by_id}


def note_student(found: dict[str, Found], student: dict[str, Any], placed: set[str], parent_name: ParentName) -> None:
    """A student in the classes `placed`, and each of their parents in those classes too."""
    name = str(student.get("name") or "")
    found.setdefault(str(student["student_userid"]), Found(name, Role.STUDENT)).classes.update(placed)
    for parent in student.get("parents") or []:
        userid = str(parent.get("external_userid") or parent["parent_userid"])
        found.setdefault(userid, Found(parent_name(name, str(parent.get("relation") or "")), Role.PARENT)).classes.update(placed)


async def _students(api: WecomApi, department_id: int) -> list[dict[str, Any]]:
    def read(client: WeChatClient) -> list[dict[str, Any]]:
        students: list[dict[str, Any]] = client.get("school/user/list", params={"department_id": department_id}).get("students") or []
        return students

    return await api.call(read)


async def _staff_roles(api: WecomApi, role_groups: Mapping[Role, tuple[str, ...]], found: dict[str, Found]) -> dict[str, Role]:
    """Each member of a role group's department or tag, with the strongest role they are given."""
    roles: dict[str, Role] = {}
    for role in STAFF_ROLES:
        for group in role_groups.get(role, ()):
            for member in await _members(api, group):
                userid = str(member["userid"])
                roles.setdefault(userid, role)
                entry = found.setdefault(userid, Found(str(member.get("name") or ""), role))
                entry.name = entry.name or str(member.get("name") or "")
    return roles


async def _members(api: WecomApi, group: str) -> list[dict[str, Any]]:
    kind, _, number = group.partition(":")

    def read(client: WeChatClient) -> list[dict[str, Any]]:
        if kind == "dept":
            members: list[dict[str, Any]] = client.get("user/list", params={"department_id": int(number)}).get("userlist") or []
        else:
            members = client.get("tag/get", params={"tagid": int(number)}).get("userlist") or []
        return members

    return await api.call(read)


async def _staff_name(api: WecomApi, userid: str) -> str:
    return str((await api.call(lambda client: client.get("user/get", params={"userid": userid}))).get("name") or userid)
