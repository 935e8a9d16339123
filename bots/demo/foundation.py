"""Demo scenes for the foundation: the roster, the Store, the server's health, the audit log,
the backup, and a restart that loses nothing."""

from __future__ import annotations

import asyncio
import io
import json
import sqlite3
from datetime import timedelta
from pathlib import Path

from bots import cli_operations
from bots.backup import backup_database
from bots.config import Settings
from bots.demo.scene import Scene
from bots.demo.teams import class_members
from bots.demo.transcript import Transcript
from bots.store import store_for
from handlers.events import GroupJoined, MembersChanged
from handlers.roster_guard import RosterRefused
from handlers.roster_import import RosterError
from state.clock import ManualClock
from state.due import DueItem, Queue
from state.effects import Effects
from state.models import GroupKey, Member, PersonRef, Role
from state.records import Case
from state.sqlite import SqliteStore
from state.store import Store

ROSTER = "roster.csv"
CLASS_CHAT = GroupKey("teams", "19:demo-class-5a@thread.v2")
DEMO_REPORT = "DEMO-REPORT-TEXT: this must never be printed"


async def play(scene: Scene, service_url: str) -> None:
    await _roster(scene)
    await _health(scene)
    await _groups(scene, service_url)
    await _cases_and_claims(scene)
    await _audit_and_backup(scene)


async def _roster(scene: Scene) -> None:
    t, store = scene.transcript, scene.bot.store
    t.section("Roster import (roles decide every duty: 000 §5, 004 strategy 18)")
    source = scene.folder / ROSTER
    await asyncio.to_thread(source.write_bytes, bundled_roster())
    change = await cli_operations.roster_import(store, scene.clock, source, merge=False)
    t.say(f"$ esafety-bot roster import {ROSTER}\nroster imported: {len(change.added)} added, {len(change.removed)} removed")
    t.expect(len(change.added) == 15, "the sample roster's 15 people are imported")
    listing = io.StringIO()
    await cli_operations.roster_list(store, listing, "wecom")
    t.say("$ esafety-bot roster list --channel wecom\n" + listing.getvalue())
    bad = scene.folder / "bad-roster.csv"
    bad_rows = "channel,user_id,name,role,class,consent\nteams,x1,Pat,pupil,5A,yes\nskype,x2,Sam,student,5A,maybe\n"
    await asyncio.to_thread(bad.write_text, bad_rows)
    try:
        await cli_operations.roster_import(store, scene.clock, bad, merge=False)
        t.expect(False, "a malformed roster is refused")
    except RosterError as error:
        t.say(f"$ esafety-bot roster import bad-roster.csv\n{error}")
        listed = len(error.problems) == 3 and "line 2" in str(error) and "line 3" in str(error)
        t.expect(listed, "a malformed roster is refused whole, every problem listed by line")
    t.expect(len(await store.list_people()) == 15, "nothing was half-imported: the roster still has 15 people")
    await _class_file_guarded(scene)


async def _class_file_guarded(scene: Scene) -> None:
    """A class teacher's two-row file would replace the whole Teams roster, the lead with it."""
    t, store = scene.transcript, scene.bot.store
    class_file = scene.folder / "class-5a.csv"
    rows = ("channel,user_id,name,role,class,consent\nteams,0f5a1c2e-1111-4a4a-9a9a-000000000010,Ms Teacher,teacher,5A,\n"
            "teams,0f5a1c2e-1111-4a4a-9a9a-000000000001,Amira Example,student,5A,yes\n")
    await asyncio.to_thread(class_file.write_text, rows)
    dry = io.StringIO()
    await cli_operations.roster_dry_run(store, class_file, dry, merge=False)
    t.say(f"$ esafety-bot roster import class-5a.csv --dry-run\n{dry.getvalue()}")
    t.expect("removed dsl (1): Dr Lead" in dry.getvalue(), "a dry run lists the changes by role and writes nothing")
    try:
        await cli_operations.roster_import(store, scene.clock, class_file, merge=False)
        t.expect(False, "an import that would remove the safeguarding lead is refused")
    except RosterRefused as error:
        t.say(f"$ esafety-bot roster import class-5a.csv\n{error}")
        t.expect(any("no safeguarding lead" in loss for loss in error.losses),
                 "an import that would leave Teams with no safeguarding lead is refused, saying who would be lost")
    t.expect(len(await store.list_people()) == 15, "the refused import wrote nothing")


