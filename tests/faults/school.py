"""A school for the fault tests, on Teams through the fake Bot Connector: students who report,
a lead and a deputy with the bot installed, class groups with a reminder due, and the counts
that show what a run of kills did (issue 17: kills, reports, delivered, duplicates).

Activities are posted the way the Bot Connector does: an activity that got no 2xx answer (the
server was killed before answering, or is restarting) is posted again, same id, until it is
accepted; the inbox's dedup key makes a second acceptance a no-op.
"""

from __future__ import annotations

import asyncio
import contextlib
import json
import re
from collections import Counter
from dataclasses import dataclass, field
from datetime import timedelta
from pathlib import Path
from typing import Any

import aiohttp

from bots.teams.fakes.activities import teams_activity
from bots.teams.fakes.bot_connector import FakeBotConnector
from handlers.reminders import FIRE, TOPICS
from policy_text.catalog import Catalog
from state.clock import SystemClock
from state.due import DueItem, Queue
from state.factory import open_store
from state.models import GroupKey
from state.records import AuditEntry
from tests.faults.serving import ServedBot, run_cli

LEAD = ("29:lead", "0f5a1c2e-1111-4a4a-9a9a-000000000030", "a:personal-lead")
DEPUTY = ("29:deputy", "0f5a1c2e-1111-4a4a-9a9a-000000000031", "a:personal-deputy")
TEACHER = {"id": "29:teacher", "name": "Ms Teacher", "aadObjectId": "0f5a1c2e-1111-4a4a-9a9a-000000000010", "userRole": "user"}
ADMIN = {"id": "29:admin", "name": "Mr Office", "aadObjectId": "0f5a1c2e-1111-4a4a-9a9a-000000000040", "userRole": "user"}
REFERENCE = re.compile(r"C-\d{4}-\d{6}")
POST_PATIENCE_SECONDS = 120.0
CARD_SECONDS = 30 / 60  # Teams: 60 sends per 30 s to one conversation (bots/teams/delivery.py)
SETTINGS = {"ESAFETY_REPORT_WINDOW_SECONDS": "0", "ESAFETY_QUIET_HOURS": "off", "ESAFETY_SCHOOL_HOURS": "MON-SUN 00:00-23:59",
            "ESAFETY_CASE_ACK_TIMEOUT_SECONDS": "86400", "ESAFETY_CASE_SECOND_ESCALATION_SECONDS": "86400"}
"""Every report its own case; reminders at any hour; no escalation unless a test shortens it."""


def student(n: int) -> dict[str, str]:
    return {"id": f"29:s{n}", "name": f"Student {n}", "aadObjectId": f"0f5a1c2e-2222-4a4a-9a9a-{n:012d}"}


def roster(students: int) -> str:
    rows = [f"teams,{student(n)['aadObjectId']},Student {n},student,5A,yes" for n in range(students)]
    rows += [f"teams,{LEAD[1]},Dr Lead,dsl,,", f"teams,{DEPUTY[1]},Ms Deputy,deputy_dsl,,",
             f"teams,{TEACHER['aadObjectId']},Ms Teacher,teacher,5A,", f"teams,{ADMIN['aadObjectId']},Mr Office,admin,,"]
    return "channel,user_id,name,role,class,consent\n" + "\n".join(rows) + "\n"


def group_chat(n: int) -> str:
    return f"19:fault-class-{n}@thread.v2"


async def post_until_accepted(bot: ServedBot, activity: dict[str, Any], *others: ServedBot) -> None:
    """Post as the Bot Connector would, again and again until a 2xx: across kills and restarts,
    and behind a load balancer to the `others` in turn when `bot` gives no answer."""
    loop = asyncio.get_running_loop()
    deadline = loop.time() + POST_PATIENCE_SECONDS
    async with aiohttp.ClientSession() as http:
        while loop.time() < deadline:
            for target in (bot, *others):
                with contextlib.suppress(aiohttp.ClientError, TimeoutError):
                    async with http.post(target.url, json=activity, timeout=aiohttp.ClientTimeout(total=10)) as response:
                        if response.status < 300:
                            return
            await asyncio.sleep(0.1)
    raise AssertionError(f"activity {activity['id']} was never accepted")


