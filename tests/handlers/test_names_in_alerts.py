"""No message to a person carries a raw id: every alert a busy school day produces names people
by name, role and class and groups by name, never `teams:…` or a conversation id."""

from __future__ import annotations

from handlers.acknowledge import acknowledge
from handlers.concerns import Report, receive_report
from handlers.dispatch import Dispatcher
from handlers.duties import Deps
from handlers.events import BotRemoved
from handlers.routes import policy_routes
from tests.conftest import START
from tests.fakes.recording_messenger import RecordingMessenger
from tests.handlers.conftest import CLASS, SCHOOL, drain, join, ref


async def test_a_days_alerts_name_people_and_groups(school: Deps, messenger: RecordingMessenger) -> None:
    messenger.unreachable.add(ref("head"))  # the head never installed the bot: the admins are told, by name
    await join(school, "s1", "s2", "t1", guest="Visitor Person")
    await receive_report(school, Report(reporter=SCHOOL[0], text="someone keeps messaging me", origin="e1", group=CLASS))
    await drain(school)
    for wait in (school.cases.ack_timeout_seconds, school.cases.second_escalation_seconds):  # to the deputies, then the head
        school.clock.advance(wait)  # type: ignore[attr-defined]
        await drain(school)
    (case,) = await school.store.list_cases()
    await acknowledge(school, SCHOOL[6], case.reference, event_id="ack-1")
    await Dispatcher(policy_routes(), school).dispatch(BotRemoved(event_id="r1", at=START, group=CLASS, by=ref("t1")))
    await drain(school)
    said = [school.catalog.say(m.key, locale, **m.fields) for locale in ("en", "zh_CN") for _, m in messenger.to_people
            if m.key != "case.report_text"]  # the report's own words are the child's
    keys = {m.key for _, m in messenger.to_people}
    assert {"supervision.alert_unsupervised", "supervision.alert_guest", "case.card_title", "case.escalated_head",
            "admin.unreachable_staff", "supervision.alert_bot_removed", "case.ack_done"} <= keys
    assert [text for text in said if "teams:" in text or str(CLASS.conversation_id) in text] == []
    assert any("Hal Head (head teacher)" in text for text in said)
    assert any("Tess Teacher (teacher, 5A)" in text for text in said)
