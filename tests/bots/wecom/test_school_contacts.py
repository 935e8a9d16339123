"""Reading a WeCom school's roster from its school contacts (家校通讯录) on the fake WeCom API:
classes and their teachers, students found by walking each class's sub-departments, parents by
their external_userid, staff roles from departments and tags."""

from __future__ import annotations

import asyncio
import subprocess
from pathlib import Path

from bots.config import load_settings
from bots.directories import parent_namer
from bots.wecom.api import WecomApi
from bots.wecom.fakes.api import FakeWecomApi
from bots.wecom.fakes.callbacks import settings_env
from bots.wecom.fakes.school import CLASS_CHAT, SCHOOL_ROLE_GROUPS, small_school
from bots.wecom.school_contacts import read_school
from state.clock import ManualClock
from state.models import GroupKey, Role
from state.store import Store
from tests.bots.test_cli import run


async def test_the_school_contacts_become_the_roster(wecom_api: FakeWecomApi, store: Store, clock: ManualClock) -> None:
    small_school(wecom_api.school)
    settings = load_settings({**settings_env(wecom_api.base_url), "ESAFETY_ROLE_GROUPS": SCHOOL_ROLE_GROUPS}).wecom
    listing = await read_school(WecomApi(settings, store), settings.role_groups, parent_namer("zh_CN"), now=clock.now())
    people = {person.user_id: (person.name, person.role, person.classes) for person in listing.people}
    assert people == {
        "wang.xs": ("王小明", Role.STUDENT, ("一年级1班",)),
        "chen.xs": ("陈小红", Role.STUDENT, ("一年级1班",)),
        "zhao.xs": ("赵小刚", Role.STUDENT, ()),  # listed under the grade, not yet in a class: found by walking the tree
        "sun.xs": ("孙小丽", Role.STUDENT, ("一年级2班",)),
        "wmEXTwangbaba": ("王小明的爸爸", Role.PARENT, ("一年级1班",)),  # by external_userid: how a 班级群 shows them
        "wang.mama": ("王小明的妈妈", Role.PARENT, ("一年级1班",)),  # never followed 学校通知: by parent userid
        "wmEXTchenmama": ("陈小红的妈妈", Role.PARENT, ("一年级1班",)),
        "wmEXTzhaobaba": ("赵小刚的爸爸", Role.PARENT, ()),
        "wmEXTsunnainai": ("孙小丽的奶奶", Role.PARENT, ("一年级2班",)),
        "zhang.laoshi": ("张老师", Role.TEACHER, ("一年级1班",)),  # 班主任
        "li.laoshi": ("李老师", Role.TEACHER, ("一年级1班",)),  # 任课老师
        "zhou.laoshi": ("周老师", Role.TEACHER, ("一年级2班",)),
        "liu.dsl": ("刘老师", Role.DSL, ()),  # tag 7
        "he.deputy": ("何老师", Role.DEPUTY_DSL, ()),
        "hu.xiaozhang": ("胡校长", Role.HEAD, ()),  # department 101
        "chen.zhuren": ("陈主任", Role.ADMIN, ()),
    }
    assert all(person.from_directory and person.consent is None for person in listing.people)
    assert listing.classes == {CLASS_CHAT: "一年级1班"}  # 2班 has no 班级群 open
    (join,) = listing.joins.values()
    assert list(listing.joins) == [GroupKey("wecom", CLASS_CHAT)]
    assert join.payload == {"chat_id": CLASS_CHAT, "kind": "class_chat", "place": {"class": "一年级1班", "head_teacher": "zhang.laoshi",
                                                                                     "department": "3"}}
    assert {request.query.get("department_id") for request in wecom_api.received if request.path == "school/user/list"} == {
        "1", "2", "3", "4"}  # every department: school/user/list does not recurse


async def test_directory_sync_fills_the_wecom_roster_and_keeps_the_consent_on_record(tmp_path: Path, wecom_api: FakeWecomApi) -> None:
    """`esafety-bot directory sync` (a real subprocess) reads the school contacts; consent then
    imported from the school's register survives the next sync, as on Teams."""
    small_school(wecom_api.school)
    env = {**settings_env(wecom_api.base_url), "ESAFETY_ROLE_GROUPS": SCHOOL_ROLE_GROUPS}

    def cli(*args: str) -> subprocess.CompletedProcess[str]:
        return run(tmp_path, *args, **env)

    synced = await asyncio.to_thread(cli, "directory", "sync")
    assert synced.returncode == 0, synced.stderr
    assert "wecom: 16 were added, 0 updated, 0 removed" in synced.stdout
    assert f"wecom: class group wecom:{CLASS_CHAT} is being joined" in synced.stdout
    (tmp_path / "consent.csv").write_text("channel,user_id,name,role,class,consent\nwecom,wang.xs,王小明,student,一年级1班,yes\n")
    assert (await asyncio.to_thread(cli, "roster", "import", "consent.csv", "--merge")).returncode == 0
    again = await asyncio.to_thread(cli, "directory", "sync")
    assert again.returncode == 0, again.stderr
    listing = (await asyncio.to_thread(cli, "roster", "list", "--channel", "wecom")).stdout
    assert "wecom:wang.xs\tstudent\t一年级1班\tconsent=yes\t王小明" in listing
    assert "wecom:liu.dsl\tdsl\t-\tconsent=-\t刘老师" in listing
