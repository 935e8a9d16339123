"""The clouds failing for a while under a burst of reports (issue 17): the fake Bot Connector
and the fake WeCom API answer 429 with and without Retry-After, 500, WeCom's own frequency
limit (errcode 45009), and time out, then recover. Every child's 'received' and every case's
card for the lead is delivered once they recover, each conversation within the retry policy's
back-off for the failures it met, and nothing twice.

A timeout is the case a retry can repeat: Teams' gateway times out with a late 504 and takes
nothing, so trying again is safe; WeCom may have sent what it was too slow to confirm, and its
`enable_duplicate_check` (which every send of ours sets) recognises the second copy, so a
child or lead still sees one. The fakes behave the same way, on the test's clock, which the
test moves on as the worker's back-off waits it out."""

from __future__ import annotations

import asyncio
import json
import re
from collections import Counter
from collections.abc import AsyncIterator, Callable, Iterable
from pathlib import Path

import pytest

from bots.teams.fakes.activities import teams_activity
from bots.teams.fakes.bot_connector import FakeBotConnector
from bots.wecom.api import FREQUENCY_LIMIT_WAIT_SECONDS
from bots.wecom.fakes.api import FakeWecomApi
from handlers.runtime.retry import RetryPolicy
from state.clock import ManualClock
from state.models import Person, Role
from tests.bots.teams.conftest import CLASS_MEMBERS
from tests.bots.teams.conftest import start_harness as start_teams
from tests.bots.wecom.conftest import CLASS_MEMBERS as WECOM_CLASS
from tests.bots.wecom.conftest import CUSTOMER_GROUP, DSL, INTERNAL_STUDENT
from tests.bots.wecom.conftest import start_harness as start_wecom

REFERENCE = re.compile(r"C-\d{4}-\d{6}")
REPORTS = 6
SEND = "message/send"
TIMEOUTS = 2  # WeCom sends that time out after WeCom took them (one per round of faults)
RETRY_AFTER = 3.0
WECOM_TIMEOUT_SECONDS = 1.0
PACING_SECONDS = 20.0
"""Beyond the back-off: a conversation's messages go one at a time within Teams' windows, and a
case's words wait for its card, so the last of a burst comes a few seconds after its turn."""
SETTINGS = {"ESAFETY_REPORT_WINDOW_SECONDS": "0", "ESAFETY_WORK_LEASE_SECONDS": "3600"}
"""Every report its own case; leases far longer than the test, which is not about takeover."""


def clock_seconds(clock: ManualClock) -> Callable[[], float]:
    return lambda: clock.now().timestamp()


@pytest.fixture
async def connector(clock: ManualClock) -> AsyncIterator[FakeBotConnector]:
    fake = FakeBotConnector(now=clock_seconds(clock))
    await fake.start()
    yield fake
    await fake.stop()


@pytest.fixture
async def wecom_api(clock: ManualClock) -> AsyncIterator[FakeWecomApi]:
    api = FakeWecomApi(now=clock_seconds(clock))
    await api.start()
    api.add_customer_group(CUSTOMER_GROUP, name="六年级B班家长群", owner="zhang.laoshi", members=WECOM_CLASS)
    yield api
    await api.stop()


def ceiling(failures: int, asked: float) -> float:
    """The longest the retry policy waits after `failures` failed attempts of one message, when
    the longest wait a cloud asked for was `asked` (spread by up to a fifth)."""
    policy = RetryPolicy()
    if not failures:
        return 0.0
    return min(policy.cap_seconds, max(policy.base_seconds * 2 ** (failures - 1), asked * 1.2))


async def wait_out(clock: ManualClock, delivered: Callable[[], bool], requests: Callable[[], int], *,
                   clock_seconds_at_most: float = 900) -> None:
    """Move the clock on, half a second at a time, each time the cloud has had no request for a
    tenth of a second of real time (what is due now has been tried), until all is delivered."""
    start = clock.now()
    while not delivered():
        assert (clock.now() - start).total_seconds() < clock_seconds_at_most, "the burst was not delivered after the clouds recovered"
        seen = -1
        while seen != requests():
            seen = requests()
            await asyncio.sleep(0.1)
        clock.advance(0.5)


def within_the_back_off(refused: Iterable[tuple[str, int, float]], last_delivery: dict[str, float], *, asked: float) -> str:
    """Each conversation's last message came within the back-off of the failures it met (its
    own, and those of calls for no one, a token fetch, which fail a send too), after the clouds
    recovered; the figures, for the closing note."""
    failures = Counter(where for where, _, _ in refused)
    recovered = max(when for _, _, when in refused)
    worst = max(failures.values())
    for where, last in last_delivery.items():
        allowed = recovered + ceiling(failures[where] + failures[""], asked) + PACING_SECONDS
        assert last <= allowed, f"{where}: delivered {last - recovered:.1f} s after recovery, back-off allows {allowed - recovered:.1f} s"
    late = max(last_delivery.values()) - recovered
    return f"{sum(failures.values())} failed answers, at most {worst} in one conversation; last delivery {late:.1f} s after recovery"


