"""One table of chat verbs: a verb used by someone not allowed it is refused the same way
wherever it was used, privately and audited; a child's worry is never taken for a verb."""

from __future__ import annotations

import pytest

from handlers.chat_verbs import VERBS, Place, Use, use_verb
from handlers.direct_messages import on_direct_message
from handlers.duties import Deps
from handlers.events import DirectMessage
from state.models import SAFEGUARDING_ROLES, STAFF_ROLES, Person
from state.records import CaseState
from tests.conftest import START
from tests.fakes.recording_messenger import RecordingMessenger
from tests.handlers.conftest import CLASS, SCHOOL, drain, keys_to, ref

STUDENT, PARENT = SCHOOL[0], SCHOOL[2]
EVERY_USE = [(verb, place) for verb, row in VERBS.items() for place in (Place.PRIVATE, Place.GROUP, Place.CARD) if place in row.places]


@pytest.mark.parametrize("who", [STUDENT, PARENT], ids=["student", "parent"])
@pytest.mark.parametrize(("verb", "place"), EVERY_USE, ids=[f"{verb}-{place.name}" for verb, place in EVERY_USE])
async def test_a_student_or_parent_is_refused_every_verb_everywhere_privately_and_audited(
        school: Deps, messenger: RecordingMessenger, verb: str, place: Place, who: Person) -> None:
    use = Use(verb=verb, args="my friend is sad", event_id="e1", in_group=CLASS if place is Place.GROUP else None)
    assert await use_verb(school, who, use, place) is True
    await drain(school)
    assert messenger.to_groups == []
    assert len(keys_to(messenger, who.ref)) == 1
    (refused,) = [entry.record for entry in await school.store.read_audit()]
    assert (refused.actor, refused.outcome) == (str(who.ref), VERBS[verb].refusal(use).outcome or verb)
    assert refused.action.endswith("refused")
    assert "sad" not in str(refused)


def test_the_safeguarding_verbs_are_for_the_safeguarding_staff_and_the_rest_for_staff() -> None:
    assert {verb for verb, row in VERBS.items() if row.roles == SAFEGUARDING_ROLES} == {
        "ack", "cases", "case", "note", "assign", "close", "reopen"}
    assert {verb for verb, row in VERBS.items() if row.roles == STAFF_ROLES} == {"status", "recheck", "schedule", "lesson", "register"}


async def test_a_verb_where_it_cannot_be_used_is_not_a_verb(school: Deps) -> None:
    """`close` on a card, `cases` in a group: plain words to the caller, nothing refused or run."""
    assert await use_verb(school, SCHOOL[5], Use(verb="close", event_id="e1"), Place.CARD) is False
    assert await use_verb(school, SCHOOL[5], Use(verb="cases", event_id="e2", in_group=CLASS), Place.GROUP) is False
    assert await school.store.read_audit() == []


async def test_a_student_typing_status_privately_hears_staff_only_as_in_a_group(school: Deps, messenger: RecordingMessenger) -> None:
    """The routers used to disagree: a 1:1 `status` from a student got the chat refusal."""
    await on_direct_message(DirectMessage(event_id="d1", at=START, sender=ref("s1"), text="status 5A"), school)
    await drain(school)
    assert keys_to(messenger, ref("s1")) == ["supervision.staff_only"]
    assert [entry.record.action for entry in await school.store.read_audit()] == ["staff_command.refused"]


async def test_a_leads_close_with_the_childs_words_in_it_closes_the_case(school: Deps, messenger: RecordingMessenger) -> None:
    """Outcomes describe disclosures: a verb the sender may use comes before danger words."""
    await on_direct_message(DirectMessage(event_id="d1", at=START, sender=ref("s1"), text="report someone online scares me"), school)
    await drain(school)
    (case,) = await school.store.list_cases()
    close = f"close {case.reference} social_care pupil said she wants to die; referred to CAMHS"
    await on_direct_message(DirectMessage(event_id="d2", at=START, sender=ref("lead"), text=close), school)
    await drain(school)
    (closed,) = await school.store.list_cases()
    assert closed.state is CaseState.CLOSED


async def test_a_child_refused_a_verb_can_still_report_with_the_button(school: Deps, messenger: RecordingMessenger) -> None:
    """"case of a man online asking to meet me" starts with a verb and has no worry word: the
    child hears it is for staff, and how to report privately, with the button."""
    await on_direct_message(DirectMessage(event_id="d1", at=START, sender=ref("s1"), text="case of a man online asking to meet me"), school)
    await drain(school)
    ((_, told),) = [(p, m) for p, m in messenger.to_people if p == ref("s1")]
    assert (told.key, told.lines, [b.verb for b in told.buttons]) == (
        "supervision.staff_only", (("direct.report_still_possible", {}),), ["report"])
    staff = SCHOOL[3]
    await use_verb(school, staff, Use(verb="cases", event_id="e2"), Place.PRIVATE)
    await drain(school)
    assert [m.buttons for p, m in messenger.to_people if p == staff.ref] == [()]  # adults are just told
