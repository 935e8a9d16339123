"""Who has seen a report's words: deliveries of the words and every reading, in the case's
chronology and the audit, on both Store backends."""

from __future__ import annotations

from handlers.case_tools import case_command
from handlers.concerns import Report, receive_report
from handlers.duties import Deps
from handlers.read_trail import readings
from tests.fakes.recording_messenger import RecordingMessenger
from tests.handlers.conftest import SCHOOL, drain

STUDENT, LEAD, DEPUTY, HEAD = SCHOOL[0], SCHOOL[5], SCHOOL[6], SCHOOL[7]


async def test_who_has_seen_the_words(school: Deps, messenger: RecordingMessenger) -> None:
    reference = await receive_report(school, Report(reporter=STUDENT, text="the words", origin="r1"))
    assert reference is not None
    await drain(school)  # the lead's card, then the words
    await case_command(school, LEAD, "case", reference, event_id="m1")
    await case_command(school, LEAD, "case", reference, event_id="m1")  # the same message redelivered: read once
    await case_command(school, DEPUTY, "case", reference, event_id="m2")
    await case_command(school, HEAD, "case", reference, event_id="m3")  # not about an adult: the head is not shown the words
    await drain(school)
    case = await school.store.get_case(reference)
    assert case is not None
    seen = [(step.actor, how) for step, how in readings(case)]
    assert seen == [(str(LEAD.ref), "delivered"), (str(LEAD.ref), "chat"), (str(DEPUTY.ref), "chat")]  # the card holds no words
    reads = [(e.record.actor, e.record.detail) for e in await school.store.read_audit() if e.record.action == "case.text_read"]
    assert reads == [(str(LEAD.ref), {"how": "chat"}), (str(DEPUTY.ref), {"how": "chat"})]
    deputys_view = [m for p, m in messenger.to_people if p == DEPUTY.ref][-1]
    trail = [(key, fields) for key, fields in deputys_view.lines if key in ("case.seen_by", "case.seen_line")]
    assert trail[0] == ("case.seen_by", {"count": 2})  # as it stood when the deputy asked: the delivery and the lead's read
    assert [fields["actor"] for _, fields in trail[1:]] == [str(LEAD.ref), str(LEAD.ref)]
