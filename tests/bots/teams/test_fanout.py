"""A whole school's reminder at one minute: 60 class chats share Monday 09:00. The posts go out
through the real scheduler, outbox and Teams rate limiter against the fake Bot Connector: each
chat gets exactly one, the app-wide limit spreads them out (on the fast clock), and the sends
that Teams refuses at first are retried from the outbox, not skipped."""

from __future__ import annotations

from dataclasses import replace
from datetime import timedelta

from bots.app import IN_HAND
from bots.teams.delivery import APP_SENDS_PER_SECOND
from bots.waiting import eventually
from handlers.reminders import TOPICS, set_schedule
from state.due import Queue
from state.models import GroupKey
from tests.bots.teams.conftest import CLASS_CHAT, TeamsHarness
from tests.conftest import START

GROUPS = 60
MONDAY_9 = START + timedelta(days=7)


async def test_one_time_for_many_groups_is_spread_within_limits_and_failures_retried(teams: TeamsHarness) -> None:
    store, clock = teams.bot.store, teams.bot.clock
    teams.connector.now = lambda: clock.now().timestamp()  # type: ignore[method-assign]  # send times on the fast clock
    await teams.post("install_group")
    template = await store.get_group(GroupKey("teams", CLASS_CHAT))
    assert template is not None
    chats = [f"19:class{i}@thread.v2" for i in range(GROUPS)]
    for chat in chats:
        address = {**template.address, "conversation": {**template.address["conversation"], "id": chat}}
        await store.register_group(replace(template, key=GroupKey("teams", chat), address=address, name=chat))
        await set_schedule(store, clock, GroupKey("teams", chat), "0 9 * * MON", "Europe/London", actor="test")
    teams.connector.fail_next(500, times=3)
    clock.advance((MONDAY_9 - clock.now()).total_seconds())  # type: ignore[attr-defined]

    def reminded() -> dict[str, int]:
        return {chat: sum(1 for text in teams.connector.texts_to(chat) if text in said) for chat in chats}

    said = {teams.bot.catalog.say(topic, "en") for topic in TOPICS}

    async def all_reminded() -> bool:
        if all(reminded().values()):
            return True
        clock.advance(5)  # type: ignore[attr-defined]  # lets the outbox's back-off for the refused sends run out
        return False

    assert await eventually(all_reminded, seconds=30, step=0.2)
    assert set(reminded().values()) == {1}, "each chat exactly once"
    sent_at = sorted(r.at for r in teams.connector.all_sent() if r.conversation_id in chats and r.at >= MONDAY_9.timestamp())
    busiest = max(sum(1 for t in sent_at if start <= t < start + 1) for start in sent_at)
    # Slots are taken before each send and stamped here on arrival; on the fast clock up to the
    # outbox's sends in hand can arrive just after the clock jumped a second ahead.
    assert busiest <= APP_SENDS_PER_SECOND + IN_HAND[Queue.OUTBOX], "50 sends a second at most (the app-wide Teams limit)"
    assert sent_at[-1] - sent_at[0] >= 1, "so 60 reminders are spread over more than a second"
