"""`esafety-bot doctor`: all well on a healthy setup (exit 0), each problem named on a broken one
(exit 1), and what cannot be checked from here said without failing. Microsoft's token endpoint
and WeCom's API are the local fakes; the Store is a real SQLite file or a real redis-server."""

from __future__ import annotations

import io
import subprocess
import sys
import tomllib
from collections.abc import AsyncIterator, Iterator
from dataclasses import replace
from pathlib import Path

import pytest

from bots.doctor import examine, report
from bots.findings import Finding, Verdict
from bots.sockets import free_port
from bots.teams.fakes.openid import FakeTokenAuthority
from bots.wecom.fakes.api import FakeWecomApi
from handlers.directory_schedule import SYNC, run_directory_sync
from handlers.directory_sync import Listing
from handlers.duties import Deps
from policy_text.catalog import Catalog
from state.clock import ManualClock
from state.due import DueItem, Queue
from state.models import Person, Role
from state.redis import RedisStore
from state.redis_server import RedisServer
from state.sqlite import SqliteStore
from tests.conftest import START
from tests.fakes.recording_messenger import RecordingMessenger

pytestmark = pytest.mark.fixed_clock
APP_ID, SECRET = "0f5a1c2e-0000-4000-8000-000000000001", "the-client-secret"
STAFF = [Person(channel=channel, user_id=f"{role.value}-1", name=f"{role.value.title()} Person", role=role)
         for channel in ("teams", "wecom") for role in (Role.DSL, Role.DEPUTY_DSL, Role.HEAD, Role.ADMIN)]


@pytest.fixture
def microsoft() -> Iterator[FakeTokenAuthority]:
    authority = FakeTokenAuthority()
    authority.app_secrets[APP_ID] = SECRET
    authority.start()
    yield authority
    authority.stop()


@pytest.fixture
async def wecom() -> AsyncIterator[FakeWecomApi]:
    api = FakeWecomApi()
    await api.start()
    yield api
    await api.stop()


def settings(tmp_path: Path, wecom: FakeWecomApi, **extra: str) -> dict[str, str]:
    return {"ESAFETY_DB": str(tmp_path / "bot.db"), "MicrosoftAppId": APP_ID, "MicrosoftAppPassword": SECRET,
            "ESAFETY_TEAMS_SECRET_EXPIRES": "2027-06-30", "WECOM_CORP_ID": wecom.corp_id, "WECOM_AGENT_ID": str(wecom.agent_id),
            "WECOM_SECRET": wecom.secret, "WECOM_TOKEN": "callback-token", "WECOM_ENCODING_AES_KEY": "a" * 43,
            "WECOM_API_BASE_URL": wecom.base_url, **extra}


async def school(tmp_path: Path, people: list[Person] = STAFF) -> None:
    """A database as `serve` leaves it: the roster imported, Teams staff with their personal chats."""
    store = await SqliteStore.open(tmp_path / "bot.db", clock=ManualClock(START))
    await store.replace_roster({"teams", "wecom"}, people)
    for person in people:
        if person.channel == "teams":
            await store.save_person_address(person.ref, {"reference": {"conversation": {"id": f"a:{person.user_id}"}}})
    await store.close()


def verdicts(findings: list[Finding]) -> dict[str, set[Verdict]]:
    found: dict[str, set[Verdict]] = {}
    for finding in findings:
        found.setdefault(finding.check, set()).add(finding.verdict)
    return found


def problems(findings: list[Finding]) -> list[str]:
    return [f"{finding.check}: {finding.detail}" for finding in findings if finding.verdict is Verdict.PROBLEM]


async def test_a_healthy_installation_is_all_well(tmp_path: Path, microsoft: FakeTokenAuthority, wecom: FakeWecomApi) -> None:
    await school(tmp_path)
    findings = await examine(settings(tmp_path, wecom), ManualClock(START), teams_login_url=microsoft.url)
    assert verdicts(findings) == {
        "settings": {Verdict.OK}, "console": {Verdict.OK}, "teams credentials": {Verdict.OK}, "teams client secret": {Verdict.OK},
        "wecom credentials": {Verdict.OK}, "store": {Verdict.OK}, "roster (teams)": {Verdict.OK}, "roster (wecom)": {Verdict.OK},
        "staff reach (teams)": {Verdict.OK}, "staff reach (wecom)": {Verdict.NOT_CHECKED}, "undelivered": {Verdict.OK},
        "late work": {Verdict.OK}}
    out = io.StringIO()
    assert report(findings, out) == 0
    assert out.getvalue().endswith("All is well.\n")
    assert SECRET not in out.getvalue()
    assert wecom.secret not in out.getvalue()


