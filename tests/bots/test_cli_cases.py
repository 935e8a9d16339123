"""`cases list` and `cases show` as a lead reads them: names instead of ids, the school's clock."""

from __future__ import annotations

import asyncio
from pathlib import Path

from handlers.concerns import Report, receive_report
from handlers.duties import Deps
from policy_text.catalog import Catalog
from state.clock import ManualClock
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
