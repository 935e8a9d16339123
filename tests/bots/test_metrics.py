"""/metrics: every esafety_* metric, parsed as Prometheus parses it, moves when the state moves."""

from __future__ import annotations

from dataclasses import replace
from pathlib import Path

import pytest
from aiohttp.test_utils import TestClient, TestServer
from prometheus_client.parser import text_string_to_metric_families

from bots.app import Bot, bootstrap, build_app
from bots.config import load_settings
from handlers.concerns import Report, receive_report
from handlers.routes import due_work
from handlers.runtime.worker import DueWorker
from state.clock import ManualClock
from state.due import Queue
from state.models import Group, GroupKey, Person, Role, Supervision
from tests.conftest import START

pytestmark = pytest.mark.fixed_clock
CHILD = Person(channel="teams", user_id="child-1", name="Amira Pupil", role=Role.STUDENT, classes=("5A",))
LEAD = Person(channel="teams", user_id="lead-1", name="Lee Lead", role=Role.DSL)
Samples = dict[tuple[str, tuple[tuple[str, str], ...]], float]


async def scrape(client: TestClient[object, object]) -> Samples:
    answer = await client.get("/metrics")
    assert answer.status == 200
    assert answer.headers["Content-Type"].startswith("text/plain; version=")
    return {(sample.name, tuple(sorted(sample.labels.items()))): sample.value
            for family in text_string_to_metric_families(await answer.text()) for sample in family.samples}


def one(samples: Samples, name: str, **labels: str) -> float:
    return samples.get((name, tuple(sorted(labels.items()))), -1.0)


@pytest.fixture
async def bot(tmp_path: Path) -> Bot:
    settings = load_settings({"ESAFETY_DB": str(tmp_path / "bot.db"), "ESAFETY_ALLOW_ANONYMOUS": "1"})
    return await bootstrap(settings, clock=ManualClock(START))


async def test_every_metric_follows_the_store(bot: Bot) -> None:
    clock = bot.clock
    assert isinstance(clock, ManualClock)
    async with TestClient(TestServer(build_app(bot, workers=False))) as client:
        before = await scrape(client)
        assert one(before, "esafety_cases_open", state="new") == 0
        assert one(before, "esafety_oldest_unacknowledged_case_seconds") == 0
        assert one(before, "esafety_outbox_depth", lane="first") == one(before, "esafety_outbox_depth", lane="routine") == 0
        assert one(before, "esafety_outbox_undelivered") == 0
        assert one(before, "esafety_groups_unsupervised") == 0
        assert one(before, "esafety_auditor_overdue") == 0
        assert one(before, "esafety_chain_degraded", reason="no_lead") == 1  # nobody on the roster yet
        assert one(before, "esafety_chain_degraded", reason="overdue") == 0

        await bot.store.merge_roster([CHILD, LEAD])
        await receive_report(bot.deps, Report(reporter=CHILD, text="someone keeps messaging me", origin="event-1"))
        group = Group(key=GroupKey("teams", "19:5a"), name="5A", joined_at=START, supervision=Supervision.UNSUPERVISED)
        await bot.store.register_group(group)
        refused = await client.post("/api/messages", data=b"{not json", headers={"Content-Type": "application/json"})
        assert refused.status == 400
        clock.advance(600)  # the workers have not run: the report's messages are late
        await bot.deps.tallies.flush(bot.store)
        after = await scrape(client)
        assert one(after, "esafety_cases_open", state="new") == 1
        assert one(after, "esafety_oldest_unacknowledged_case_seconds") == 600
        assert (one(after, "esafety_outbox_depth", lane="first"), one(after, "esafety_outbox_depth", lane="routine")) == (1, 2)
        assert one(after, "esafety_groups_unsupervised") == 1
        assert one(after, "esafety_auditor_overdue") == 3
        assert one(after, "esafety_chain_degraded", reason="no_lead") == 0
        assert one(after, "esafety_chain_degraded", reason="overdue") == 1
        assert one(after, "esafety_webhook_refused_total", channel="teams", reason="malformed") == 1

        # The lead never installed the bot: the card cannot be delivered, the failure is counted.
        outbox = DueWorker(bot.store, Queue.OUTBOX, due_work(bot.deps)[Queue.OUTBOX])
        await outbox.run_once()
        await bot.deps.tallies.flush(bot.store)
        failed = await scrape(client)
        assert one(failed, "esafety_deliveries_failed_total", channel="teams", reason="unreachable") == 2  # the card and the words
        assert one(failed, "esafety_outbox_undelivered") == 2
        assert one(failed, "esafety_chain_degraded", reason="undelivered") == 1
        await bot.store.save_group(replace(group, supervision=Supervision.SUPERVISED))
        assert one(await scrape(client), "esafety_groups_unsupervised") == 0


async def test_every_instance_reports_the_same_counts(tmp_path: Path) -> None:
    """Counts are the Store's: a second instance on the same database shows the first's refusals."""
    settings = load_settings({"ESAFETY_DB": str(tmp_path / "bot.db"), "ESAFETY_ALLOW_ANONYMOUS": "1"})
    first, second = await bootstrap(settings), await bootstrap(settings)
    async with TestClient(TestServer(build_app(first, workers=False))) as one_client, \
            TestClient(TestServer(build_app(second, workers=False))) as other_client:
        for _ in range(3):
            await one_client.post("/api/messages", data=b"hello", headers={"Content-Type": "text/plain"})
        await first.deps.tallies.flush(first.store)
        assert one(await scrape(other_client), "esafety_webhook_refused_total", channel="teams", reason="content_type") == 3
