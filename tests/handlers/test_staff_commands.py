"""`status` / `recheck`: staff only; the group hears no names, the 1:1 does."""

from __future__ import annotations

from handlers.direct_messages import on_direct_message
from handlers.duties import Deps
from handlers.events import DirectMessage, GroupMessage
from handlers.group_messages import on_group_message
from tests.conftest import START
from tests.fakes.recording_messenger import RecordingMessenger
from tests.handlers.conftest import CLASS, drain, join, keys_to, ref


async def test_status_in_the_group_says_what_is_missing_without_names(school: Deps, messenger: RecordingMessenger) -> None:
    """A teacher's `status` in the group: supervised or not and the missing role, no names."""
    await join(school, "s1", "s2", "t1")
    await on_group_message(GroupMessage(event_id="g1", at=START, group=CLASS, sender=ref("t1"), text="status"), school)
    await drain(school)
    ((_, answer),) = [(g, m) for g, m in messenger.to_groups if m.key.startswith("supervision.status")]
    assert answer.key == "supervision.status_missing"
    assert "Ben" not in str(answer.fields)


async def test_status_in_a_private_chat_names_consent_gaps(school: Deps, messenger: RecordingMessenger) -> None:
    """`status GROUP` in a 1:1 (the WeCom way) gives the status and, privately, the names."""
    await join(school, "s1", "s2", "t1", "a1")
    messenger.to_people.clear()
    await on_direct_message(DirectMessage(event_id="d1", at=START, sender=ref("t1"), text=f"status {CLASS.conversation_id}"), school)
    await drain(school)
    assert keys_to(messenger, ref("t1")) == ["supervision.status_ok", "supervision.alert_consent_gap"]


async def test_students_are_refused_and_audited(school: Deps, messenger: RecordingMessenger) -> None:
    """A student typing `recheck` in the group is refused privately; the group hears nothing."""
    await join(school, "s1", "t1", "a1")
    before = len(messenger.to_groups)
    await on_group_message(GroupMessage(event_id="g2", at=START, group=CLASS, sender=ref("s1"), text="recheck"), school)
    await drain(school)
    assert len(messenger.to_groups) == before
    assert keys_to(messenger, ref("s1")) == ["supervision.staff_only"]
    assert (await school.store.read_audit())[-1].record.action == "staff_command.refused"
