"""Direct messages: the chat is refused, the worry never is."""

from __future__ import annotations

from handlers.direct_messages import on_direct_message
from handlers.duties import Deps
from handlers.events import DirectMessage
from state.due import Queue
from tests.conftest import START
from tests.fakes.recording_messenger import RecordingMessenger
from tests.handlers.conftest import drain, keys_to, ref


def dm(user_id: str, text: str, n: int = 1) -> DirectMessage:
    return DirectMessage(event_id=f"dm-{user_id}-{n}", at=START, sender=ref(user_id), text=text, locale="en-GB")


async def test_a_students_chat_is_refused_kindly_and_audited(school: Deps, messenger: RecordingMessenger) -> None:
    """A student's 1:1 gets a refusal pointing to the class group, with the private report
    button; the audit says who and which rule, never the words."""
    await on_direct_message(dm("s1", "hi miss can you help with homework"), school)
    await drain(school)
    ((person, message),) = messenger.to_people
    assert (person, message.key, [b.verb for b in message.buttons]) == (ref("s1"), "direct.refusal_student", ["report"])
    (entry,) = await school.store.read_audit()
    assert (entry.record.action, entry.record.actor) == ("dm.refused", "teams:s1")
    assert entry.record.clause == "000 §5; 004 objective 10; 004 strategy 18"
    assert "homework" not in str(entry.record)


async def test_unknown_people_are_refused_too(school: Deps, messenger: RecordingMessenger) -> None:
    """Someone not in the roster is treated as a guest: refused, audited."""
    await on_direct_message(dm("stranger", "hello"), school)
    await drain(school)
    assert keys_to(messenger, ref("stranger")) == ["direct.refusal_student"]


async def test_a_worried_message_is_offered_the_report_path(school: Deps, messenger: RecordingMessenger) -> None:
    """'I'm scared' is answered with how to report privately, not a bare refusal; no case yet."""
    await on_direct_message(dm("s1", "someone keeps bullying me and I'm scared"), school)
    await drain(school)
    assert keys_to(messenger, ref("s1")) == ["direct.worry_offer"]
    assert await school.store.list_cases() == []
    assert [e.record.action for e in await school.store.read_audit()] == ["dm.worry_offered"]


async def test_parents_and_staff_get_their_own_help(school: Deps, messenger: RecordingMessenger) -> None:
    """No refusal for adults: parents and staff get help for their role."""
    await on_direct_message(dm("p1", "hello"), school)
    await on_direct_message(dm("t1", "hello"), school)
    await drain(school)
    assert (keys_to(messenger, ref("p1")), keys_to(messenger, ref("t1"))) == (["help.parent"], ["help.staff"])


async def test_report_in_a_direct_message_becomes_a_case(school: Deps, messenger: RecordingMessenger) -> None:
    """`report <text>` (any case) files a case, delivered to the lead, and the child gets a reference."""
    await on_direct_message(dm("s1", "REPORT an older boy keeps messaging me"), school)
    (case,) = await school.store.list_cases()
    assert (case.text, case.reporter) == ("an older boy keeps messaging me", ref("s1"))
    await drain(school)
    assert keys_to(messenger, ref("s1")) == ["report.received"]
    assert keys_to(messenger, ref("lead")) == ["case.card_title", "case.report_text"]
    assert keys_to(messenger, ref("deputy")) == []


async def test_chinese_report_words_work_without_a_space(school: Deps, messenger: RecordingMessenger) -> None:
    """举报 / 报告 start a report too, even typed straight before the text."""
    await on_direct_message(dm("s2", "举报有人在群里欺负我"), school)
    (case,) = await school.store.list_cases()
    assert case.text == "有人在群里欺负我"


