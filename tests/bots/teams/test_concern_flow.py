"""A report through Teams end to end: student 1:1 → case → lead's card → Acknowledge → everyone told."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path
from typing import Any

from bots.teams.fakes.activities import card_text
from bots.teams.fakes.bot_connector import FakeBotConnector
from bots.teams.translate import dedup_key
from bots.waiting import eventually
from handlers.dispatch import Route
from handlers.events import DirectMessage
from handlers.runtime.retry import RetryPolicy
from policy_text.catalog import words
from state.clock import ManualClock
from state.due import Queue
from state.models import Person, Role
from state.records import CaseState
from tests.bots.teams.conftest import CLASS_CHAT, TeamsHarness, start_harness

LEAD = Person(channel="teams", user_id="0f5a1c2e-1111-4a4a-9a9a-000000000030", name="Dr Lead", role=Role.DSL)
STUDENT = Person(channel="teams", user_id="0f5a1c2e-1111-4a4a-9a9a-000000000001", name="Amira Example", role=Role.STUDENT)
REPORT = "an older student keeps asking me for pictures"


async def until(check: Callable[[], Any]) -> None:
    assert await eventually(check, seconds=5), "the expected delivery did not happen"


async def test_report_card_acknowledge_and_reporter_informed(teams: TeamsHarness) -> None:
    """The lead's card arrives (then the words), Acknowledge via Action.Execute updates it in
    place, and the child hears a lead has seen it; no group ever sees the words."""
    await teams.bot.store.merge_roster([LEAD, STUDENT])
    await teams.post("install_group")
    await teams.post("install_personal")
    assert (await teams.post("personal_message", text=f"report {REPORT}")).status == 201

    def lead_got() -> tuple[list[dict[str, Any]], list[str]]:
        sent = teams.connector.sent_to("a:personal-lead")
        return [m for m in sent if m.get("attachments")], [m.get("text") or "" for m in sent if REPORT in (m.get("text") or "")]

    await until(lambda: all(lead_got()))
    cards, _ = lead_got()
    (card,) = [c for c in cards if "C-2026-000001" in str(c)]
    assert card["attachments"][0]["content"]["actions"][0]["data"]["case"] == "C-2026-000001"
    await until(lambda: any("C-2026-000001" in t for t in teams.connector.texts_to("a:personal-s1")))

    response = await teams.post("card_execute")
    assert response.status == 200
    case = await teams.bot.store.get_case("C-2026-000001")
    assert case is not None
    assert case.state is CaseState.ACKNOWLEDGED
    puts = [r for r in teams.connector.received if r.method == "PUT"]
    assert len(puts) == 1
    assert "Acknowledged by Dr Lead" in card_text(puts[0].body["attachments"][0]["content"])
    await until(lambda: len(teams.connector.texts_to("a:personal-s1")) >= 2)
    assert teams.bot.catalog.say("report.acknowledged", "en", reference="C-2026-000001",
                                 contacts=words("emergency.contacts_gb")) in teams.connector.texts_to("a:personal-s1")
    assert all(REPORT not in str(body) for body in teams.connector.sent_to(CLASS_CHAT))


async def test_typed_ack_and_a_double_press_acknowledge_once(teams: TeamsHarness) -> None:
    """`ack C-…` typed by the lead and a second Acknowledge press: one acknowledgement."""
    await teams.bot.store.merge_roster([LEAD, STUDENT])
    await teams.post("install_personal")
    await teams.post("personal_message", text=f"report {REPORT}")
    await until(lambda: any(REPORT in (m.get("text") or "") for m in teams.connector.sent_to("a:personal-lead")))
    await teams.post("card_submit", id="typed", text="ack c-2026-000001", value=None)
    await teams.post("card_execute")
    audit = [e.record.action for e in await teams.bot.store.read_audit()]
    assert audit.count("case.acknowledged") == 1


async def test_a_report_retried_after_a_failure_makes_one_case(tmp_path: Path, connector: FakeBotConnector, clock: ManualClock) -> None:
    """The report is stored, then a later duty fails, so the inbox worker runs the whole event
    again: the retry finds its case (same reference), and the lead, the child and the audit log
    each see the report once."""
    failures: list[int] = []

    async def fails_once(event: DirectMessage, deps: object) -> None:
        if not failures:
            failures.append(1)
            raise ConnectionError("a hiccup after the case was stored")

    teams = await start_harness(tmp_path / "retry.db", connector, clock, extra={DirectMessage: [Route(fails_once, critical=True)]})
    try:
        await teams.bot.store.merge_roster([LEAD, STUDENT])
        await teams.post("install_personal")
        await teams.post("personal_message", text=f"report {REPORT}")
        assert failures == [1]
        clock.advance(RetryPolicy().cap_seconds)  # past the back-off: the worker runs the event again

        async def retried() -> bool:
            return any(e.record.action == "report.received" for e in await teams.bot.store.read_audit()) and \
                await teams.bot.store.get_due(Queue.INBOX, dedup_key("a:personal-s1", "1700000000001")) is None

        await until(retried)
        await until(lambda: any(REPORT in (m.get("text") or "") for m in teams.connector.sent_to("a:personal-lead")))
        await teams.connector.settled(quiet_seconds=0.5)
        assert [c.reference for c in await teams.bot.store.list_cases()] == ["C-2026-000001"]
        assert [e.record.action for e in await teams.bot.store.read_audit()].count("report.received") == 1
        cards = [m for m in teams.connector.sent_to("a:personal-lead") if m.get("attachments")]
        assert len(cards) == 1
        assert sum("C-2026-000001" in text for text in teams.connector.texts_to("a:personal-s1")) == 1
    finally:
        await teams.client.close()
