"""The weekly digest to the lead, with the real Store backends, read at a glance: per group the
time unsupervised in hours or days, guests, consent gaps, refused direct messages, lessons and
registers; cases counted as new, acknowledged and overdue, each overdue one with its age and
class; never a report's words; then next week's is armed."""

from __future__ import annotations

from datetime import timedelta

import pytest

from handlers.digest import arm_digest, digest_cron
from handlers.direct_messages import on_direct_message
from handlers.duties import Deps
from handlers.events import DirectMessage, GroupMessage
from handlers.group_messages import on_group_message
from state.due import Queue
from tests.conftest import START, StoreFactory
from tests.fakes.recording_messenger import RecordingMessenger
from tests.handlers.conftest import CLASS, drain, join, ref
from tests.state.test_audit_sealing import edit_third_record

REPORT = "someone in year 9 keeps sending me horrible messages"
DIGEST_AT = START + timedelta(days=6, hours=23)  # Monday 30 Nov 08:00 London


async def test_the_weeks_digest_reaches_the_lead(school: Deps, messenger: RecordingMessenger) -> None:
    await arm_digest(school)
    await join(school, "s1", "s2", "t1", guest="Visitor")
    await on_direct_message(DirectMessage(event_id="d1", at=START, sender=ref("s1"), text="can you do my homework"), school)
    await on_direct_message(DirectMessage(event_id="d2", at=START, sender=ref("s2"), text=f"report {REPORT}"), school)
    await on_group_message(GroupMessage(event_id="g1", at=START, group=CLASS, sender=ref("t1"), text="lesson start confirm"), school)
    await on_group_message(GroupMessage(event_id="g2", at=START, group=CLASS, sender=ref("t1"), text="lesson end"), school)
    await drain(school)
    school.clock.advance((DIGEST_AT - school.clock.now()).total_seconds())  # type: ignore[attr-defined]
    await drain(school)
    (digest,) = [m for p, m in messenger.to_people if p == ref("lead") and m.key == "digest.title"]
    (key, audited) = digest.lines[-1]
    assert key == "digest.audit_intact"
    said = [school.catalog.say(digest.key, "en", **digest.fields),
            *(school.catalog.say(key, "en", **fields) for key, fields in digest.lines)]
    assert said == [
        "Weekly safeguarding summary: 23 Nov – 30 Nov",
        "Class 5A: unsupervised for about 7 days, guests flagged 1, students without consent 1, direct messages from students refused 1,"
        " lessons 1 (registers 0).",
        "Cases: 0 new, 0 acknowledged and being handled, 1 overdue.",
        "Overdue C-2026-000001: received about 7 days ago, class 5A, still not acknowledged.",
        f"Audit log verified intact: {audited['records']} records, each sealed to the one before; the latest seal begins "
        f"{audited['seal']} (keep this message: it shows later whether the log was rewritten).",
    ]
    sealed = {record.seq: record.seal[:16] for record in await school.store.read_sealed_audit(limit=-1)}
    assert sealed[audited["records"]] == audited["seal"]  # the head as it was when the digest was written
    assert school.catalog.say(digest.lines[1][0], "zh_CN", **digest.lines[1][1]) == "个案：新 0 个，已确认跟进中 0 个，逾期 1 个。"
    assert REPORT not in str(digest)
    assert [m for p, m in messenger.to_people if p == ref("t1") and m.key == "digest.title"] == [], "leads only"
    upcoming = await school.store.get_due(Queue.TIMERS, f"digest|{(DIGEST_AT + timedelta(days=7)).isoformat()}")
    assert upcoming is not None


async def test_the_digest_says_when_the_audit_log_fails_verification(school: Deps, messenger: RecordingMessenger,
                                                                       store_factory: StoreFactory) -> None:
    await arm_digest(school)
    await join(school, "s1", "s2", "t1", guest="Visitor")  # a few audited decisions
    await edit_third_record(store_factory)
    school.clock.advance((DIGEST_AT - school.clock.now()).total_seconds())  # type: ignore[attr-defined]
    await drain(school)
    (digest,) = [m for p, m in messenger.to_people if p == ref("lead") and m.key == "digest.title"]
    assert digest.lines[-1] == ("digest.audit_broken", {"findings": 1, "first": 3})


@pytest.mark.parametrize(("setting", "cron"), [("MON 08:00", "0 8 * * MON"), ("fri 16:30", "30 16 * * FRI")])
def test_the_setting_reads_as_a_weekly_cron(setting: str, cron: str) -> None:
    assert digest_cron(setting) == cron


def test_a_bad_setting_says_what_is_wanted() -> None:
    with pytest.raises(ValueError, match="MON 08:00"):
        digest_cron("mondays")
