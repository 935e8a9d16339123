"""The fake WeCom API's school contacts (家校通讯录) and the staff directory, with WeCom's shapes:
`school/department/list` (the whole tree: school, grades, classes with their 班主任 (type 3) and
任课老师 (type 4), and `group_chat_id` when `open_group_chat` is 1), `school/user/list` (one
department's own students, each with their parents; it does not recurse, as WeCom's does not),
`school/user/get` (one student with their parents, or one parent with their children),
`externalcontact/message/send` (a 学校通知 to class departments, refused for a class outside
`school/agent/get_allow_scope`),
`user/list` (a department's staff), `tag/get` (a tag's members) and `user/get` (one staff member)."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import Any

from bots.wecom.fakes.wire import WecomFailure

HEAD_TEACHER, SUBJECT_TEACHER = 3, 4


@dataclass
class SchoolContacts:
    departments: list[dict[str, Any]] = field(default_factory=list)
    students: dict[int, list[dict[str, Any]]] = field(default_factory=dict)  # department id → its own students
    staff: dict[str, str] = field(default_factory=dict)  # userid → name
    staff_departments: dict[int, list[str]] = field(default_factory=dict)  # a staff department → userids
    tags: dict[int, list[str]] = field(default_factory=dict)  # tag id → userids
    parent_scope: set[int] | None = None  # class departments whose families may use the app (None: every class)
    notices: list[dict[str, Any]] = field(default_factory=list)  # 学校通知 accepted

    def add_class(self, department_id: int, name: str, *, parent: int, head_teacher: str, subject_teachers: Sequence[str] = (),
                  group_chat_id: str = "") -> None:
        admins = [{"userid": head_teacher, "type": HEAD_TEACHER, "subject": "语文"},
                  *({"userid": userid, "type": SUBJECT_TEACHER, "subject": "数学"} for userid in subject_teachers)]
        self.departments.append({"id": department_id, "name": name, "parentid": parent, "type": 1, "department_admins": admins,
                                 "is_graduated": 0, "open_group_chat": 1 if group_chat_id else 0,
                                 **({"group_chat_id": group_chat_id} if group_chat_id else {})})

    def add_department(self, department_id: int, name: str, *, parent: int, kind: int) -> None:
        self.departments.append({"id": department_id, "name": name, "parentid": parent, "type": kind, "department_admins": []})

    def add_student(self, department_id: int, userid: str, name: str, parents: Sequence[tuple[str, str, str]]) -> None:
        """`parents`: (parent_userid, relation, external_userid or '' when they never followed 学校通知)."""
        self.students.setdefault(department_id, []).append({
            "student_userid": userid, "name": name, "department": [department_id],
            "parents": [{"parent_userid": parent, "relation": relation, "mobile": "13800000000", "is_subscribe": 1 if external else 0,
                         **({"external_userid": external} if external else {})} for parent, relation, external in parents]})

    def class_chats(self) -> set[str]:
        """The classes' 班级群 (group_chat_id)."""
        return {str(each["group_chat_id"]) for each in self.departments if each.get("group_chat_id")}

    def remove_student(self, userid: str) -> None:
        for students in self.students.values():
            students[:] = [student for student in students if student["student_userid"] != userid]

    def routes(self) -> dict[str, Any]:
        return {"school/department/list": self._department_list, "school/user/list": self._user_list, "user/list": self._staff_list,
                "tag/get": self._tag_get, "user/get": self._user_get, "school/user/get": self._school_user_get,
                "externalcontact/message/send": self._school_notice, "school/agent/get_allow_scope": self._allow_scope}

    def notice_texts(self, department_id: int) -> list[str]:
        """The 学校通知 sent to a class's families."""
        return [notice["text"]["content"] for notice in self.notices if str(department_id) in notice["to_party"]]

    def _department_list(self, body: dict[str, Any], query: Any) -> dict[str, Any]:
        return {"departments": self.departments}

    def _user_list(self, body: dict[str, Any], query: Any) -> dict[str, Any]:
        department = int(query.get("department_id", "0"))
        if not any(each["id"] == department for each in self.departments):
            raise WecomFailure(60123)
        return {"students": self.students.get(department, [])}

    def _staff_list(self, body: dict[str, Any], query: Any) -> dict[str, Any]:
        department = int(query.get("department_id", "0"))
        if department not in self.staff_departments:
            raise WecomFailure(60123)
        return {"userlist": [{"userid": userid, "name": self.staff.get(userid, userid), "department": [department]}
                             for userid in self.staff_departments[department]]}

    def _tag_get(self, body: dict[str, Any], query: Any) -> dict[str, Any]:
        tag = int(query.get("tagid", "0"))
        if tag not in self.tags:
            raise WecomFailure(40068)
        return {"tagname": f"tag {tag}", "userlist": [{"userid": userid, "name": self.staff.get(userid, userid)}
                                                      for userid in self.tags[tag]], "partylist": []}

    def _school_user_get(self, body: dict[str, Any], query: Any) -> dict[str, Any]:
        """One student (user_type 1, with their parents) or parent (user_type 2, with their children)."""
        userid = str(query.get("userid", ""))
        every = [student for students in self.students.values() for student in students]
        for student in every:
            if student["student_userid"] == userid:
                return {"user_type": 1, "student": student}
        children = [(student, parent) for student in every for parent in student["parents"] if parent["parent_userid"] == userid]
        if not children:
            raise WecomFailure(60111)
        parent = children[0][1]
        return {"user_type": 2, "parent": {
            "parent_userid": userid, "mobile": parent["mobile"], "is_subscribe": parent["is_subscribe"],
            **({"external_userid": parent["external_userid"]} if "external_userid" in parent else {}),
            "children": [{"student_userid": student["student_userid"], "relation": each["relation"]} for student, each in children]}}

    def _allowed(self) -> set[int]:
        return self.parent_scope if self.parent_scope is not None else {each["id"] for each in self.departments if each.get("type") == 1}

    def _school_notice(self, body: dict[str, Any], query: Any) -> dict[str, Any]:
        """A 学校通知: sent to the parties the app may reach; the others are returned invalid."""
        parties = [str(party) for party in body.get("to_party") or []]
        invalid = [party for party in parties if int(party) not in self._allowed()]
        if len(invalid) < len(parties):
            self.notices.append({**body, "to_party": [party for party in parties if party not in invalid]})
        return {"invalid_parent_userid": [], "invalid_student_userid": [], "invalid_party": invalid}

    def _allow_scope(self, body: dict[str, Any], query: Any) -> dict[str, Any]:
        return {"allow_scope": {"students": {"userid": []}, "departments": {"partyid": sorted(self._allowed())}}}

    def _user_get(self, body: dict[str, Any], query: Any) -> dict[str, Any]:
        userid = str(query.get("userid", ""))
        if userid not in self.staff:
            raise WecomFailure(60111)
        return {"userid": userid, "name": self.staff[userid], "status": 1}


