"""`cases list` and `cases show` as a lead reads them: names instead of ids, the school's clock."""

from __future__ import annotations

import asyncio
import json
from datetime import timedelta
from pathlib import Path

from handlers.concerns import Report, receive_report
from handlers.duties import Deps
from policy_text.catalog import Catalog
from state.clock import ManualClock
from state.due import Queue
from state.models import Person, Role
from state.sqlite import SqliteStore
from tests.bots.test_cli import run
from tests.conftest import START

ANN = Person(channel="teams", user_id="s1", name="Ann Pupil", role=Role.STUDENT, classes=("5A",))
LEE = Person(channel="teams", user_id="lead", name="Lee Lead", role=Role.DSL)


def file_a_report(tmp_path: Path) -> None:
    async def report() -> None:
        store = await SqliteStore.open(tmp_path / "cli.db")
        await store.merge_roster([ANN, LEE])
        deps = Deps(store=store, messenger=None, clock=ManualClock(START), catalog=Catalog.load())  # type: ignore[arg-type]
        await receive_report(deps, Report(reporter=ANN, text="private words", origin="cli-cases"))
        await store.close()

    asyncio.run(report())


def test_cases_are_listed_by_name_and_school_time(tmp_path: Path) -> None:
    file_a_report(tmp_path)
    listing = run(tmp_path, "cases", "list", ESAFETY_TIMEZONE="Asia/Shanghai")
    assert listing.returncode == 0, listing.stderr
    reference, state, urgency, received, reporter, where = listing.stdout.strip().split("\t")
    assert (state, urgency, received, reporter, where) == ("new", "normal", "Mon 23 Nov 17:00", "Ann Pupil (student, 5A)", "-")
    shown = run(tmp_path, "cases", "show", reference, ESAFETY_TIMEZONE="Asia/Shanghai", ESAFETY_LOCALE="zh_CN").stdout
    assert "received_at: 11月23日（周一）17:00" in shown
    assert "reporter: Ann Pupil（学生，5A）" in shown
    assert "teams:s1" not in shown


TESS = Person(channel="teams", user_id="t1", name="Tess Teacher", role=Role.TEACHER, classes=("5A",))
DEE = Person(channel="teams", user_id="deputy", name="Dee Deputy", role=Role.DEPUTY_DSL)


def audit_actions(tmp_path: Path) -> list[tuple[str, str, str]]:
    async def read() -> list[tuple[str, str, str]]:
        store = await SqliteStore.open(tmp_path / "cli.db")
        try:
            return [(e.record.action, e.record.actor, e.record.outcome) for e in await store.read_audit()]
        finally:
            await store.close()

    return asyncio.run(read())