@pytest.mark.timeout(300)
async def test_teams_burst_through_a_flaky_bot_connector(tmp_path: Path, connector: FakeBotConnector, clock: ManualClock) -> None:
    teams = await start_teams(tmp_path / "teams.db", connector, clock, **SETTINGS)
    try:
        students = CLASS_MEMBERS[1:3]
        await teams.bot.store.merge_roster([
            Person(channel="teams", user_id="0f5a1c2e-1111-4a4a-9a9a-000000000030", name="Dr Lead", role=Role.DSL),
            *(Person(channel="teams", user_id=s.get("aadObjectId") or s["userPrincipalName"].lower(), name=s["name"],
                     role=Role.STUDENT, classes=("5A",)) for s in students)])
        await teams.post("install_personal")
        await connector.settled()
        for _ in range(3):
            connector.fail_next(429, retry_after=str(int(RETRY_AFTER)))
            connector.fail_next(429)
            connector.fail_next(500)
            connector.fail_next(504, after_seconds=0.3)  # a gateway that timed out: late, and nothing taken
        chats = {}
        for n in range(REPORTS):
            who = students[n % len(students)]
            chat = f"a:personal-{who['id']}"
            chats[n] = chat
            activity = teams_activity("personal_message", connector.url, id=f"flaky-{n}", text=f"report flaky cloud worry {n}",
                                      **{"from": who, "conversation": {"id": chat, "conversationType": "personal", "tenantId": "tenant-1"}})
            assert (await teams.client.post("/api/messages", json=activity)).status == 201

        def told() -> set[str]:
            return {ref for chat in set(chats.values()) for text in connector.texts_to(chat) for ref in REFERENCE.findall(text)}

        def carded() -> set[str]:
            return {ref for body in connector.sent_to("a:personal-lead") if body.get("attachments") for ref in REFERENCE.findall(str(body))}

        await wait_out(clock, lambda: len(told()) == REPORTS and carded() >= told() and not connector.faults,
                       lambda: len(connector.received) + len(connector.refused))
        await connector.settled(quiet_seconds=0.5)
    finally:
        await teams.client.close()
    copies = Counter((r.conversation_id, str(r.body.get("text")), str(r.body.get("attachments"))) for r in connector.all_sent()
                     if r.method == "POST" and r.activity_id != "-")
    assert max(copies.values()) == 1, f"a message was delivered twice: {[k for k, n in copies.items() if n > 1]}"
    last = {chat: max(r.at for r in connector.received if r.conversation_id == chat) for chat in {*chats.values(), "a:personal-lead"}}
    print(f"\nTeams: {within_the_back_off(connector.refused, last, asked=RETRY_AFTER)}; nothing twice")
    assert {status for _, status, _ in connector.refused} == {429, 500, 504}


@pytest.mark.timeout(300)
async def test_wecom_burst_through_a_flaky_api(tmp_path: Path, wecom_api: FakeWecomApi, clock: ManualClock) -> None:
    wecom = await start_wecom(tmp_path / "wecom.db", wecom_api, clock, timeout_seconds=WECOM_TIMEOUT_SECONDS, **SETTINGS)
    try:
        for _ in range(TIMEOUTS):
            wecom_api.fail_http_next(429, retry_after=str(int(RETRY_AFTER)), path=SEND)
            wecom_api.fail_http_next(429, path=SEND)
            wecom_api.fail_http_next(500, path=SEND)
            wecom_api.fail_next(45009, path=SEND)  # WeCom's own frequency limit: tried again in a minute
            wecom_api.slow_next(WECOM_TIMEOUT_SECONDS + 1.5, path=SEND)  # sent, but the answer comes after we gave up
        for n in range(REPORTS):
            response = await wecom.deliver(wecom.callbacks.text(INTERNAL_STUDENT, f"报告 flaky cloud worry {n}", msg_id=f"flaky-{n}"))
            assert response.status == 200

        def told() -> set[str]:
            return {ref for text in wecom_api.texts_to_user(INTERNAL_STUDENT) for ref in REFERENCE.findall(text)}

        def carded() -> set[str]:
            return {ref for body in wecom_api.sent_messages() if body.get("touser") == DSL and body.get("msgtype") == "template_card"
                    for ref in REFERENCE.findall(str(body))}

        await wait_out(clock, lambda: len(told()) == REPORTS and carded() >= told() and not wecom_api._faults,
                       lambda: len(wecom_api.received))
        await asyncio.sleep(WECOM_TIMEOUT_SECONDS + 2)  # a slow answer still on its way lands before counting
    finally:
        await wecom.client.close()
    copies = Counter(json.dumps(body, sort_keys=True) for body in wecom_api.sent_messages())
    assert max(copies.values()) == 1, "a message was delivered twice"
    last = {user: max(wecom_api.delivered_at(user)) for user in (INTERNAL_STUDENT, DSL)}
    figures = within_the_back_off(wecom_api.refused, last, asked=FREQUENCY_LIMIT_WAIT_SECONDS)
    print(f"\nWeCom: {figures}; {wecom_api.duplicates_suppressed} late-answered send(s) sent again and recognised by WeCom's "
          "duplicate check; nothing twice")
    assert {status for _, status, _ in wecom_api.refused} == {429, 500, 45009}
    assert 1 <= wecom_api.duplicates_suppressed <= TIMEOUTS, "only a send that timed out after WeCom took it may be sent again"