async def _health(scene: Scene) -> None:
    t, http = scene.transcript, scene.http
    t.section("Server health and channels")
    for path, status in (("/healthz", 200), ("/readyz", 200)):
        async with http.get(path) as response:
            t.say(f"GET {path} → {response.status} {await response.text()}")
            t.expect(response.status == status, f"{path} answers {status}")
    report = scene.bot.channel_report()
    t.say("channels: " + ", ".join(f"{channel} {state}" for channel, state in report.items()))
    t.expect(report["teams"].startswith("on") and report["wecom"] == "on",
             "both channels are on (Teams and WeCom, each against its local fake)")


async def _groups(scene: Scene, service_url: str) -> None:
    t, bot = scene.transcript, scene.bot
    t.section("Joining a class group (stored so proactive sends survive a restart)")
    joined = GroupJoined(event_id="demo-join", at=scene.clock.now(), group=CLASS_CHAT, name="Class 5A", locale="en-GB",
                         address={"serviceUrl": service_url, "bot": {"id": "28:esafety-bot"}, "channelId": "msteams",
                                  "conversation": {"id": CLASS_CHAT.conversation_id, "conversationType": "groupChat"}})
    await bot.dispatcher.dispatch(joined)
    await bot.dispatcher.dispatch(joined)  # Teams sends installationUpdate and conversationUpdate for one install
    t.expect(len(await bot.store.list_groups()) == 1, "joining twice registers the group once")
    teams_ids = {account["aadObjectId"].casefold(): account["id"] for account in class_members()}  # as Teams lists them
    members = tuple(Member(user_id=p.user_id, platform_id=teams_ids[p.user_id]) for p in await bot.store.list_people("teams")
                    if p.role in {Role.STUDENT, Role.TEACHER})
    await bot.dispatcher.dispatch(MembersChanged(event_id="demo-members", at=scene.clock.now(), group=CLASS_CHAT, added=members))
    listing = io.StringIO()
    await cli_operations.groups_list(bot.store, listing)
    t.say("$ esafety-bot groups list\n" + listing.getvalue())
    t.expect("class=5A (inferred)" in listing.getvalue(), "the group's class is inferred from its students")


async def _cases_and_claims(scene: Scene) -> None:
    """Shown on a scratch copy of the Store mechanism, so the demo never takes the running
    bot's real work out of its queues."""
    t, bot = scene.transcript, scene.bot
    t.section("A case and its work, written in one step; two instances, one claimer (scratch Store)")
    scratch = scene.folder / "claims-demo.db"
    first = await SqliteStore.open(scratch, clock=scene.clock)
    second = await SqliteStore.open(scratch, clock=scene.clock)
    try:
        refs = await asyncio.gather(first.next_case_reference(2026), second.next_case_reference(2026))
        t.say(f"two instances took references {refs[0]} and {refs[1]}")
        t.expect(len(set(refs)) == 2, "case references are unique across instances")
        case = Case(reference=refs[0], reporter=PersonRef("teams", "0f5a1c2e-1111-4a4a-9a9a-000000000002"),
                    reporter_role=Role.STUDENT, received_at=scene.clock.now(), text=DEMO_REPORT, group=CLASS_CHAT)
        deliver = DueItem(queue=Queue.OUTBOX, item_id=f"{refs[0]}|example", kind="demo.example", due_at=scene.clock.now())
        escalate = DueItem(queue=Queue.TIMERS, item_id=f"{refs[0]}|example", kind="demo.example",
                           due_at=scene.clock.now() + timedelta(seconds=bot.settings.cases.ack_timeout_seconds))
        await first.save_case_with_delivery(case, Effects(messages=(deliver,), timers=(escalate,)), origin="demo-foundation")
        t.expect(await second.get_case(refs[0].lower()) is not None, "the case is stored (and found by a lower-case reference)")
        first_claims, second_claims = await asyncio.gather(
            first.claim_due(Queue.OUTBOX, limit=5, lease_seconds=60), second.claim_due(Queue.OUTBOX, limit=5, lease_seconds=60))
        t.say(f"instance 1 claimed {len(first_claims)}, instance 2 claimed {len(second_claims)} outbox entries")
        t.expect(len(first_claims) + len(second_claims) == 1, "two claimers, one winner")
        t.expect(not await first.claim_due(Queue.TIMERS, limit=5, lease_seconds=60), "the escalation timer waits until it is due")
        later = scene.clock.now() + timedelta(seconds=bot.settings.cases.ack_timeout_seconds)
        t.say(f"the timer is stored to fall due at {later:%H:%M}, {bot.settings.cases.ack_timeout_seconds} s after the report")
        t.expect(escalate.due_at == later, "the timer is stored with its due time")
    finally:
        await first.close()
        await second.close()