async def post_once(bot: ServedBot, activity: dict[str, Any]) -> int:
    """One delivery attempt, as the Bot Connector makes it: the HTTP status, 0 for no answer."""
    async with aiohttp.ClientSession() as http:
        try:
            async with http.post(bot.url, json=activity, timeout=aiohttp.ClientTimeout(total=30)) as response:
                return response.status
        except (aiohttp.ClientError, TimeoutError):
            return 0


@dataclass
class Tally:
    """What a run did, for the assertions and the closing note."""

    kills: int
    reports: int
    received: int
    delivered: int
    duplicates: int  # copies beyond the first, over all messages
    most_repeats: int  # the most copies beyond the first of any one message
    most_repeats_to_one: int  # the most copies beyond the first that any one conversation got
    reminders_due: int
    reminders_posted: int

    def line(self) -> str:
        return (f"kills={self.kills} reports={self.reports} received={self.received} delivered={self.delivered} "
                f"duplicates={self.duplicates} (at most {self.most_repeats} of one message, {self.most_repeats_to_one} to one chat) "
                f"reminders={self.reminders_posted}/{self.reminders_due}")


@dataclass
class School:
    connector: FakeBotConnector
    env: dict[str, str]
    students: int = 12
    groups: int = 4
    reports: list[dict[str, Any]] = field(default_factory=list)
    also_delivered_to: tuple[str, ...] = ()  # chats besides the lead's that must get every case's card

    async def set_up(self, folder: Path) -> None:
        """The roster imported, the lead and deputy and the class groups installed by a plain
        `serve`, stopped; then each group's reminder made due now, as if its cron time had come."""
        (folder / "roster.csv").write_text(roster(self.students))
        await run_cli(self.env, "roster", "import", str(folder / "roster.csv"))
        bot = ServedBot(self.env)
        await bot.start()
        for from_id, aad, chat in (LEAD, DEPUTY):
            await post_until_accepted(bot, teams_activity("install_personal", self.connector.url, id=f"install-{from_id}",
                                                          **{"from": {"id": from_id, "aadObjectId": aad}, "conversation": _personal(chat)}))
        for n in range(self.groups):
            self.connector.set_members(group_chat(n), [TEACHER, ADMIN, student(2 * n), student(2 * n + 1)])
            conversation = {"id": group_chat(n), "conversationType": "groupChat", "tenantId": "tenant-1", "isGroup": True}
            await post_until_accepted(bot, teams_activity("install_group", self.connector.url, id=f"install-group-{n}",
                                                          conversation=conversation))
        await self.connector.settled(quiet_seconds=1.0, at_most_seconds=30)
        await bot.stop()
        await self._make_reminders_due()

    async def _make_reminders_due(self) -> None:
        store = await self._store()
        try:
            now = SystemClock().now()
            for n in range(self.groups):
                key = GroupKey("teams", group_chat(n))
                schedule = await store.get_schedule(key)
                assert await store.get_group(key) is not None, f"group {n} was not set up"
                assert schedule is not None, f"group {n} has no reminder schedule"
                due = now - timedelta(seconds=1)
                await store.schedule_due(DueItem(queue=Queue.TIMERS, item_id=f"{key}|reminder|{schedule.revision}|{due.isoformat()}",
                                                 kind=FIRE, due_at=due, payload={"group": str(key), "revision": schedule.revision}))
        finally:
            await store.close()

    async def _store(self) -> Any:
        return await open_store(redis_url=self.env.get("REDIS_URL"), sqlite_path=self.env["ESAFETY_DB"], clock=SystemClock())

    def report(self, n: int) -> dict[str, Any]:
        who = student(n % self.students)
        activity = teams_activity("personal_message", self.connector.url, id=f"report-{n}", text=f"report fault drill worry {n}",
                                  **{"from": who, "conversation": _personal(f"a:personal-{who['id']}")})
        self.reports.append(activity)
        return activity

    async def post_reports(self, bot: ServedBot, count: int, *, gap_seconds: float = 0.05) -> None:
        for _ in range(count):
            await post_until_accepted(bot, self.report(len(self.reports)))
            await asyncio.sleep(gap_seconds)

    async def post_reports_until(self, done: asyncio.Event, bot: ServedBot, *, gap_seconds: float) -> None:
        """Reports one after another until `done`: a crash point is met again after every restart."""
        while not done.is_set():
            await post_until_accepted(bot, self.report(len(self.reports)))
            with contextlib.suppress(TimeoutError):
                await asyncio.wait_for(done.wait(), gap_seconds)

    # -- what the run did -------------------------------------------------------------------
    def received_references(self) -> dict[str, str]:
        """Each report's case reference, as its reporter was told it ('received')."""
        chats = {activity["conversation"]["id"] for activity in self.reports}
        return {ref: chat for chat in chats for text in self.connector.texts_to(chat) for ref in REFERENCE.findall(text)}

    def readers(self) -> tuple[str, ...]:
        return (LEAD[2], *self.also_delivered_to)

    def delivered_to(self, chat: str) -> set[str]:
        return {ref for body in self.connector.sent_to(chat) if body.get("attachments") for ref in REFERENCE.findall(json.dumps(body))}

    def reminder_posts(self) -> int:
        topics = {Catalog.load().entry(topic, "en").text for topic in TOPICS}
        return sum(1 for n in range(self.groups) for text in self.connector.texts_to(group_chat(n)) if text in topics)

    def copies(self) -> Counter[tuple[str, str, str]]:
        """How often each message reached its conversation: a copy beyond the first, word for
        word, is a message sent again (no two distinct messages of a run are the same)."""
        return Counter((r.conversation_id, str(r.body.get("text")), json.dumps(r.body.get("attachments"), sort_keys=True))
                       for r in self.connector.all_sent() if r.method == "POST" and r.activity_id != "-")

    async def settle(self, bot: ServedBot, *, expected: int | None = None) -> Tally:
        """Wait (bounded) until `expected` reports (all, unless some were refused) are received,
        each delivered, and every reminder posted: a minute, and the time Teams' limit of 60 sends
        per 30 s to one chat takes to bring every case's card to the lead."""
        loop = asyncio.get_running_loop()
        deadline = loop.time() + 60 + len(self.reports) * CARD_SECONDS
        wanted = len(self.reports) if expected is None else expected
        while loop.time() < deadline:
            received = self.received_references()
            if len(received) >= wanted and all(set(received) <= self.delivered_to(chat) for chat in self.readers()) \
                    and self.reminder_posts() >= self.groups:
                break
            await asyncio.sleep(0.2)
        await self.connector.settled(quiet_seconds=1.0)
        received, copies = self.received_references(), self.copies()
        repeats_to: Counter[str] = Counter()
        for (chat, *_), count in copies.items():
            repeats_to[chat] += count - 1
        return Tally(kills=bot.kills, reports=len(self.reports), received=len(received),
                     delivered=len(set(received) & self.delivered_to(LEAD[2])), duplicates=sum(copies.values()) - len(copies),
                     most_repeats=max(copies.values(), default=1) - 1, most_repeats_to_one=max(repeats_to.values(), default=0),
                     reminders_due=self.groups, reminders_posted=self.reminder_posts())

    def repeated(self) -> list[tuple[str, str]]:
        """Each message that arrived more than once: its conversation and the start of its text."""
        return [(chat, (text if text != "None" else cards)[:80]) for (chat, text, cards), n in self.copies().items() if n > 1]

    async def audit(self) -> list[AuditEntry]:
        store = await self._store()
        try:
            return await store.read_audit(limit=100_000)
        finally:
            await store.close()


def _personal(chat: str) -> dict[str, str]:
    return {"id": chat, "conversationType": "personal", "tenantId": "tenant-1"}
