"""Two instances of `serve` behind one Redis, as a load balancer would spread them, take the
same burst of reports and reminders, and one is SIGKILLed half-way (issue 17). The Bot
Connector posts each activity to one instance, and again to the other when the first gives no
answer; now and then it delivers the same activity to both (a redelivery after a slow answer).

Afterwards every report is one case, delivered once to the lead; every reminder was posted
once; the audit log has no gap. The one allowance is the kill's: a send the killed instance had
in flight when it died may come once more from the survivor (a channel send has no
idempotency key), at most one per conversation. The counts are printed for the closing note."""

from __future__ import annotations

import asyncio
import random
from pathlib import Path

import pytest

from bots.sockets import free_port
from bots.teams.fakes.bot_connector import FakeBotConnector
from state.redis_server import RedisServer
from tests.conftest import empty_redis
from tests.faults.school import SETTINGS, School, post_until_accepted
from tests.faults.serving import ServedBot, environment

SEED = 17
LEASE_SECONDS = 300  # the default: the dead one's work is taken over through its heartbeat, not the lease
REPORTS = 40
GAP_SECONDS = 0.1
BOTH_EVERY = 5  # every fifth activity is delivered to both instances


@pytest.mark.timeout(300)
async def test_two_instances_share_a_burst_and_one_dies(tmp_path: Path, connector: FakeBotConnector,
                                                        redis_server: RedisServer) -> None:
    await empty_redis(redis_server)
    env = environment(tmp_path, **SETTINGS, REDIS_URL=redis_server.url, ESAFETY_WORK_LEASE_SECONDS=str(LEASE_SECONDS))
    school = School(connector, env)
    await school.set_up(tmp_path)
    instances = (ServedBot(env), ServedBot(env | {"PORT": str(free_port())}))
    for bot in instances:
        await bot.start()
    choices = random.Random(SEED)
    try:
        posts = []
        for n in range(REPORTS):
            activity = school.report(n)
            first = n % 2
            posts.append(asyncio.create_task(post_until_accepted(instances[first], activity, instances[1 - first])))
            if n % BOTH_EVERY == 0:
                posts.append(asyncio.create_task(post_until_accepted(instances[1 - first], activity, instances[first])))
            if n == REPORTS // 2:
                await asyncio.sleep(choices.uniform(0.0, 0.5))
                await instances[0].kill()
            await asyncio.sleep(GAP_SECONDS)
        await asyncio.gather(*posts)
        tally = await school.settle(instances[0])
    finally:
        for bot in instances:
            await bot.stop()
    print(f"\ntwo instances, one killed: {tally.line()}")
    assert tally.received == tally.reports == REPORTS, f"a report did not become one case answered 'received': {tally.line()}"
    assert tally.delivered == tally.received, f"a 'received' report never reached the lead: {tally.line()}"
    assert tally.reminders_posted >= tally.reminders_due, f"a reminder was lost: {tally.line()}"
    assert tally.most_repeats_to_one <= tally.kills, f"a chat got more than the kill's one repeat: {tally.line()}"
    audit = await school.audit()
    assert [entry.seq for entry in audit] == list(range(1, len(audit) + 1)), "the audit log has a gap"
    assert sum(entry.record.action == "report.received" for entry in audit) == REPORTS, "a report is missing from the audit, or twice"