def test_the_record_actions_run_as_a_named_member_of_the_safeguarding_staff(tmp_path: Path) -> None:
    """note, assign, close (refused without outcome and reason), reopen: each as `--as` someone
    whose role is checked and who is recorded as the actor; a teacher is refused, and audited."""
    file_a_report(tmp_path)

    async def more_staff() -> None:
        store = await SqliteStore.open(tmp_path / "cli.db")
        await store.merge_roster([TESS, DEE])
        await store.close()

    asyncio.run(more_staff())
    reference = run(tmp_path, "cases", "list").stdout.split("\t")[0]
    noted = run(tmp_path, "cases", "note", reference, "rang", "the", "family", "--as", "Lee Lead")
    assert (noted.returncode, noted.stdout.strip()) == (0, f"Your note is added to {reference}. Notes are kept as written: add another to "
                                                           "correct one."), noted.stderr
    teacher = run(tmp_path, "cases", "note", reference, "my", "view", "--as", "teams:t1")
    assert teacher.returncode == 1
    assert "Tess Teacher is teacher" in teacher.stderr
    nobody = run(tmp_path, "cases", "close", reference, "advice", "done", "--as", "Somebody Else")
    assert (nobody.returncode, "names nobody on the roster" in nobody.stderr) == (1, True)
    no_reason = run(tmp_path, "cases", "close", reference, "advice", "--as", "teams:lead")
    assert no_reason.returncode == 1
    assert "OUTCOME is one of" in no_reason.stderr
    assigned = run(tmp_path, "cases", "assign", reference, "Dee", "Deputy", "--as", "teams:lead")
    assert (assigned.returncode, assigned.stdout.strip()) == (0, f"{reference} is now assigned to Dee Deputy."), assigned.stderr
    closed = run(tmp_path, "cases", "close", reference, "no_further_action", "spoke", "with", "mum", "--as", "teams:lead")
    assert (closed.returncode, closed.stdout.strip()) == (0, f"{reference} closed: no further action."), closed.stderr
    reopened = run(tmp_path, "cases", "reopen", reference, "new", "facts", "--as", "Dee Deputy")
    assert reopened.returncode == 0, reopened.stderr
    assert [a for a in audit_actions(tmp_path) if a[0] != "report.received"] == [
        ("case.note", "teams:lead", reference), ("case.command_refused", "teams:t1", "note"), ("case.assigned", "teams:lead", reference),
        ("case.closed", "teams:lead", reference), ("case.reopened", "teams:deputy", reference)]
    shown = run(tmp_path, "cases", "show", reference).stdout
    assert "outcome=no_further_action" in shown
    assert "rang the family" not in shown  # staff's words go with the report's: only with --include-text
    assert "rang the family" in run(tmp_path, "cases", "show", reference, "--include-text", "--as", "Dee Deputy").stdout
    assert run(tmp_path, "cases", "show", reference, "--include-text", "--as", "teams:t1").returncode == 1  # a teacher may not read


def test_a_childs_record_is_exported_for_transfer_only_by_a_named_lead_or_deputy(tmp_path: Path) -> None:
    file_a_report(tmp_path)
    assert run(tmp_path, "cases", "export", "--person", "teams:s1").returncode == 1  # who exports it must be named
    assert run(tmp_path, "cases", "export", "--person", "s1", "--as", "Lee Lead").returncode == 1  # not channel:user_id
    sent = run(tmp_path, "cases", "export", "--person", "teams:s1", "--as", "Lee Lead", "--format", "json")
    assert sent.returncode == 0, sent.stderr
    rows = [json.loads(line) for line in sent.stdout.splitlines()]
    assert (rows[0]["action"], rows[0]["words"], rows[0]["reporter"]) == ("received", "private words", "teams:s1")
    assert "teams:s1: 1 case(s) exported for transfer" in sent.stderr
    assert ("case.transferred", "teams:lead", rows[0]["reference"]) in audit_actions(tmp_path)


