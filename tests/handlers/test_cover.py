"""Cover for a lead who is away: until the end of the date, the case chain treats the person
covering as a lead (cases reach them, they may acknowledge and read), and nothing else does
(supervision still sees a teacher); set and ended in a 1:1, audited, named in the digest. On
both Store backends, with the injected clock (START is Monday 23 Nov 2026, 09:00 London)."""

from __future__ import annotations

from datetime import timedelta

from handlers.chat_verbs import Place, Use, use_verb
from handlers.concerns import Report, receive_report
from handlers.digest import week_lines
from handlers.direct_messages import on_direct_message
from handlers.duties import Deps
from handlers.events import DirectMessage
from state.models import Supervision
from state.records import CaseState
from tests.conftest import START
from tests.fakes.recording_messenger import RecordingMessenger
from tests.handlers.conftest import CLASS, SCHOOL, drain, join, keys_to

STUDENT, TEACHER, LEAD, HEAD = SCHOOL[0], SCHOOL[3], SCHOOL[5], SCHOOL[7]


async def say(deps: Deps, person: object, text: str, n: int) -> None:
    verb, _, args = text.partition(" ")
    await use_verb(deps, person, Use(verb=verb, args=args, event_id=f"m{n}"), Place.PRIVATE)  # type: ignore[arg-type]
    await drain(deps)


def cards_to(messenger: RecordingMessenger, person: object) -> list[str]:
    return [m.fields["reference"] for p, m in messenger.to_people if p == person and m.key.startswith("case.card_title")]


async def test_the_person_covering_receives_and_acts_on_cases_until_the_date(school: Deps, messenger: RecordingMessenger) -> None:
    await say(school, LEAD, "cover Tess Teacher until 2026-11-25", 1)
    assert keys_to(messenger, LEAD.ref)[-1] == "case.cover_set"
    assert keys_to(messenger, TEACHER.ref) == ["case.cover_started"]
    assert [(e.record.action, e.record.subject, e.record.outcome) for e in await school.store.read_audit()][-1] == \
        ("cover.set", str(TEACHER.ref), "2026-11-25")
    reference = await receive_report(school, Report(reporter=STUDENT, text="words", origin="r1"))
    await drain(school)
    assert cards_to(messenger, TEACHER.ref) == [reference]  # as to a lead, beside the lead
    assert cards_to(messenger, LEAD.ref) == [reference]
    await say(school, TEACHER, f"ack {reference}", 2)
    case = await school.store.get_case(str(reference))
    assert case is not None
    assert case.acknowledged_by == str(TEACHER.ref)
    school.clock.advance(timedelta(days=3).total_seconds())  # type: ignore[attr-defined]  # Thursday: the cover has ended
    later = await receive_report(school, Report(reporter=STUDENT, text="more words", origin="r2"))
    await drain(school)
    assert cards_to(messenger, TEACHER.ref) == [reference]
    assert cards_to(messenger, LEAD.ref) == [reference, later]
    await say(school, TEACHER, "cases", 3)
    assert keys_to(messenger, TEACHER.ref)[-1] == "supervision.staff_only"


async def test_cover_is_for_the_case_chain_only_a_covering_teacher_does_not_supervise(school: Deps) -> None:
    await say(school, LEAD, "cover Tess Teacher until 2026-11-30", 1)
    await join(school, "s1", "s2", "t1")
    group = await school.store.get_group(CLASS)
    assert group is not None
    assert group.supervision is Supervision.UNSUPERVISED


async def test_ended_early_refused_to_others_and_wrong_input_explained(school: Deps, messenger: RecordingMessenger) -> None:
    await say(school, TEACHER, "cover Tess Teacher until 2026-11-30", 1)
    assert keys_to(messenger, TEACHER.ref) == ["supervision.staff_only"]
    assert await school.store.list_covers() == []
    wrongs = ["cover Nobody Known until 2026-11-30", "cover Tess Teacher until 2026-11-01", "cover Tess Teacher until 2028-01-01",
              "cover Tess Teacher until soon", "cover Amira Pupil until 2026-11-30"]  # unknown, past, too far, no date, a student
    for n, wrong in enumerate(wrongs):
        await say(school, LEAD, wrong, 10 + n)
        assert keys_to(messenger, LEAD.ref)[-1] == "case.cover_usage", wrong
    await say(school, HEAD, "cover Tess Teacher until 2026-11-30", 2)
    await say(school, LEAD, "cover", 3)
    ((_, listing),) = [(p, m) for p, m in messenger.to_people if p == LEAD.ref and m.key == "case.cover_list"]
    assert listing.fields == {"count": 1}
    now = school.clock.now()
    assert [k for k, _ in await week_lines(school, now - timedelta(days=7), now)].count("digest.cover_line") == 1
    await say(school, LEAD, "cover Tess Teacher off", 4)
    assert keys_to(messenger, LEAD.ref)[-1] == "case.cover_ended"
    assert keys_to(messenger, TEACHER.ref)[-1] == "case.cover_ended_you"
    assert await school.store.list_covers() == []
    assert [e.record.action for e in await school.store.read_audit()][-1] == "cover.ended"


async def test_covering_gives_the_case_chain_and_nothing_more(school: Deps, messenger: RecordingMessenger) -> None:
    """Found by review: covering made a teacher a lead for everything. Now a covering teacher
    cannot set cover, the head cannot be made to cover (they would read every case's words),
    nobody covers themselves, and a name without a date ends nothing."""
    await say(school, LEAD, "cover Tess Teacher until 2026-11-30", 1)
    await say(school, TEACHER, "cover Adam Admin until 2026-11-30", 2)
    assert keys_to(messenger, TEACHER.ref)[-1] == "supervision.staff_only"
    for n, wrong in enumerate(["cover Hal Head until 2026-11-30", "cover Lee Lead until 2026-11-30", "cover Tess Teacher"]):
        await say(school, LEAD, wrong, 10 + n)
        assert keys_to(messenger, LEAD.ref)[-1] == "case.cover_usage", wrong
    assert [str(c.person) for c in await school.store.list_covers()] == [str(TEACHER.ref)]


async def test_a_covering_teachers_close_with_danger_words_closes_the_case(school: Deps) -> None:
    """Found by review: a verb the sender may use comes before danger words; covering counts."""
    await say(school, LEAD, "cover Tess Teacher until 2026-11-30", 1)
    reference = await receive_report(school, Report(reporter=STUDENT, text="words", origin="r1"))
    await drain(school)
    close = f"close {reference} social_care she said she wants to die; referred today"
    await on_direct_message(DirectMessage(event_id="d1", at=START, sender=TEACHER.ref, text=close), school)
    await drain(school)
    (case,) = await school.store.list_cases()
    assert (case.reference, case.state) == (reference, CaseState.CLOSED)
