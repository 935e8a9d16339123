"""The real `serve` SIGKILLed while a burst of reports and reminders is in flight, at each named
crash point and at random times, and started again after each kill (issue 17). Afterwards:
every report that was answered 'received' reached the lead; no conversation got more than one
repeated message per kill (nor any message more than one repeat per kill), and a run without a
kill repeated none; every reminder was posted; and the audit log has no gap.

A repeat is the one harm a kill can cause: a channel send has no idempotency key, so a message
the channel took just before the kill, not yet recorded as sent, is sent again after the
restart. The outbox sends one message at a time to each conversation (its partition), so a kill
catches at most one per conversation; messages to different conversations go side by side (a
dead chat must not hold a child's reply back), so one kill may repeat one message in each of
several chats, up to IN_FLIGHT in all. The counts are printed for the closing note (`pytest -s`)."""

from __future__ import annotations

import asyncio
import random
from pathlib import Path

import pytest

from bots.app import IN_HAND
from bots.teams.fakes.bot_connector import FakeBotConnector
from state.due import Queue
from tests.faults.conftest import PROFILE
from tests.faults.crash_serve import POINTS
from tests.faults.school import DEPUTY, SETTINGS, School, Tally
from tests.faults.serving import ServedBot, environment

SEED = 17
IN_FLIGHT = IN_HAND[Queue.OUTBOX_FIRST] + IN_HAND[Queue.OUTBOX]
"""Sends a kill can catch between the channel taking them and the outbox recording them."""
CRASH_WAIT_SECONDS = 20.0
ACK_TIMEOUT_SECONDS = 30  # the shortest the settings allow
FIRST_PASS_ONLY = {"mid_reminder_claim"}
"""Each start claims every due reminder in one go: a second pass would never come."""


async def school_for(tmp_path: Path, connector: FakeBotConnector, **settings: str) -> tuple[School, ServedBot]:
    bot = ServedBot(environment(tmp_path, **(SETTINGS | settings)))
    school = School(connector, bot.env)
    await school.set_up(tmp_path)
    return school, bot


async def check(school: School, bot: ServedBot) -> Tally:
    """The run's invariants, with the bot started plainly to finish what the kills left."""
    await bot.start()
    try:
        tally = await school.settle(bot)
    finally:
        await bot.stop()
    print(f"\n{tally.line()}")
    assert tally.received == tally.reports, f"a report was never answered 'received': {tally.line()}"
    assert tally.delivered == tally.received, f"a 'received' report never reached the lead: {tally.line()}"
    assert tally.reminders_posted >= tally.reminders_due, f"a reminder was lost: {tally.line()}"
    assert tally.most_repeats_to_one <= tally.kills, f"a chat got more than one repeat per kill: {tally.line()}"
    assert tally.duplicates <= tally.kills * IN_FLIGHT, f"more repeats than sends in flight at the kills: {tally.line()}"
    audit = await school.audit()
    assert [entry.seq for entry in audit] == list(range(1, len(audit) + 1)), "the audit log has a gap"
    assert sum(entry.record.action == "report.received" for entry in audit) == tally.reports, "a report is missing from the audit"
    return tally


async def test_a_burst_with_no_kill_sends_nothing_twice(tmp_path: Path, connector: FakeBotConnector) -> None:
    school, bot = await school_for(tmp_path, connector)
    await bot.start()
    await school.post_reports(bot, 10)
    await bot.stop()
    assert (await check(school, bot)).duplicates == 0


async def kill_at(point: str, school: School, bot: ServedBot, *, patience_seconds: float = CRASH_WAIT_SECONDS,
                  gap_seconds: float = 0.25) -> None:
    """Start after start with `point` armed for its 1st to 3rd pass, while reports keep coming
    (so the point is met again after every restart) until the profile's kills are done."""
    hits = random.Random(f"{SEED}-{point}")
    killed = asyncio.Event()
    burst = asyncio.create_task(school.post_reports_until(killed, bot, gap_seconds=gap_seconds))
    while bot.kills < PROFILE.kills_per_point:
        await bot.start(crash_at=f"{point}:{1 if point in FIRST_PASS_ONLY else hits.randint(1, 3)}")
        if not await bot.crashed(seconds=patience_seconds):
            await bot.stop()
            burst.cancel()
            pytest.fail(f"{point} was not reached in {patience_seconds:.0f} s after {bot.kills} kills")
    killed.set()
    await bot.start()
    await burst
    await bot.stop()


@pytest.mark.timeout(600)
@pytest.mark.parametrize("point", sorted(set(POINTS) - {"mid_escalation"}))
async def test_kills_at_a_named_crash_point(point: str, tmp_path: Path, connector: FakeBotConnector) -> None:
    school, bot = await school_for(tmp_path, connector)
    await kill_at(point, school, bot)
    await check(school, bot)


@pytest.mark.timeout(600)
async def test_kills_mid_escalation(tmp_path: Path, connector: FakeBotConnector) -> None:
    """Nobody acknowledges: 30 s after each report its deputies' step is taken, and the process
    is killed just after recording one. Every deputy still gets every case's card once."""
    school, bot = await school_for(tmp_path, connector, ESAFETY_CASE_ACK_TIMEOUT_SECONDS=str(ACK_TIMEOUT_SECONDS))
    await kill_at("mid_escalation", school, bot, patience_seconds=ACK_TIMEOUT_SECONDS + CRASH_WAIT_SECONDS, gap_seconds=1.0)
    school.also_delivered_to = (DEPUTY[2],)
    await check(school, bot)
    assert school.delivered_to(DEPUTY[2]) == set(school.received_references()), "a deputy never got an escalated case"


@pytest.mark.timeout(900)
async def test_kills_at_random_times(tmp_path: Path, connector: FakeBotConnector) -> None:
    """SIGKILL from outside at a random moment 0.1–1.5 s after each start (seeded, so a failure
    can be replayed), with reports arriving throughout."""
    school, bot = await school_for(tmp_path, connector)
    moments = random.Random(SEED)
    await bot.start()
    burst = asyncio.create_task(school.post_reports(bot, 4 * PROFILE.random_kills, gap_seconds=0.2))
    while bot.kills < PROFILE.random_kills:
        await asyncio.sleep(moments.uniform(0.1, 1.5))
        await bot.kill()
        await bot.start()
    await burst
    await bot.stop()
    await check(school, bot)
