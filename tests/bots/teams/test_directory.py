"""Reading a Teams school's roster from the fake Graph: classes with their students and
teachers across pages, education users without a class, staff roles from nested role groups."""

from __future__ import annotations

from collections.abc import AsyncIterator

import pytest

from bots.teams.directory import read_directory
from bots.teams.fakes.graph import FakeClass, FakeGraph, FakeUser
from bots.teams.graph import GraphClient
from bots.teams.graph_settings import GraphSettings
from state.clock import ManualClock
from state.models import Role

LEAD_ID = "0000000A-0000-0000-0000-000000000030"  # Graph may spell an object id in capitals: Teams sends lower case


@pytest.fixture
async def school() -> AsyncIterator[FakeGraph]:
    graph = FakeGraph(tenant_id="t", client_id="c", client_secret="s", page_size=2)
    users = [("s1", "Amira Pupil", "student"), ("s2", "Ben Pupil", "student"), ("s3", "Cai Pupil", "student"),
             ("s9", "New Pupil", "student"), ("t1", "Tess Teacher", "teacher"), (LEAD_ID, "Lee Lead", "teacher"),
             ("a1", "Adam Admin", ""), ("x1", "Xavier Visitor", "")]
    for user_id, name, primary_role in users:
        graph.add_user(FakeUser(user_id, name, f"{name.split()[0].lower()}@school.example", primary_role))
    graph.classes = {"class-5a": FakeClass("class-5a", "5A", students=["s1", "s2", "s3"], teachers=["t1"]),
                     "class-6b": FakeClass("class-6b", "6B", students=["s3"], teachers=[LEAD_ID])}
    graph.groups = {"leads": [LEAD_ID], "office": ["group:office-staff"], "office-staff": ["a1", LEAD_ID], "all-staff": ["x1"]}
    await graph.start()
    try:
        yield graph
    finally:
        await graph.stop()


async def test_the_school_is_read_with_classes_roles_and_object_ids(school: FakeGraph, clock: ManualClock) -> None:
    settings = GraphSettings(tenant_id="t", client_id="c", client_secret="s", base_url=school.base_url, login_url=school.url)
    client = GraphClient(settings, clock)
    try:
        read = await read_directory(client, {Role.DSL: ("leads",), Role.ADMIN: ("office",)})
    finally:
        await client.close()
    people = {person.user_id: (person.name, person.role, person.classes) for person in read.people}
    assert people == {
        "s1": ("Amira Pupil", Role.STUDENT, ("5A",)),
        "s2": ("Ben Pupil", Role.STUDENT, ("5A",)),
        "s3": ("Cai Pupil", Role.STUDENT, ("5A", "6B")),
        "s9": ("New Pupil", Role.STUDENT, ()),  # an education user in no class yet
        "t1": ("Tess Teacher", Role.TEACHER, ("5A",)),
        LEAD_ID.casefold(): ("Lee Lead", Role.DSL, ("6B",)),  # in the leads and the office groups: the stronger role
        "a1": ("Adam Admin", Role.ADMIN, ()),  # through a nested group
    }  # x1 is in no class, no education role and no role group: not on the roster
    assert all(person.from_directory and person.consent is None for person in read.people)
    assert read.classes == {"class-5a": "5A", "class-6b": "6B"}
