"""A message waiting for its recipient goes the moment they can be reached.

A lead who had not installed the bot when a supervision alert or a case card was sent must get
it when they do, not never (004 strategy 9: concerns reach the designated staff immediately;
000 §5: the admin team hears about unsupervised groups). The outbox keeps such a message
waiting, tried again with back-off (handlers/outbox.py); this makes it due at once when a sign
of reachability arrives: they install the bot or open its 1:1, the directory says they were
added, or a group roster the bot can read lists them.
"""

from __future__ import annotations

import logging
from collections.abc import Iterable

from handlers.duties import Deps
from handlers.events import MembersChanged, PersonReachable
from handlers.outbox import redrive
from state.due import OUTBOX_LANES
from state.models import Member, PersonRef

log = logging.getLogger(__name__)


async def redeliver_to(deps: Deps, people: Iterable[PersonRef]) -> int:
    """Whatever waits for `people` is due now; returns how many messages."""
    recipients = {str(person) for person in people}
    if not recipients:
        return 0
    count = await redrive(deps.store, partitions=recipients)
    if count:
        log.info("%d waiting message(s) sent again now that their recipient can be reached", count)
        deps.doorbell.ring(*OUTBOX_LANES)
    return count


async def on_reachable(event: PersonReachable, deps: Deps) -> None:
    await redeliver_to(deps, [event.person])


async def on_members_seen(event: MembersChanged, deps: Deps) -> None:
    await redeliver_to_members(deps, event.group.channel, event.added)


async def redeliver_to_members(deps: Deps, channel: str, members: Iterable[Member]) -> int:
    """Someone in a group roster the bot can read can be messaged privately (a 1:1 is opened)."""
    return await redeliver_to(deps, [PersonRef(channel, member.user_id) for member in members if member.user_id])
