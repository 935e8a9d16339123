"""Reading a group's members from Teams, every page of them (classes are larger than one page)."""

from __future__ import annotations

from botbuilder.core import TurnContext
from botbuilder.core.teams import TeamsInfo

from bots.teams.translate import member_of
from state.models import Member

PAGE_SIZE = 100


async def read_members(turn_context: TurnContext) -> list[Member]:
    """All members of the turn's conversation (or team), following the continuation token.
    The bot itself is left out."""
    bot_id = turn_context.activity.recipient.id if turn_context.activity.recipient else None
    members: list[Member] = []
    token: str | None = None
    while True:
        page = await TeamsInfo.get_paged_members(turn_context, token, PAGE_SIZE)
        members += [member_of(account) for account in page.members or [] if account.id != bot_id]
        token = page.continuation_token
        if not token:
            return members