SCHOOL_ROLE_GROUPS = "dsl=tag:7;deputy_dsl=tag:8;head=dept:101;admin=dept:100"
"""ESAFETY_ROLE_GROUPS for `small_school`: the safeguarding staff by tag, the head and the office by department."""
CLASS_CHAT = "wrOgQhDgAAclass1A"
"""一年级1班's 班级群 (its `group_chat_id`)."""


def small_school(contacts: SchoolContacts) -> None:
    """A small WeCom school for the tests and the demo: 一年级 with 1班 (its 班级群 open) and 2班
    (no 班级群), and a new pupil in the grade not placed in a class yet; the office, the head and
    the safeguarding staff in the staff directory."""
    contacts.add_department(1, "实验小学", parent=0, kind=5)
    contacts.add_department(2, "一年级", parent=1, kind=2)
    contacts.add_class(3, "一年级1班", parent=2, head_teacher="zhang.laoshi", subject_teachers=["li.laoshi"], group_chat_id=CLASS_CHAT)
    contacts.add_class(4, "一年级2班", parent=2, head_teacher="zhou.laoshi")
    contacts.add_student(3, "wang.xs", "王小明", [("wang.baba", "爸爸", "wmEXTwangbaba"), ("wang.mama", "妈妈", "")])
    contacts.add_student(3, "chen.xs", "陈小红", [("chen.mama", "妈妈", "wmEXTchenmama")])
    contacts.add_student(2, "zhao.xs", "赵小刚", [("zhao.baba", "爸爸", "wmEXTzhaobaba")])  # new this week: in the grade, no class yet
    contacts.add_student(4, "sun.xs", "孙小丽", [("sun.nainai", "奶奶", "wmEXTsunnainai")])
    contacts.staff = {"zhang.laoshi": "张老师", "li.laoshi": "李老师", "zhou.laoshi": "周老师", "liu.dsl": "刘老师",
                      "he.deputy": "何老师", "hu.xiaozhang": "胡校长", "chen.zhuren": "陈主任"}
    contacts.tags = {7: ["liu.dsl"], 8: ["he.deputy"]}
    contacts.staff_departments = {100: ["chen.zhuren"], 101: ["hu.xiaozhang"]}
