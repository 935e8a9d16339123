"""An import that would lose the people who receive reports is refused; a dry run writes nothing."""

from __future__ import annotations

import pytest

from bots.user_ids import spell_user_id
from handlers.roster_guard import RosterRefused, guarded_import, plan_import
from handlers.roster_import import parse_roster
from state.clock import ManualClock
from state.store import Store

HEADER = "channel,user_id,name,role,class,consent\n"
SCHOOL = HEADER + """teams,lead,Lee Lead,dsl,,
teams,deputy,Dee Deputy,deputy_dsl,,
teams,head,Hal Head,head,,
teams,admin,Ada Admin,admin,5A,
teams,t1,Tess Teacher,teacher,5A,
teams,t2,Tom Teacher,teacher,5B,
teams,s1,Sol Pupil,student,5A,yes
teams,s2,Bo Pupil,student,5A,yes
teams,s3,Cai Pupil,student,5B,yes
teams,s4,Dan Pupil,student,5B,yes
teams,s5,Eve Pupil,student,5B,yes
"""
CLASS_FILE = HEADER + "teams,t1,Tess Teacher,teacher,5A,\nteams,s1,Sol Pupil,student,5A,yes\n"


async def test_a_two_row_class_file_cannot_replace_the_whole_school(store: Store, clock: ManualClock) -> None:
    await guarded_import(store, clock, parse_roster(SCHOOL.encode(), spell_user_id), merge=False, actor="cli")
    with pytest.raises(RosterRefused) as refused:
        await guarded_import(store, clock, parse_roster(CLASS_FILE.encode(), spell_user_id), merge=False, actor="cli")
    assert refused.value.losses == [
        "teams: no safeguarding lead (dsl) would be left: removes Lee Lead (teams:lead)",
        "teams: every deputy_dsl would be removed: removes Dee Deputy (teams:deputy)",
        "teams: every head would be removed: removes Hal Head (teams:head)",
        "teams: 9 of its 11 people would be removed (more than half)",
    ]
    assert "--force" in str(refused.value)
    assert len(await store.list_people()) == 11  # nothing written


async def test_forced_it_is_imported_and_the_losses_audited(store: Store, clock: ManualClock) -> None:
    await guarded_import(store, clock, parse_roster(SCHOOL.encode(), spell_user_id), merge=False, actor="cli")
    change = await guarded_import(store, clock, parse_roster(CLASS_FILE.encode(), spell_user_id), merge=False, actor="cli", force=True)
    assert len(change.removed) == 9
    (forced,) = [e.record for e in await store.read_audit() if e.record.action == "roster.forced"]
    assert "no safeguarding lead" in forced.detail["losses"]


async def test_a_merge_of_the_same_file_loses_nobody(store: Store, clock: ManualClock) -> None:
    await guarded_import(store, clock, parse_roster(SCHOOL.encode(), spell_user_id), merge=False, actor="cli")
    change = await guarded_import(store, clock, parse_roster(CLASS_FILE.encode(), spell_user_id), merge=True, actor="cli")
    assert change.removed == ()


async def test_a_first_roster_without_a_lead_is_refused(store: Store, clock: ManualClock) -> None:
    with pytest.raises(RosterRefused, match="no safeguarding lead"):
        await guarded_import(store, clock, parse_roster(CLASS_FILE.encode(), spell_user_id), merge=False, actor="cli")
    assert await store.list_people() == []


def test_the_plan_lists_changes_by_role() -> None:
    stored = parse_roster(SCHOOL.encode(), spell_user_id).people
    plan = plan_import(stored, parse_roster((CLASS_FILE + "teams,s9,Fay Pupil,student,5A,\n").encode(), spell_user_id), merge=False)
    listing = {what: {role: [str(p.ref) for p in people] for role, people in roles.items()} for what, roles in plan.by_role().items()}
    assert listing["added"] == {"student": ["teams:s9"]}
    assert listing["removed"]["dsl"] == ["teams:lead"]
    assert sorted(listing["removed"]) == ["admin", "deputy_dsl", "dsl", "head", "student", "teacher"]
    assert "updated" not in listing
