"""Reminder fan-out: one reminder time shared by 1,000 and then 10,000 class chats (a whole school
at Monday 09:00), through the real scheduler, outbox and Teams Messenger with its rate limiter ON,
against the fake Bot Connector. The clock is injected: the limiter's waits advance a fast clock
instead of sleeping, so a run that would take minutes of Teams time finishes quickly, and the
spread is measured on that clock. Teams allows 50 sends a second per app and tenant (the per-chat
limits do not bind: one message per chat), so the floor for N chats is N/50 s; the figure is the
measured spread as a ratio to that floor. Scheduler CPU per due timer is the process time the
timer worker spends claiming a reminder, choosing its topic and queueing its post, per timer."""

from __future__ import annotations

import asyncio
import tempfile
import time
from dataclasses import replace
from datetime import UTC, datetime
from pathlib import Path

from bots.app import bootstrap
from bots.config import load_settings
from bots.teams.channel import TeamsOptions
from bots.teams.delivery import APP_SENDS_PER_SECOND
from bots.teams.fakes.bot_connector import FakeBotConnector
from bots.waiting import eventually
from handlers.reminders import set_schedule
from handlers.routes import due_work
from handlers.runtime.worker import DueWorker
from state.clock import ManualClock
from state.due import Queue
from state.models import Group, GroupKey

SIZES = (1_000, 10_000)
START = datetime(2026, 11, 22, 12, 0, tzinfo=UTC)  # a Sunday; the reminders are due Monday 09:00 London


async def fan_out(groups: int) -> tuple[float, float, float]:
    """(spread on the fast clock ÷ floor, scheduler CPU ms per due timer, wall seconds to deliver)."""
    with tempfile.TemporaryDirectory(prefix="esafety-bench-") as scratch:
        clock = ManualClock(START)
        connector = FakeBotConnector(now=lambda: clock.now().timestamp())
        await connector.start()
        settings = load_settings({"ESAFETY_DB": str(Path(scratch) / "bench.db"), "ESAFETY_ALLOW_ANONYMOUS": "1",
                                  "ESAFETY_LOG_LEVEL": "WARNING", "ESAFETY_TIMEZONE": "Europe/London", "ESAFETY_DIGEST": "off"})
        bot = await bootstrap(settings, clock=clock, teams_options=TeamsOptions(sleep=clock.sleep))
        try:
            template = Group(key=GroupKey("teams", "19:template"), name="Class", joined_at=START, locale="en",
                             address={"serviceUrl": connector.url + "/", "channelId": "msteams", "bot": {"id": "28:esafety-bot"},
                                      "conversation": {"id": "19:template", "conversationType": "groupChat"}})
            for i in range(groups):
                chat = f"19:class{i}@thread.v2"
                address = {**template.address, "conversation": {**template.address["conversation"], "id": chat}}
                await bot.store.register_group(replace(template, key=GroupKey("teams", chat), address=address, name=f"Class {i}"))
                await set_schedule(bot.store, clock, GroupKey("teams", chat), "0 9 * * MON", "Europe/London", actor="bench")
            due = datetime(2026, 11, 23, 9, 0, tzinfo=UTC)
            clock.advance((due - clock.now()).total_seconds())

            handlers = due_work(bot.deps)
            timers = DueWorker(bot.store, Queue.TIMERS, handlers[Queue.TIMERS], batch=100, concurrency=8)
            cpu = time.process_time()
            fired = 0
            while claimed := await timers.run_once():
                fired += claimed
            cpu_per_timer = (time.process_time() - cpu) / fired * 1000

            outbox = DueWorker(bot.store, Queue.OUTBOX, handlers[Queue.OUTBOX], lease_seconds=300)
            stop = asyncio.Event()
            wall = time.perf_counter()
            running = asyncio.create_task(outbox.run_until(stop, poll_seconds=0.01))
            delivered = await eventually(lambda: len(connector.all_sent()) >= groups, seconds=600, step=0.1)
            stop.set()
            await running
            wall = time.perf_counter() - wall
            if not delivered:
                raise TimeoutError(f"only {len(connector.all_sent())} of {groups} reminders arrived")
            stamps = sorted(r.at for r in connector.all_sent())
            floor = groups / APP_SENDS_PER_SECOND
            return (stamps[-1] - stamps[0] + 1 / APP_SENDS_PER_SECOND) / floor, cpu_per_timer, wall
        finally:
            if bot.teams is not None:
                await bot.teams.close()  # the connector clients' session
            await bot.store.close()
            await connector.stop()


async def main() -> None:
    print(f"\nReminder fan-out with Teams' rate limiter on (≈{APP_SENDS_PER_SECOND} sends/s per app), fast clock, SQLite")
    print(f"  {'chats':>7} {'floor (s)':>10} {'spread ÷ floor':>15} {'scheduler CPU/timer':>20} {'wall (s)':>9}")
    for groups in SIZES:
        ratio, cpu, wall = await fan_out(groups)
        print(f"  {groups:>7,} {groups / APP_SENDS_PER_SECOND:>10.1f} {ratio:>15.2f} {cpu:>17.3f} ms {wall:>9.1f}")


if __name__ == "__main__":
    asyncio.run(main())

