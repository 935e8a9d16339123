"""The routing table: which duties each neutral event triggers, in order (STYLE.md lesson 3).

Later duties (supervision, direct messages, concerns, reminders) add their rows here.
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable, Sequence

from handlers.card_actions import on_card_action
from handlers.case_delivery import ESCALATE, deliver_and_record, escalate
from handlers.case_review import REVIEW, review
from handlers.digest import DIGEST, send_digest
from handlers.direct_messages import on_direct_message
from handlers.dispatch import Route
from handlers.drill import DRILL, DRILL_DEADLINE, drill_deadline, run_drill
from handlers.duties import Deps
from handlers.events import BotRemoved, CardAction, DirectMessage, Event, GroupJoined, GroupMessage, MembersChanged, PersonReachable
from handlers.group_lifecycle import on_bot_removed, on_members_changed, recheck, welcome
from handlers.group_messages import on_group_message
from handlers.group_registry import remember_group, remember_members
from handlers.lessons import NOTICE as LESSON_NOTICE
from handlers.lessons import repeat_notice
from handlers.outbox import SEND
from handlers.redelivery import on_members_seen, on_reachable
from handlers.reminders import FIRE as REMINDER
from handlers.reminders import ensure_schedule
from handlers.reminders import fire as fire_reminder
from handlers.runtime.worker import ItemHandler
from handlers.supervision import RECHECK, UNSUPERVISED_ESCALATE, escalate_unsupervised
from state.due import OUTBOX_LANES, DueItem, Queue


def policy_routes() -> dict[type[Event], Sequence[Route]]:
    return {
        GroupJoined: [Route(remember_group), Route(welcome), Route(ensure_schedule)],
        MembersChanged: [Route(remember_members), Route(on_members_changed), Route(on_members_seen)],
        BotRemoved: [Route(on_bot_removed)],
        DirectMessage: [Route(on_direct_message, critical=True)],
        GroupMessage: [Route(on_group_message, critical=True)],
        CardAction: [Route(on_card_action, critical=True)],
        PersonReachable: [Route(on_reachable)],
    }


def due_work(deps: Deps) -> dict[Queue, dict[str, ItemHandler]]:
    """Which handler does each kind of durable work, per queue (timers, outbox, inbox)."""

    def bound(handler: Callable[[DueItem, Deps], Awaitable[None]]) -> ItemHandler:
        return lambda item: handler(item, deps)

    return {
        **{lane: {SEND: bound(deliver_and_record)} for lane in OUTBOX_LANES},
        Queue.TIMERS: {ESCALATE: bound(escalate), UNSUPERVISED_ESCALATE: bound(escalate_unsupervised), RECHECK: bound(recheck),
                       REMINDER: bound(fire_reminder), LESSON_NOTICE: bound(repeat_notice),
                       DIGEST: bound(send_digest), REVIEW: bound(review), DRILL: bound(run_drill),
                       DRILL_DEADLINE: bound(drill_deadline)},
    }
