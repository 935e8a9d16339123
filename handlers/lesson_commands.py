"""What staff type to run a lesson, and how a register comes back.

In the group (Teams @mention): `lesson start`, `lesson start confirm`, `lesson end`; in a 1:1,
naming the group first (`lesson GROUP start`), since a WeCom app cannot read group messages.
The register comes back as the Teams card's toggles, or typed as `register 1 3 4` (点名) with the
numbers the register listed, for WeCom, whose app messages have no toggles (000 §5.6).
"""

from __future__ import annotations

from typing import Any

from handlers.duties import Deps
from handlers.groups import GroupNotFound, resolve_group
from handlers.lessons import end_lesson, present_from_numbers, present_from_toggles, start_lesson, submit_register
from handlers.messenger import Message
from handlers.outbox import send_durably
from state.models import Group, GroupKey, Person
from state.records import Lesson

START_WORDS, END_WORDS, CONFIRM_WORDS = frozenset({"start", "开始"}), frozenset({"end", "结束"}), frozenset({"confirm", "确认"})


def lesson_action(args: str, in_group: GroupKey | None) -> str:
    """`start`, `end`, or "" for what a `lesson` command asks (in a 1:1 the group comes first)."""
    rest = _after_group(args, in_group)
    word = rest[0].casefold() if rest else ""
    return "start" if word in START_WORDS else "end" if word in END_WORDS else ""


def _after_group(args: str, in_group: GroupKey | None) -> list[str]:
    """The words after the group's name (a 1:1 names it first; in the group there is none)."""
    words = args.split()
    return words if in_group is not None else words[1:]


async def lesson_command(deps: Deps, person: Person, args: str, *, in_group: GroupKey | None, event_id: str) -> None:
    words = args.split()
    try:
        group = await _group(deps, in_group, words)
    except GroupNotFound:
        await send_durably(deps, person.ref, Message(key="lesson.usage"), key=f"reply:{event_id}")
        return
    action, rest = lesson_action(args, in_group), _after_group(args, in_group)
    if action == "start":
        await start_lesson(deps, person, group, confirmed=any(w.casefold() in CONFIRM_WORDS for w in rest[1:]), event_id=event_id)
    elif action == "end":
        await end_lesson(deps, person, group, event_id=event_id)
    else:
        await send_durably(deps, person.ref, Message(key="lesson.usage"), key=f"reply:{event_id}")


async def register_typed(deps: Deps, person: Person, numbers: str, *, event_id: str) -> None:
    """`register 1 3 4`: for the newest ended lesson this teacher ran (unregistered ones first)."""
    mine = [lesson for lesson in await deps.store.list_lessons() if lesson.started_by == person.ref and lesson.ended_at is not None]
    mine.sort(key=lambda lesson: (lesson.present is None, lesson.ended_at), reverse=True)
    if not mine:
        await send_durably(deps, person.ref, Message(key="lesson.no_register"), key=f"reply:{event_id}")
        return
    try:
        present = present_from_numbers(mine[0], numbers)
    except ValueError:
        await send_durably(deps, person.ref, Message(key="lesson.register_reply_hint"), key=f"reply:{event_id}")
        return
    await submit_register(deps, person, mine[0], present, event_id=event_id)


async def register_submitted(deps: Deps, person: Person, data: dict[str, Any], *, event_id: str) -> None:
    """The register card's Save button, with each student's toggle in its data."""
    lesson = await _lesson(deps, str(data.get("lesson", "")))
    if lesson is None or lesson.ended_at is None:
        await send_durably(deps, person.ref, Message(key="lesson.no_register"), key=f"reply:{event_id}")
        return
    await submit_register(deps, person, lesson, present_from_toggles(data), event_id=event_id)


async def _group(deps: Deps, in_group: GroupKey | None, words: list[str]) -> Group:
    if in_group is not None:
        group = await deps.store.get_group(in_group)
        if group is not None:
            return group
    if in_group is None and words:
        return await resolve_group(deps.store, words[0])
    raise GroupNotFound("no group named")


async def _lesson(deps: Deps, lesson_id: str) -> Lesson | None:
    return next((lesson for lesson in await deps.store.list_lessons() if lesson.lesson_id == lesson_id), None)
