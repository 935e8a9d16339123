"""Demo scene for the directory sync (issue 21; 000 §5, 004 strategy 18): a second school, whose
Teams roster lives in Microsoft 365, gets its classes, pupils, teachers and staff roles from the
fake Graph with no CSV; a class team is linked to its class by its Microsoft 365 group; and a
sync that would lose the safeguarding lead is refused. Its own database, beside the demo's."""

from __future__ import annotations

import io
from dataclasses import replace

from bots.cli_directory import directory_sync
from bots.demo.scene import Scene
from bots.teams.fakes.activities import joined_event
from bots.teams.fakes.graph import SCHOOL_ROLE_GROUPS, FakeGraph, small_school
from bots.teams.graph_settings import graph_settings
from handlers.group_registry import remember_group
from handlers.roster_guard import RosterRefused
from state.models import GroupKey, Role
from state.sqlite import SqliteStore

TENANT, CLIENT, SECRET = "demo-school-tenant", "demo-directory-reader", "demo-directory-secret"
CLASS_TEAM = GroupKey("teams", "19:class-6b-general@thread.tacv2")


async def play(scene: Scene) -> None:
    t = scene.transcript
    t.section("A Teams school whose roster is in Microsoft 365: `directory sync`, no CSV (000 §5; 004 strategy 18)")
    graph = FakeGraph(tenant_id=TENANT, client_id=CLIENT, client_secret=SECRET)
    small_school(graph)
    await graph.start()
    settings = replace(scene.bot.settings, graph=graph_settings({
        "ESAFETY_GRAPH_TENANT_ID": TENANT, "ESAFETY_GRAPH_CLIENT_ID": CLIENT, "ESAFETY_GRAPH_CLIENT_SECRET": SECRET,
        "ESAFETY_GRAPH_BASE_URL": graph.base_url, "ESAFETY_GRAPH_LOGIN_URL": graph.url, "ESAFETY_ROLE_GROUPS": SCHOOL_ROLE_GROUPS}))
    store = await SqliteStore.open(scene.folder / "directory-school.db", clock=scene.clock)
    try:
        t.say(f"ESAFETY_ROLE_GROUPS={SCHOOL_ROLE_GROUPS}")
        out = io.StringIO()
        await directory_sync(settings, store, scene.clock, out, dry_run=True, force=False)
        t.say("$ esafety-bot directory sync --dry-run\n" + out.getvalue())
        t.expect(await store.list_people() == [], "a dry run lists the change by role and writes nothing")
        out = io.StringIO()
        await directory_sync(settings, store, scene.clock, out, dry_run=False, force=False)
        t.say("$ esafety-bot directory sync\n" + out.getvalue())
        people = {person.name: person for person in await store.list_people()}
        t.expect(len(people) == 11 and people["Amira Pupil"].classes == ("5A",) and people["Tess Teacher"].role is Role.TEACHER,
                 "classes 5A and 6B arrive from Microsoft 365: pupils and teachers from the education API, with their classes")
        t.expect((people["Lee Lead"].role, people["Dee Deputy"].role, people["Hal Head"].role, people["Ola Office"].role)
                 == (Role.DSL, Role.DEPUTY_DSL, Role.HEAD, Role.ADMIN),
                 "the lead, the deputy, the head and the office staff get their roles from their Entra groups (nested ones too)")
        t.expect(all(person.consent is None for person in people.values()),
                 "no consent is taken from the directory: it stays in the school's register (roster import or commands)")
        await remember_group(joined_event("bot_added_team", "https://smba.trafficmanager.net/uk/"), replace(scene.bot.deps, store=store))
        team = await store.get_group(CLASS_TEAM)
        t.expect(team is not None and team.class_name == "6B",
                 "the bot is added to the 6B class team: its channel takes class 6B from the team's Microsoft 365 group, "
                 "with no `groups set-class`")
        graph.groups["grp-safeguarding-leads"] = []  # someone empties the leads' group by mistake
        try:
            await directory_sync(settings, store, scene.clock, io.StringIO(), dry_run=False, force=False)
            t.expect(False, "a sync that would leave no safeguarding lead is refused")
        except RosterRefused as refused:
            t.say(f"$ esafety-bot directory sync\nesafety-bot: error: {refused}")
            t.expect(await store.get_person("teams", people["Lee Lead"].user_id) is not None,
                     "the leads' group emptied by mistake: the sync is refused whole, and the lead stays on the roster")
    finally:
        await store.close()
        await graph.stop()
