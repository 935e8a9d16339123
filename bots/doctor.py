"""`esafety-bot doctor`: is this installation able to do its duties? Each check in plain words.

A school's IT admin runs it after installing, after changing a setting, and whenever they are
unsure. Everything that would make the chain end in silence is checked (004 strategy 9: concerns
reach the designated staff at once; 000 §3: a formal procedure): the settings, the Store and
what it keeps through a crash, each channel's credentials (with a token fetched where the cloud
can be reached), the roster's safeguarding lead, deputy and head on each channel, staff the bot
cannot message privately, undelivered messages and late work, and the console's identity provider. It exits 1 when anything is wrong,
0 when all is well; what could not be checked from here is said, and is not a failure.
"""

from __future__ import annotations

import asyncio
from collections.abc import Mapping
from pathlib import Path
from typing import IO

from bots.config import Settings, load_settings
from bots.console.doctor import console_findings
from bots.directories import directory_channels
from bots.findings import Finding, Verdict, not_checked, ok, problem
from bots.settings_readers import ConfigError
from bots.teams.doctor import MICROSOFT_LOGIN, teams_findings
from bots.teams.messenger import reachable_privately
from bots.wecom.doctor import wecom_findings
from handlers.auditor import describe, late_work
from handlers.cron import zone
from handlers.directory_schedule import last_sync
from handlers.outbox import undelivered_in_every_lane
from handlers.reception import reception_gap
from state.clock import Clock
from state.factory import open_store
from state.models import Person, Role
from state.store import Store, StoreUnavailable

CHAIN_ROLES = {Role.DSL: "safeguarding lead", Role.DEPUTY_DSL: "deputy safeguarding lead", Role.HEAD: "head"}
"""Who the chain needs on every channel that is on: the lead receives, the deputy is escalated to,
the head hears of concerns about adults and of what nobody acknowledged."""
ALERTED_ROLES = (Role.DSL, Role.DEPUTY_DSL, Role.HEAD, Role.ADMIN)


async def examine(env: Mapping[str, str], clock: Clock, *, teams_login_url: str = MICROSOFT_LOGIN) -> list[Finding]:
    """Every check, in the order a person would fix them."""
    try:
        settings = load_settings(env)
    except ConfigError as error:
        return [problem("settings", f"{error}: nothing else was checked")]
    return await examine_settings(settings, clock, teams_login_url=teams_login_url)


async def examine_settings(settings: Settings, clock: Clock, *, teams_login_url: str = MICROSOFT_LOGIN) -> list[Finding]:
    """Every check after the settings were read: what `serve`'s console runs with its own settings."""
    channels = _channels_on(settings)
    findings = [ok("settings", "read; " + ", ".join(f"{name} {state}" for name, state in settings.channel_status().items()))]
    if settings.teams.APP_ID:
        findings += await teams_findings(settings.teams, clock.now().date(), teams_login_url)
    elif "teams" in channels:
        findings.append(problem("teams credentials", "ESAFETY_ALLOW_ANONYMOUS=1 with no MicrosoftAppId: anyone can post to "
                                                     "/api/messages and the bot cannot reach Teams; for local tests only"))
    if settings.wecom.configured:
        findings += await wecom_findings(settings.wecom)
    findings += await console_findings(settings.console, clock)
    if not settings.redis_url and not await asyncio.to_thread(Path(settings.db_path).exists):
        return [*findings, problem("store", f"no database at {settings.db_path} yet: start `esafety-bot serve` once (it creates it), "
                                            f"then import the roster")]
    try:
        store = await open_store(redis_url=settings.redis_url, sqlite_path=settings.db_path, clock=clock, allow_volatile_redis=True)
    except StoreUnavailable as error:
        return [*findings, problem("store", str(error))]
    try:
        return findings + await _store_findings(store, settings, channels, clock)
    except Exception as error:  # a Store that stops answering (a Redis error included): said, never a traceback
        return [*findings, problem("store", f"stopped answering during the checks ({type(error).__name__})")]
    finally:
        await store.close()


def report(findings: list[Finding], out: IO[str]) -> int:
    """Print each finding, then the verdict; 1 when anything is wrong, else 0."""
    width = max(len(verdict.value) for verdict in Verdict)
    for finding in findings:
        print(f"{finding.verdict.value:<{width}}  {finding.check}: {finding.detail}", file=out)
    problems = sum(finding.verdict is Verdict.PROBLEM for finding in findings)
    if problems:
        print(f"\n{problems} problem(s): fix them, then run `esafety-bot doctor` again.", file=out)
        return 1
    print("\nAll is well.", file=out)
    return 0