async def test_bare_report_asks_then_files_the_next_message(school: Deps, messenger: RecordingMessenger) -> None:
    """`report` alone asks what happened; the next message is the report."""
    await on_direct_message(dm("s1", "report"), school)
    await drain(school)
    await on_direct_message(dm("s1", "a stranger asked for photos", 2), school)
    await drain(school)
    assert keys_to(messenger, ref("s1")) == ["report.prompt", "report.received"]
    assert [c.text for c in await school.store.list_cases()] == ["a stranger asked for photos"]


async def test_more_messages_in_the_window_join_the_case(school: Deps, messenger: RecordingMessenger) -> None:
    """Within the report window later messages join the case and reach its readers; after it, refusal again."""
    await on_direct_message(dm("s1", "report it started last week"), school)
    await drain(school)
    await on_direct_message(dm("s1", "and again today", 2), school)
    await drain(school)
    (case,) = await school.store.list_cases()
    assert case.text == "it started last week\nand again today"
    assert keys_to(messenger, ref("lead"))[-1] == "case.report_addition"
    assert keys_to(messenger, ref("s1"))[-1] == "report.added"
    school.clock.advance(school.cases.report_window_seconds + 1)  # type: ignore[attr-defined]
    await on_direct_message(dm("s1", "ok bye", 3), school)
    await drain(school)
    assert keys_to(messenger, ref("s1"))[-1] == "direct.refusal_student"


async def test_the_case_is_stored_before_the_child_hears_received(school: Deps, messenger: RecordingMessenger,
                                                                  store_factory: object) -> None:
    """If the Store cannot take the report the child is told to try again or tell an adult —
    never 'received' — and nothing half-written is left behind."""
    from tests.conftest import StoreFactory

    assert isinstance(store_factory, StoreFactory)
    if store_factory.backend == "redis":
        store_factory.redis_server.stop()
    else:
        await school.store.close()
    await on_direct_message(dm("s1", "report please help"), school)
    assert [(p, m.key) for p, m in messenger.to_people] == [(ref("s1"), "report.store_failed")]
    if store_factory.backend == "redis":
        store_factory.restart_server()
        assert await school.store.list_cases() == []
        assert await school.store.get_due(Queue.OUTBOX, "C-2026-000001|reply|1") is None


async def test_a_students_words_starting_with_a_staff_command_are_not_a_command(school: Deps, messenger: RecordingMessenger) -> None:
    """'Close friend of mine is being hurt' from a student is a worry, not `close`; inside an
    open report window it is the report itself."""
    await on_direct_message(dm("s1", "Close friend of mine is being hurt at home"), school)
    await drain(school)
    assert keys_to(messenger, ref("s1")) == ["direct.worry_offer"]
    await on_direct_message(dm("s1", "report", 2), school)
    await drain(school)
    await on_direct_message(dm("s1", "status of my friend: he is scared of his brother", 3), school)
    (case,) = await school.store.list_cases()
    assert case.text == "status of my friend: he is scared of his brother"


async def test_a_refused_senders_words_never_reach_the_audit(school: Deps) -> None:
    """A teacher's `ack …` or a student's `状态…` is refused or ignored without recording the text."""
    await on_direct_message(dm("t1", "ack C-2026-000001 he hit me"), school)
    await on_direct_message(dm("s1", "状态不好，他打我", 2), school)
    for entry in await school.store.read_audit():
        assert "hit me" not in str(entry.record)
        assert "他打我" not in str(entry.record)


async def test_additions_reach_a_lead_whose_card_is_still_queued(school: Deps, messenger: RecordingMessenger) -> None:
    """A second message seconds after the report, before any delivery, still reaches the lead."""
    await on_direct_message(dm("s1", "report it started at the bus stop"), school)
    await on_direct_message(dm("s1", "and he has my address", 2), school)
    await on_direct_message(dm("s1", "and he has my address", 2), school)  # redelivered: added once
    await drain(school)
    assert keys_to(messenger, ref("lead")).count("case.report_addition") == 1
    (case,) = await school.store.list_cases()
    assert case.text.count("and he has my address") == 1