async def test_a_broken_installation_names_each_problem(tmp_path: Path, microsoft: FakeTokenAuthority, wecom: FakeWecomApi) -> None:
    """No lead on Teams, a secret that expires in 10 days, a volatile Redis: exit 1, each named."""
    redis = RedisServer(tmp_path, durable=False)
    redis.start()
    try:
        env = settings(tmp_path, wecom, ESAFETY_TEAMS_SECRET_EXPIRES="2026-12-03", REDIS_URL=redis.url)
        clock = ManualClock(START)
        store = await RedisStore.from_url(redis.url, clock=clock, allow_volatile=True)
        await store.replace_roster({"teams", "wecom"}, [person for person in STAFF if (person.channel, person.role) != ("teams", Role.DSL)])
        await store.close()
        findings = await examine(env, clock, teams_login_url=microsoft.url)
    finally:
        redis.stop()
    found = problems(findings)
    assert found[0] == ("teams client secret: expires in 10 day(s), on 2026-12-03: then every alert stops; create a new client "
                        "secret for the app in Azure, then set MicrosoftAppPassword and ESAFETY_TEAMS_SECRET_EXPIRES")
    assert found[1].startswith(f"store: Redis at 127.0.0.1:{redis.port} keeps nothing on disk")
    assert found[2] == "roster (teams): no safeguarding lead (role dsl): roster import them"
    assert found[3] == ("staff reach (teams): the bot cannot message Admin Person (admin), Deputy_Dsl Person (deputy_dsl), "
                        "Head Person (head) privately yet: each must install the bot personally in Teams")
    assert len(found) == 4
    out = io.StringIO()
    assert report(findings, out) == 1
    assert "4 problem(s): fix them" in out.getvalue()


async def test_credentials_microsoft_or_wecom_refuse_are_problems(tmp_path: Path, microsoft: FakeTokenAuthority,
                                                                  wecom: FakeWecomApi) -> None:
    await school(tmp_path)
    env = settings(tmp_path, wecom, MicrosoftAppPassword="an-old-secret", WECOM_SECRET="not-the-secret")
    found = problems(await examine(env, ManualClock(START), teams_login_url=microsoft.url))
    assert found == [
        "teams credentials: Microsoft refused the app's credentials (invalid_client: AADSTS7000215: Invalid client secret provided): "
        "check MicrosoftAppId, MicrosoftAppPassword and MicrosoftAppType",
        "wecom credentials: WeCom refused the app's credentials (errcode 40001: invalid credential): check WECOM_CORP_ID and "
        "WECOM_SECRET (the app's Secret, not the callback token)"]


async def test_a_cloud_out_of_reach_is_not_checked_not_failed(tmp_path: Path, wecom: FakeWecomApi) -> None:
    await school(tmp_path)
    closed = f"http://127.0.0.1:{free_port()}"
    findings = await examine(settings(tmp_path, wecom, WECOM_API_BASE_URL=f"{closed}/cgi-bin/"), ManualClock(START),
                             teams_login_url=closed)
    assert verdicts(findings)["teams credentials"] == verdicts(findings)["wecom credentials"] == {Verdict.NOT_CHECKED}
    assert report(findings, io.StringIO()) == 0


@pytest.mark.parametrize("fault", ["errcode 45009", "HTTP 502"])
async def test_wecom_being_busy_is_not_checked_not_failed(tmp_path: Path, microsoft: FakeTokenAuthority, wecom: FakeWecomApi,
                                                          fault: str) -> None:
    """WeCom's own state (a frequency limit, a bad gateway) says nothing about the credentials."""
    await school(tmp_path)
    if fault == "HTTP 502":
        wecom.fail_http_next(502)
    else:
        wecom.fail_next(45009, path="gettoken")
    findings = await examine(settings(tmp_path, wecom), ManualClock(START), teams_login_url=microsoft.url)
    (wecom_check,) = [finding for finding in findings if finding.check == "wecom credentials"]
    assert wecom_check.verdict is Verdict.NOT_CHECKED
    assert wecom_check.detail.startswith("WeCom is busy")