def test_purge_needs_a_retention_period_a_dsl_or_the_head_and_a_confirmation(tmp_path: Path) -> None:
    """The report was filed on 23 Nov 2026 (the fixed START); the command runs a year and a half
    later by the faked clock, with a one-year retention period."""
    file_a_report(tmp_path)
    reference = run(tmp_path, "cases", "list").stdout.split("\t")[0]
    later, keep = START + timedelta(days=550), {"ESAFETY_CASE_RETENTION_DAYS": "365"}
    closed = run(tmp_path, "cases", "close", reference, "advice", "talked", "it", "through", "--as", "Lee Lead", now=START)
    assert closed.returncode == 0, closed.stderr
    forever = run(tmp_path, "cases", "purge", "--before", "2027-06-01", "--as", "Lee Lead", now=later)
    assert (forever.returncode, "kept for ever" in forever.stderr) == (1, True)
    too_soon = run(tmp_path, "cases", "purge", "--before", "2028-05-01", "--as", "Lee Lead", now=later, **keep)
    assert (too_soon.returncode, "the latest date you may purge before is 2027-05-27" in too_soon.stderr) == (1, True), too_soon.stderr
    asyncio.run(_add_deputy(tmp_path))
    deputy = run(tmp_path, "cases", "purge", "--before", "2027-01-01", "--as", "Dee Deputy", now=later, **keep)
    assert (deputy.returncode, "only a dsl or the head" in deputy.stderr) == (1, True)
    unconfirmed = run(tmp_path, "cases", "purge", "--before", "2027-01-01", "--as", "Lee Lead", now=later, typed="no\n", **keep)
    assert unconfirmed.returncode == 1
    assert "This deletes for ever 1 closed case(s)" in unconfirmed.stdout
    assert "not confirmed: nothing was deleted" in unconfirmed.stderr
    assert run(tmp_path, "cases", "list").stdout.startswith(reference)
    done = run(tmp_path, "cases", "purge", "--before", "2027-01-01", "--as", "Lee Lead", now=later, typed="PURGE\n", **keep)
    assert done.returncode == 0, done.stderr
    assert "purged 1 case(s)" in done.stdout
    assert run(tmp_path, "cases", "list").stdout == ""
    assert run(tmp_path, "audit", "verify").returncode == 0
    actions = [action for action, _, _ in audit_actions(tmp_path)]
    assert actions == ["case.command_refused", "cases.purge_started", "cases.purged"]  # the deputy's refusal, the purge: all else gone


async def _add_deputy(tmp_path: Path) -> None:
    store = await SqliteStore.open(tmp_path / "cli.db")
    await store.merge_roster([DEE])
    await store.close()


def test_cover_is_set_listed_and_ended_at_the_command_line_by_a_named_lead(tmp_path: Path) -> None:
    file_a_report(tmp_path)
    asyncio.run(_add_deputy(tmp_path))
    refused = run(tmp_path, "cover", "set", "Dee Deputy", "--until", "2026-11-27", "--as", "Dee Deputy", now=START)
    assert (refused.returncode, "only a dsl or the head may set cover" in refused.stderr) == (1, True)
    done = run(tmp_path, "cover", "set", "Dee Deputy", "--until", "2026-11-27", "--as", "Lee Lead", now=START)
    assert (done.returncode, done.stdout.strip()) == (0, "Dee Deputy covers as safeguarding lead until the end of 27 Nov: new cases and "
                                                         "escalations go to them as to a lead."), done.stderr
    listing = run(tmp_path, "cover", "list", now=START)
    assert listing.stdout.splitlines() == ["Covering as safeguarding lead now: 1.", "Dee Deputy, until the end of 27 Nov"]
    assert run(tmp_path, "cover", "list", now=START + timedelta(days=5)).stdout.strip() == "Covering as safeguarding lead now: 0."
    ended = run(tmp_path, "cover", "end", "teams:deputy", "--as", "Lee Lead", now=START)
    assert ended.returncode == 0, ended.stderr
    again = run(tmp_path, "cover", "end", "teams:deputy", "--as", "Lee Lead", now=START)
    assert (again.returncode, "Dee Deputy is not covering" in again.stderr) == (1, True)
    assert [a for a, _, _ in audit_actions(tmp_path)][-2:] == ["cover.set", "cover.ended"]


def test_drill_queues_a_test_of_the_chain_for_the_server_and_returns_at_once(tmp_path: Path) -> None:
    file_a_report(tmp_path)
    queued = run(tmp_path, "drill")
    assert queued.returncode == 0, queued.stderr
    drill_id = queued.stdout.split(" ")[0]
    assert drill_id.startswith("drill|")

    async def waiting() -> tuple[str, str]:
        store = await SqliteStore.open(tmp_path / "cli.db")
        try:
            item = await store.get_due(Queue.TIMERS, drill_id)
            return (item.kind if item else "-", (await store.read_audit())[-1].record.action)
        finally:
            await store.close()

    assert asyncio.run(waiting()) == ("drill.start", "drill.queued")  # the server, when it runs, takes it from here
