"""The routing table: which duties each neutral event triggers, in order (STYLE.md lesson 3).

Later duties (supervision, direct messages, concerns, reminders) add their rows here.
"""

from __future__ import annotations

from collections.abc import Sequence

from handlers.dispatch import Route
from handlers.events import Event, GroupJoined, MembersChanged
from handlers.group_registry import remember_group, remember_members


def policy_routes() -> dict[type[Event], Sequence[Route]]:
    return {
        GroupJoined: [Route(remember_group)],
        MembersChanged: [Route(remember_members)],
    }
