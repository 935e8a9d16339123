"""A directory sync: the directory's people replace the ones it brought before, consent and
locales and pinned roles stay as the school set them, the school file's own people stay, every
difference is audited, and every guard of `roster import` holds."""

from __future__ import annotations

from dataclasses import replace

import pytest

from bots.user_ids import spell_user_id
from handlers.directory_sync import Changes, DirectoryError, Listing, sync_changes, sync_channel, sync_listing
from handlers.roster_guard import RosterRefused, guarded_import
from handlers.roster_import import parse_roster
from state.clock import ManualClock
from state.due import DueItem, Queue
from state.models import Group, GroupKey, Person, Role
from state.store import Store


def listed(user_id: str, name: str, role: Role, *classes: str) -> Person:
    return Person(channel="teams", user_id=user_id, name=name, role=role, classes=classes, from_directory=True)


LEAD = listed("lead", "Lee Lead", Role.DSL)
DEPUTY = listed("deputy", "Dee Deputy", Role.DEPUTY_DSL)
HEAD = listed("head", "Hal Head", Role.HEAD)
TEACHER = listed("t1", "Tess Teacher", Role.TEACHER, "5A")
PUPILS = [listed(f"s{n}", f"Pupil {n}", Role.STUDENT, "5A") for n in range(1, 5)]
DIRECTORY = [LEAD, DEPUTY, HEAD, TEACHER, *PUPILS]
FILE = "channel,user_id,name,role,class,consent,locale\n"


async def audit(store: Store, prefix: str) -> list[tuple[str, str]]:
    return [(e.record.action, e.record.subject) for e in await store.read_audit() if e.record.action.startswith(prefix)]


async def test_a_full_sync_adds_everyone_and_audits_each_one(store: Store, clock: ManualClock) -> None:
    outcome = await sync_channel(store, clock, "teams", DIRECTORY)
    assert outcome.change is not None
    assert len(outcome.change.added) == len(DIRECTORY)
    assert {str(p.ref): p.role for p in await store.list_people()} == {str(p.ref): p.role for p in DIRECTORY}
    assert sorted(subject for _, subject in await audit(store, "directory.added")) == sorted(str(p.ref) for p in DIRECTORY)


async def test_consent_and_locale_on_record_survive_every_sync(store: Store, clock: ManualClock) -> None:
    await sync_channel(store, clock, "teams", DIRECTORY)
    file = FILE + "teams,s1,Pupil 1,student,5A,yes,zh_CN\nteams,s2,Pupil 2,student,5A,no,\n"
    await guarded_import(store, clock, parse_roster(file.encode(), spell_user_id), merge=True, actor="cli")
    moved = [replace(p, classes=("5B",)) if p.user_id in ("s1", "s2") else p for p in DIRECTORY]  # the pupils change class
    await sync_channel(store, clock, "teams", moved)
    s1, s2 = await store.get_person("teams", "s1"), await store.get_person("teams", "s2")
    assert s1 is not None
    assert (s1.consent, s1.locale, s1.classes) == (True, "zh_CN", ("5B",))
    assert s2 is not None
    assert (s2.consent, s2.classes) == (False, ("5B",))
    assert [subject for _, subject in await audit(store, "directory.updated")] == ["teams:s1", "teams:s2"]


async def test_a_role_the_school_file_pinned_is_kept_over_the_directory(store: Store, clock: ManualClock) -> None:
    await sync_channel(store, clock, "teams", DIRECTORY)
    await guarded_import(store, clock, parse_roster((FILE + "teams,t1,Tess Teacher,dsl,5A,,\n").encode(), spell_user_id),
                         merge=True, actor="cli")
    outcome = await sync_channel(store, clock, "teams", DIRECTORY)
    tess = await store.get_person("teams", "t1")
    assert tess is not None
    assert tess.role is Role.DSL
    assert [person.user_id for person in outcome.kept_pinned] == ["t1"]


async def test_the_files_people_stay_and_leavers_of_the_directory_go(store: Store, clock: ManualClock) -> None:
    await sync_channel(store, clock, "teams", DIRECTORY)
    parent = FILE + "teams,p1,Pat Parent,parent,5A,,\n"
    await guarded_import(store, clock, parse_roster(parent.encode(), spell_user_id), merge=True, actor="cli")
    await sync_channel(store, clock, "teams", [p for p in DIRECTORY if p.user_id != "s4"])
    refs = {str(p.ref) for p in await store.list_people()}
    assert "teams:p1" in refs  # the directory holds no parents: the school's file does
    assert "teams:s4" not in refs
    assert await audit(store, "roster.removed") == [("roster.removed", "teams:s4")]


