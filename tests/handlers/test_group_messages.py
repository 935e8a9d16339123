"""`report` in a class group: the conversation moves to a private chat; the words never echo."""

from __future__ import annotations

from handlers.duties import Deps
from handlers.events import GroupMessage
from handlers.group_messages import on_group_message
from state.models import GroupKey
from tests.conftest import START
from tests.fakes.recording_messenger import RecordingMessenger
from tests.handlers.conftest import drain, keys_to, ref

CLASS = GroupKey("teams", "19:class5a")


def said(text: str, n: int = 1) -> GroupMessage:
    return GroupMessage(event_id=f"g{n}", at=START, group=CLASS, sender=ref("s1"), text=text)


async def test_bare_report_in_a_group_continues_privately(school: Deps, messenger: RecordingMessenger) -> None:
    """The group hears only 'I've messaged you privately'; the child is asked in a 1:1."""
    await on_group_message(said("report"), school)
    await drain(school)
    assert [(g, m.key) for g, m in messenger.to_groups] == [(CLASS, "report.moved_private")]
    assert keys_to(messenger, ref("s1")) == ["report.prompt"]


async def test_report_words_typed_in_a_group_become_a_case_but_are_never_repeated(school: Deps, messenger: RecordingMessenger) -> None:
    """The words become a case tied to the group; the group gets a neutral notice, no words."""
    await on_group_message(said("report Sam keeps sending me nasty messages"), school)
    await drain(school)
    (case,) = await school.store.list_cases()
    assert (case.group, case.text) == (CLASS, "Sam keeps sending me nasty messages")
    assert [(g, m.key, m.fields) for g, m in messenger.to_groups] == [(CLASS, "report.text_not_repeated", {})]
    assert keys_to(messenger, ref("s1")) == ["report.received"]


async def test_other_group_chatter_is_left_alone(school: Deps, messenger: RecordingMessenger) -> None:
    """A mention that is not a command the bot knows gets no reply from this duty."""
    await on_group_message(said("hello bot"), school)
    await drain(school)
    assert messenger.to_groups == []


async def test_report_in_a_group_during_a_store_outage_still_answers_the_child(school: Deps, messenger: RecordingMessenger,
                                                                               store_factory: object) -> None:
    """Store down: the child who typed `report` in the group is still told to try again or tell an adult."""
    from tests.conftest import StoreFactory

    assert isinstance(store_factory, StoreFactory)
    if store_factory.backend == "redis":
        store_factory.redis_server.stop()
    else:
        await school.store.close()
    try:
        await on_group_message(said("report"), school)
        await on_group_message(said("report he took my phone", 2), school)
    finally:
        if store_factory.backend == "redis":
            store_factory.restart_server()
    assert keys_to(messenger, ref("s1")) == ["report.store_failed", "report.store_failed"]