async def _audit_and_backup(scene: Scene) -> None:
    t, bot = scene.transcript, scene.bot
    t.section("Audit export and backup")
    export = io.StringIO()
    count = await cli_operations.audit_export(bot.store, export)
    lines = export.getvalue().splitlines()
    t.say(f"$ esafety-bot audit export\n{count} records; first: {lines[0] if lines else '-'}")
    t.expect(count >= 1 and all(json.loads(line)["clause"] for line in lines), "every audit record names its clause")
    t.expect(DEMO_REPORT not in export.getvalue(), "no report text in the audit export")
    target = scene.folder / "backup.db"
    if await asyncio.to_thread(target.exists):
        await asyncio.to_thread(target.unlink)
    await backup_database(bot.settings, target)
    copy = await SqliteStore.open(target)
    try:
        people = await copy.list_people()
    finally:
        await copy.close()
    t.say(f"$ esafety-bot backup {target.name}\nthe copy holds {len(people)} people")
    t.expect(len(people) == 15, "the online backup is a consistent copy")


async def play_after_restart(t: Transcript, clock: ManualClock, settings: Settings) -> None:
    t.section("Restart: the server stopped; reopening the Store")
    store = await store_for(settings, clock)
    try:
        groups, cases = await store.list_groups(), await store.list_cases()
        t.say(f"after restart: {len(await store.list_people())} people, {len(groups)} group(s), {len(cases)} case(s)")
        reachable = all(g.address.get("serviceUrl") or g.address.get("chat_id") for g in groups)
        t.expect(len(groups) == 3 and reachable, "every group (two on Teams, one on WeCom) and its address survived the restart")
        t.expect(len(cases) >= 1 and all(c.reference.startswith("C-") for c in cases), "every case survived the restart")
        await _nothing_unexplained(t, store)
        await _audit_verified_then_tampered(t, store, settings)
    finally:
        await store.close()


async def _audit_verified_then_tampered(t: Transcript, store: Store, settings: Settings) -> None:
    """004 strategy 13: the record must be one a school can stand behind. The log verifies; then
    someone with the database file changes who closed a case, and `audit verify` names the record."""
    t.section("$ esafety-bot audit verify: the audit log is sealed, and an edit behind the bot's back is found")
    report = io.StringIO()
    t.expect(await cli_operations.audit_verify(store, report) == 0, "every record follows the seal of the one before: intact")
    t.say(report.getvalue().strip())
    closed = next(e for e in await store.read_audit(limit=-1) if e.record.action == "case.closed")
    with sqlite3.connect(settings.db_path) as raw:
        raw.execute("UPDATE audit SET data = replace(data, ?, ?) WHERE seq = ?", (closed.record.actor, "teams:someone-else", closed.seq))
    t.say(f"$ sqlite3 {Path(settings.db_path).name} \"UPDATE audit SET data = … WHERE seq = {closed.seq}\"  (who closed a case)")
    report = io.StringIO()
    failed = await cli_operations.audit_verify(store, report) == 1
    t.say("$ esafety-bot audit verify\n" + report.getvalue().strip())
    t.expect(failed and f"record {closed.seq}: edited" in report.getvalue(),
             f"record {closed.seq} is named as edited, and the exit code is 1")


async def _nothing_unexplained(t: Transcript, store: Store) -> None:
    """What is still undelivered at the end is listed, each with who and why: here, only the
    staff who never installed the app (the admins were told), never the lead."""
    listing = io.StringIO()
    count = await cli_operations.outbox_list(store, listing)
    t.say(f"$ esafety-bot outbox list\n{listing.getvalue() or '(nothing waits)'}")
    waiting = [line.split("\t") for line in listing.getvalue().splitlines()]
    explained = all(len(row) == 5 and row[4].startswith("unreachable:") and "not on the roster" not in row[1] for row in waiting)
    t.expect(explained and not any("(dsl)" in row[1] for row in waiting),
             f"{count} message(s) still wait, each for a named person who never installed the app, with the reason; none for the lead")


def bundled_roster() -> bytes:
    from importlib import resources

    return resources.files("bots.demo").joinpath(ROSTER).read_bytes()