async def test_a_sync_that_loses_the_lead_is_refused_whole_unless_forced(store: Store, clock: ManualClock) -> None:
    await sync_channel(store, clock, "teams", DIRECTORY)
    without_lead = [p for p in DIRECTORY if p is not LEAD]
    with pytest.raises(RosterRefused) as refused:
        await sync_channel(store, clock, "teams", without_lead)
    assert refused.value.losses == ["teams: no safeguarding lead (dsl) would be left: removes Lee Lead (teams:lead)"]
    assert await store.get_person("teams", "lead") is not None  # nothing written
    assert [action for action, _ in await audit(store, "directory.refused")] == ["directory.refused"]
    await sync_channel(store, clock, "teams", without_lead, force=True)
    assert await store.get_person("teams", "lead") is None
    assert [action for action, _ in await audit(store, "roster.forced")] == ["roster.forced"]


async def test_a_sync_that_removes_more_than_half_or_every_deputy_is_refused(store: Store, clock: ManualClock) -> None:
    await sync_channel(store, clock, "teams", DIRECTORY)
    with pytest.raises(RosterRefused) as refused:
        await sync_channel(store, clock, "teams", [LEAD, HEAD, TEACHER])
    assert refused.value.losses == ["teams: every deputy_dsl would be removed: removes Dee Deputy (teams:deputy)",
                                    "teams: 5 of its 8 people would be removed (more than half)"]


async def test_a_dry_run_writes_nothing(store: Store, clock: ManualClock) -> None:
    outcome = await sync_channel(store, clock, "teams", DIRECTORY, dry_run=True)
    assert outcome.change is None
    assert len(outcome.plan.change.added) == len(DIRECTORY)
    assert await store.list_people() == []
    assert await audit(store, "directory.") == []


async def test_a_directory_that_lists_nobody_applies_nothing(store: Store, clock: ManualClock) -> None:
    await sync_channel(store, clock, "teams", DIRECTORY)
    with pytest.raises(DirectoryError, match="listed nobody"):
        await sync_channel(store, clock, "teams", [], force=True)
    assert len(await store.list_people()) == len(DIRECTORY)


async def test_a_class_group_the_directory_names_is_joined_once(store: Store, clock: ManualClock) -> None:
    """A class group the directory names (a WeCom 班级群) gets its join queued, audited; a dry run
    only says so; a group the bot is already in is not joined again."""
    known, new = GroupKey("wecom", "known-chat"), GroupKey("wecom", "new-chat")
    await store.register_group(Group(key=known, name="1班", joined_at=clock.now()))
    joins = {key: DueItem(queue=Queue.INBOX, item_id=f"join:{key.conversation_id}", kind="test.join", due_at=clock.now(),
                          payload={"chat_id": key.conversation_id}) for key in (known, new)}
    listing = Listing(DIRECTORY, {"known-chat": "1班", "new-chat": "2班"}, joins)
    dry = await sync_listing(store, clock, "teams", listing, dry_run=True)
    assert dry.joining == (new,)
    assert await store.get_due(Queue.INBOX, "join:new-chat") is None
    applied = await sync_listing(store, clock, "teams", listing)
    assert applied.joining == (new,)
    assert await store.get_due(Queue.INBOX, "join:new-chat") == joins[new]
    assert await store.get_due(Queue.INBOX, "join:known-chat") is None
    assert await audit(store, "group.join_queued") == [("group.join_queued", "")]


async def test_a_change_read_on_its_own_replaces_only_whom_it_touched(store: Store, clock: ManualClock) -> None:
    """The rest of the directory's people stay as stored; a renamed id goes; a member of staff the
    change lists as a parent stays staff."""
    await sync_channel(store, clock, "teams", DIRECTORY)
    moved = replace(PUPILS[0], classes=("6B",))
    renamed = listed("s2-new", "Pupil 2", Role.STUDENT, "5A")
    teacher_as_parent = replace(TEACHER, role=Role.PARENT)
    outcome = await sync_changes(store, clock, "teams", Changes((moved, renamed, teacher_as_parent), frozenset({"s2"})))
    assert outcome.change is not None
    roles = {person.user_id: (person.role, person.classes) for person in await store.list_people("teams")}
    assert roles["s1"] == (Role.STUDENT, ("6B",))
    assert "s2" not in roles
    assert roles["s2-new"] == (Role.STUDENT, ("5A",))
    assert roles["t1"] == (Role.TEACHER, ("5A",))
    assert roles["lead"] == (Role.DSL, ())
    assert len(roles) == len(DIRECTORY)