async def _store_findings(store: Store, settings: Settings, channels: frozenset[str], clock: Clock) -> list[Finding]:
    durability = await store.durability()
    verdict = {True: ok, False: problem, None: not_checked}[durability.safe]
    people = await store.list_people()
    findings = [verdict("store", durability.detail)]
    findings += _roster(people, channels)
    findings += await _reach(store, people, channels)
    undelivered = await undelivered_in_every_lane(store)
    findings.append(problem("undelivered", f"{len(undelivered)} message(s) not delivered yet: see `esafety-bot outbox list`")
                    if undelivered else ok("undelivered", "every message has been delivered or is on its way"))
    margin = settings.auditor_margin_seconds
    late = await late_work(store, clock.now(), margin)
    findings.append(problem("late work", f"{describe(late, clock.now(), margin)} (is `esafety-bot serve` running?)")
                    if late else ok("late work", f"nothing is overdue by more than {margin} s"))
    findings += await _members_from_roster(store)
    return findings + [await _directory(store, channel, settings.timezone) for channel in directory_channels(settings)]


async def _members_from_roster(store: Store) -> list[Finding]:
    """Groups whose members the channel cannot list (a WeCom 班级群 that is not a customer group,
    errcode 90501) are checked against their class on the roster: supervision still runs, but a
    guest who joins cannot be seen. Said, not hidden."""
    groups = [group for group in await store.list_groups() if group.members_from_roster]
    if not groups:
        return []
    names = ", ".join(f"{group.name or group.key} ({group.class_name or 'no class'})" for group in groups)
    return [not_checked("group members", f"{len(groups)} group(s) whose members the channel cannot list are checked against their "
                                         f"class on the roster, so a guest who joins them cannot be seen: {names}")]


async def _directory(store: Store, channel: str, timezone: str) -> Finding:
    """The last periodic directory sync and its result: one that was refused or failed left the
    roster as it was, which the head and the admins were told in chat; here IT sees it too."""
    check, last = f"directory sync ({channel})", await last_sync(store, channel)
    if last is None:
        return not_checked(check, "no periodic sync has run yet: run `esafety-bot directory sync --dry-run` to see what it would do")
    when = last.at.astimezone(zone(timezone)).strftime("%Y-%m-%d %H:%M")
    if last.result == "applied":
        return ok(check, f"last synced {when} (school time): {last.detail}")
    return problem(check, f"the last sync, {when} (school time), was {last.result} and changed nothing: {last.detail}")


def _roster(people: list[Person], channels: frozenset[str]) -> list[Finding]:
    gap = reception_gap(people, channels)
    if not channels and gap:
        return [problem("roster", gap)]
    findings = []
    for channel in sorted(channels):
        on_channel = {person.role for person in people if person.channel == channel}
        missing = [f"no {label} (role {role.value})" for role, label in CHAIN_ROLES.items() if role not in on_channel]
        findings.append(problem(f"roster ({channel})", "; ".join(missing) + ": roster import them") if missing
                        else ok(f"roster ({channel})", "a safeguarding lead, a deputy and a head are on it"))
    return findings


async def _reach(store: Store, people: list[Person], channels: frozenset[str]) -> list[Finding]:
    """Staff who would be alerted but whom the bot cannot message privately yet."""
    findings = []
    if "teams" in channels:
        staff = [person for person in people if person.channel == "teams" and person.role in ALERTED_ROLES]
        cut_off = [f"{person.name} ({person.role.value})" for person in staff if not await reachable_privately(store, person.ref)]
        if cut_off:
            findings.append(problem("staff reach (teams)", f"the bot cannot message {', '.join(cut_off)} privately yet: each must "
                                                           f"install the bot personally in Teams"))
        elif staff:
            findings.append(ok("staff reach (teams)", f"all {len(staff)} staff who receive alerts can be messaged privately"))
    if "wecom" in channels:
        findings.append(not_checked("staff reach (wecom)", "WeCom reaches whoever is in the app's visible range, which doctor cannot "
                                                           "read: an alert that cannot reach someone shows under undelivered"))
    return findings


def _channels_on(settings: Settings) -> frozenset[str]:
    return frozenset(name for name, state in settings.channel_status().items() if state.startswith("on"))