async def test_undelivered_and_late_work_are_problems(tmp_path: Path, microsoft: FakeTokenAuthority, wecom: FakeWecomApi) -> None:
    """A message that failed, and work nobody took for ten minutes (the server is not running)."""
    await school(tmp_path)
    clock = ManualClock(START)
    store = await SqliteStore.open(tmp_path / "bot.db", clock=clock)
    await store.schedule_due(DueItem(queue=Queue.OUTBOX, item_id="failed", kind="message.send", due_at=START))
    await store.schedule_due(DueItem(queue=Queue.TIMERS, item_id="step", kind="case.escalate", due_at=START))
    (claim,) = await store.claim_due(Queue.OUTBOX, limit=1, lease_seconds=30)
    await store.retry_due(claim, delay_seconds=3_600, error="timeout")
    await store.close()
    clock.advance(600)
    found = problems(await examine(settings(tmp_path, wecom), clock, teams_login_url=microsoft.url))
    assert found == ["undelivered: 1 message(s) not delivered yet: see `esafety-bot outbox list`",
                     "late work: 1 item(s) of due work overdue by more than 120 s (timers: 1); the oldest, a case.escalate in timers, "
                     "has waited 10 min: a worker may have stopped (is `esafety-bot serve` running?)"]


async def test_the_last_directory_sync_and_its_result_are_reported(tmp_path: Path, microsoft: FakeTokenAuthority,
                                                                    wecom: FakeWecomApi) -> None:
    """Not run yet: not checked; refused by the roster guard: a problem saying what it would have lost."""
    await school(tmp_path)
    env = settings(tmp_path, wecom, ESAFETY_ROLE_GROUPS="dsl=grp-leads", MicrosoftAppTenantId="tenant-1")
    clock = ManualClock(START)
    assert verdicts(await examine(env, clock, teams_login_url=microsoft.url))["directory sync (teams)"] == {Verdict.NOT_CHECKED}
    store = await SqliteStore.open(tmp_path / "bot.db", clock=clock)
    deps = Deps(store=store, messenger=RecordingMessenger(), clock=clock, catalog=Catalog.load(), school_timezone="Europe/London")
    synced = [replace(person, from_directory=True) for person in STAFF if person.channel == "teams"]
    await store.replace_roster({"teams"}, synced)  # as an earlier sync left it

    async def without_the_lead() -> Listing:
        return Listing([person for person in synced if person.role is not Role.DSL])

    await run_directory_sync(DueItem(queue=Queue.TIMERS, item_id="sync", kind=SYNC, due_at=START, payload={"cron": "0 2 * * *"}),
                             deps, {"teams": without_the_lead}, "0 2 * * *")
    await store.close()
    assert [line for line in problems(await examine(env, clock, teams_login_url=microsoft.url)) if line.startswith("directory")] == [
        "directory sync (teams): the last sync, 2026-11-23 09:00 (school time), was refused and changed nothing: teams: no "
        "safeguarding lead (dsl) would be left: removes Dsl Person (teams:dsl-1); 4 staff told"]


async def test_a_bad_setting_is_named_and_nothing_else_is_tried(tmp_path: Path) -> None:
    findings = await examine({"ESAFETY_AUDITOR_MARGIN_SECONDS": "soon"}, ManualClock(START))
    assert findings == [Finding("settings", Verdict.PROBLEM,
                                "ESAFETY_AUDITOR_MARGIN_SECONDS must be a whole number, got 'soon': nothing else was checked")]


def cli(tmp_path: Path, *args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run([sys.executable, "-m", "bots.cli", *args], cwd=tmp_path, env={"ESAFETY_DB": str(tmp_path / "bot.db")},
                          capture_output=True, text=True, timeout=60, check=False)


def test_the_command_exits_1_on_a_problem_and_prints_its_version(tmp_path: Path) -> None:
    expected = tomllib.loads((Path(__file__).parents[2] / "pyproject.toml").read_text())["project"]["version"]
    version = cli(tmp_path, "--version")
    assert (version.returncode, version.stdout) == (0, f"esafety-bot {expected}\n")
    doctor = cli(tmp_path, "doctor")
    assert doctor.returncode == 1
    assert doctor.stdout.startswith(f"esafety-bot {expected} doctor\n")
    assert "PROBLEM      store: no database at" in doctor.stdout
