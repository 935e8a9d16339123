"""Cases: delivery to the leads, escalation, urgency, out-of-hours, reports about adults."""

from __future__ import annotations

from dataclasses import replace

from handlers.concerns import Report, receive_report
from handlers.duties import Deps
from handlers.policies import CasePolicy
from handlers.school_hours import SchoolHours
from state.due import Queue
from state.models import GroupKey
from state.records import CaseState, Urgency
from tests.fakes.recording_messenger import RecordingMessenger
from tests.handlers.conftest import SCHOOL, drain, keys_to, ref

STUDENT = SCHOOL[0]


async def report(deps: Deps, text: str = "a boy in year 8 keeps sending me messages", **kwargs: object) -> str:
    reference = await receive_report(deps, Report(reporter=STUDENT, text=text, origin=f"event-{text}", **kwargs))  # type: ignore[arg-type]
    assert reference is not None
    return reference


async def test_unacknowledged_case_escalates_to_deputy_then_head_without_text(school: Deps, messenger: RecordingMessenger) -> None:
    """Not acknowledged in 15 minutes → deputies get the card and text; 15 more → head and admin
    are alerted with reference, urgency and group but not the text; the lead is reminded."""
    reference = await report(school)
    await drain(school)
    assert keys_to(messenger, ref("deputy")) == []
    school.clock.advance(school.cases.ack_timeout_seconds)  # type: ignore[attr-defined]
    await drain(school)
    assert keys_to(messenger, ref("deputy")) == ["case.card_title_escalated", "case.report_text"]
    deputy_card = next(m for p, m in messenger.to_people if p == ref("deputy"))
    assert deputy_card.lines[0] == ("case.escalated_deputy", {"leads": "Lee Lead", "minutes": 15})  # why it came, from whom, first
    school.clock.advance(school.cases.second_escalation_seconds)  # type: ignore[attr-defined]
    await drain(school)
    for boss in ("head", "a1"):
        ((_, alert),) = [(p, m) for p, m in messenger.to_people if p == ref(boss)]
        assert (alert.key, alert.fields["minutes"]) == ("case.escalated_head", 30)
        assert "messages" not in str(alert.fields)
    assert keys_to(messenger, ref("lead"))[-1] == "case.reminder_lead"
    case = await school.store.get_case(reference)
    assert case is not None
    assert [s.action for s in case.steps if s.action.startswith("escalated")] == ["escalated_to_deputies", "escalated_to_head"]
    audit = [e.record.action for e in await school.store.read_audit()]
    assert [a for a in audit if a != "case.delivered"] == ["report.received", "case.escalated_to_deputies", "case.escalated_to_head"]
    assert audit.count("case.delivered") == 4  # card + words to the lead, then to the deputy


async def test_danger_makes_it_urgent_with_emergency_numbers(school: Deps, messenger: RecordingMessenger) -> None:
    """'Not safe at home' → urgent: the reply carries 999/Childline, leads and deputies get it
    at once, and the head is alerted after the urgent timeout (120 s)."""
    reference = await report(school, "I am not safe at home tonight")
    await drain(school)
    ((_, reply),) = [(p, m) for p, m in messenger.to_people if p == ref("s1")]
    assert reply.key == "report.received_urgent"
    assert "999" in school.catalog.value(reply.fields["contacts"])
    assert "0800 1111" in school.catalog.value(reply.fields["contacts"])
    assert keys_to(messenger, ref("deputy")) == ["case.card_title", "case.report_text"]
    school.clock.advance(school.cases.urgent_ack_timeout_seconds)  # type: ignore[attr-defined]
    await drain(school)
    assert keys_to(messenger, ref("head")) == ["case.escalated_head"]
    case = await school.store.get_case(reference)
    assert case is not None
    assert case.urgency is Urgency.URGENT


async def test_china_school_gets_its_own_numbers_in_chinese(school: Deps, messenger: RecordingMessenger) -> None:
    """With ESAFETY_SCHOOL_COUNTRY=CN a Chinese-speaking child gets 110 and 12355, in Chinese."""
    deps = replace(school, cases=CasePolicy(school_country="CN"))
    chinese = replace(STUDENT, locale="zh_CN")
    await receive_report(deps, Report(reporter=chinese, text="有人说要打我", origin="e-zh", locale="zh-CN"))
    await drain(deps)
    ((_, reply),) = [(p, m) for p, m in messenger.to_people if p == ref("s1")]
    numbers = deps.catalog.value(reply.fields["contacts"], "zh_CN")
    assert "110" in numbers
    assert "12355" in numbers
    assert "热线" in numbers  # in Chinese


async def test_out_of_hours_reporter_is_told_when_someone_will_read_it(school: Deps, messenger: RecordingMessenger) -> None:
    """Friday 22:00: the child hears when a person will see it (Monday 08:00) and whom to call."""
    school.clock.advance(4 * 86400 + 13 * 3600)  # type: ignore[attr-defined]  # Friday 22:00 London
    await report(school)
    await drain(school)
    replies = [m for p, m in messenger.to_people if p == ref("s1")]
    assert [m.key for m in replies] == ["report.received", "report.out_of_hours"]
    assert school.catalog.value(replies[1].fields["next_time"]) == "Mon 30 Nov 08:00"


