"""`esafety-bot directory sync` as a person runs it (a real subprocess) against the fake Graph:
a dry run writes nothing, a sync fills the roster from Microsoft 365, a sync that would lose the
lead is refused with what it would lose, and `--force` applies it anyway."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator
from pathlib import Path

import pytest

from bots.teams.fakes.graph import SCHOOL_ROLE_GROUPS, FakeGraph, small_school
from tests.bots.test_cli import run

TENANT, CLIENT, SECRET = "school-tenant", "directory-reader", "reader-secret-for-tests"


@pytest.fixture
async def graph() -> AsyncIterator[FakeGraph]:
    fake = FakeGraph(tenant_id=TENANT, client_id=CLIENT, client_secret=SECRET)
    small_school(fake)
    await fake.start()
    try:
        yield fake
    finally:
        await fake.stop()


async def cli(tmp_path: Path, graph: FakeGraph, *args: str) -> tuple[int, str, str]:
    env = {"ESAFETY_GRAPH_TENANT_ID": TENANT, "ESAFETY_GRAPH_CLIENT_ID": CLIENT, "ESAFETY_GRAPH_CLIENT_SECRET": SECRET,
           "ESAFETY_GRAPH_BASE_URL": graph.base_url, "ESAFETY_GRAPH_LOGIN_URL": graph.url, "ESAFETY_ROLE_GROUPS": SCHOOL_ROLE_GROUPS}
    done = await asyncio.to_thread(run, tmp_path, *args, **env)
    return done.returncode, done.stdout, done.stderr


async def test_a_dry_run_then_a_sync_fill_the_roster_from_the_directory(tmp_path: Path, graph: FakeGraph) -> None:
    code, out, err = await cli(tmp_path, graph, "directory", "sync", "--dry-run")
    assert code == 0, err
    assert "added dsl (1): Lee Lead" in out
    assert "teams: 11 would be added, 0 updated, 0 removed (dry run, nothing written)" in out
    assert (await cli(tmp_path, graph, "roster", "list"))[1] == ""

    code, out, err = await cli(tmp_path, graph, "directory", "sync")
    assert code == 0, err
    assert "teams: 11 were added, 0 updated, 0 removed" in out
    listing = (await cli(tmp_path, graph, "roster", "list"))[1]
    assert "\tdsl\t-\tconsent=-\tLee Lead" in listing
    assert "\tadmin\t-\tconsent=-\tOla Office" in listing  # through the office's nested group
    assert "\tstudent\t5A\tconsent=-\tAmira Pupil" in listing


async def test_a_sync_that_would_lose_the_lead_is_refused_unless_forced(tmp_path: Path, graph: FakeGraph) -> None:
    assert (await cli(tmp_path, graph, "directory", "sync"))[0] == 0
    graph.groups["grp-safeguarding-leads"] = []  # someone emptied the leads' group
    code, _, err = await cli(tmp_path, graph, "directory", "sync")
    assert code == 1
    assert "no safeguarding lead (dsl) would be left: removes Lee Lead" in err
    assert "--force" in err
    assert "\tdsl\t" in (await cli(tmp_path, graph, "roster", "list"))[1]  # nothing written
    code, _, err = await cli(tmp_path, graph, "directory", "sync", "--force")
    assert code == 0, err
    assert "\tdsl\t" not in (await cli(tmp_path, graph, "roster", "list"))[1]


async def test_a_directory_that_cannot_be_read_applies_nothing_and_says_why(tmp_path: Path, graph: FakeGraph) -> None:
    graph.client_secret = "rotated"  # the app's secret was changed in Entra, not in the bot's settings
    code, _, err = await cli(tmp_path, graph, "directory", "sync")
    assert code == 1
    assert "refused the app's credentials" in err
    assert SECRET not in err


async def test_without_a_directory_the_command_says_how_to_set_one_up(tmp_path: Path) -> None:
    done = await asyncio.to_thread(run, tmp_path, "directory", "sync")
    assert done.returncode == 1
    assert "ESAFETY_ROLE_GROUPS" in done.stderr