async def test_a_concern_about_an_adult_also_goes_to_the_head(school: Deps, messenger: RecordingMessenger) -> None:
    """`report adult …`: the head gets the card and the text with the leads."""
    await report(school, "my teacher asked me to keep a secret", about_adult=True)
    await drain(school)
    assert keys_to(messenger, ref("head")) == ["case.card_title", "case.report_text"]
    assert keys_to(messenger, ref("s1")) == ["report.adult_received"]


async def test_delivery_moves_the_case_on_and_records_each_recipient(school: Deps) -> None:
    """After the outbox delivers, the case is `delivered` and the chronology names each reader."""
    reference = await report(school, group=GroupKey("teams", "19:a"))
    await drain(school)
    case = await school.store.get_case(reference)
    assert case is not None
    assert case.state is CaseState.DELIVERED
    assert {s.actor for s in case.steps if s.action == "delivered"} == {"teams:lead"}
    assert case.group == GroupKey("teams", "19:a")


async def test_school_hours_parse_and_next_opening() -> None:
    """Hours are days and times; the next opening skips the weekend."""
    from datetime import datetime
    from zoneinfo import ZoneInfo

    hours = SchoolHours.parse("mon-fri 08:00-16:00")
    saturday = datetime(2026, 11, 28, 12, 0, tzinfo=ZoneInfo("Europe/London"))
    assert not hours.is_open(saturday)
    assert hours.next_open(saturday) == datetime(2026, 11, 30, 8, 0, tzinfo=ZoneInfo("Europe/London"))


async def test_an_undeliverable_case_message_stays_in_the_chronology(school: Deps, messenger: RecordingMessenger) -> None:
    """A lead the channel cannot reach: the case records the failed delivery (and admins are told)."""
    from bots.router import MessengerByChannel

    wecom_lead = replace(SCHOOL[5], channel="wecom", user_id="lead-on-wecom")
    await school.store.merge_roster([wecom_lead])
    deps = replace(school, messenger=MessengerByChannel({"teams": messenger}))
    reference = await report(deps)
    await drain(deps)
    case = await school.store.get_case(reference)
    assert case is not None
    failed = [s for s in case.steps if s.action == "delivery_failed"]
    assert {s.actor for s in failed} == {"wecom:lead-on-wecom"}
    assert keys_to(messenger, ref("a1"))[0] == "admin.unreachable_staff"


async def test_with_no_lead_the_child_is_told_honestly_and_the_head_and_admins_are_alerted(
        deps: Deps, messenger: RecordingMessenger) -> None:
    """A roster with no dsl (or one only on a channel that is off): the case is still stored,
    the child is never told it is safe with the safeguarding team, and is given someone to
    tell and the emergency numbers; the head and the admin team hear at once; all audited."""
    wecom_lead = replace(SCHOOL[5], channel="wecom", user_id="lead-on-wecom")
    await deps.store.merge_roster([p for p in SCHOOL if p.user_id != "lead"] + [wecom_lead])
    teams_only = replace(deps, channels=frozenset({"teams"}))
    reference = await report(teams_only)
    await drain(teams_only)
    ((_, reply),) = [(p, m) for p, m in messenger.to_people if p == ref("s1")]
    assert reply.key == "report.no_lead"
    assert reply.fields["reference"] == reference
    assert "999" in teams_only.catalog.value(reply.fields["contacts"])
    assert "safe with" not in teams_only.catalog.say("report.no_lead", "en", **reply.fields)
    for boss in ("head", "a1"):
        assert keys_to(messenger, ref(boss)) == ["case.no_lead"]
    assert await teams_only.store.get_case(reference) is not None
    audit = [e.record for e in await teams_only.store.read_audit()]
    assert [(r.action, r.outcome, r.detail.get("told")) for r in audit if r.action == "case.no_lead"] == [("case.no_lead", reference, "2")]


async def test_a_lead_card_that_cannot_be_delivered_goes_to_the_deputies_at_once(school: Deps, messenger: RecordingMessenger) -> None:
    """The lead never installed the bot: the case does not wait out the acknowledgement
    timeout; the deputy gets it now, told it could not be delivered to any lead."""
    messenger.unreachable.add(ref("lead"))
    reference = await report(school)
    await drain(school)
    assert keys_to(messenger, ref("deputy")) == ["case.card_title_escalated", "case.report_text"]
    deputy_card = next(m for p, m in messenger.to_people if p == ref("deputy"))
    assert deputy_card.lines[0] == ("case.escalated_deputy_undelivered", {"leads": "Lee Lead"})
    case = await school.store.get_case(reference)
    assert case is not None
    assert [s.action for s in case.steps if s.action in ("delivery_failed", "escalated_to_deputies")] == [
        "delivery_failed", "delivery_failed", "escalated_to_deputies"]  # the card and the words, then the deputies
    (escalated,) = [e.record for e in await school.store.read_audit() if e.record.action == "case.escalated_to_deputies"]
    assert escalated.detail["why"] == "undelivered"


async def test_the_childs_reply_is_in_the_first_lane_and_a_normal_cards_is_routine(school: Deps) -> None:
    """Replies to children and urgent cases never wait behind routine staff messages."""
    normal = await report(school)
    urgent = await report(school, "I am not safe at home tonight")
    assert await school.store.get_due(Queue.OUTBOX_FIRST, f"{normal}|reply|1") is not None
    assert await school.store.get_due(Queue.OUTBOX, f"{normal}|step1|teams:lead|card") is not None
    assert await school.store.get_due(Queue.OUTBOX_FIRST, f"{urgent}|step1|teams:lead|card") is not None
