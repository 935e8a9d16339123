"""A message waiting for someone on Teams goes the moment they install the bot."""

from __future__ import annotations

from bots.waiting import eventually
from handlers.events import PersonReachable
from handlers.messenger import Message
from handlers.outbox import send_durably
from state.due import Queue
from state.models import PersonRef
from tests.bots.teams.conftest import TeamsHarness

LEAD = PersonRef("teams", "0f5a1c2e-1111-4a4a-9a9a-000000000030")  # the sender of install_personal
ALERT = Message(key="case.reminder_lead", fields={"reference": "C-2026-000001", "minutes": 30})


async def test_a_waiting_alert_goes_when_the_lead_installs_the_bot(teams: TeamsHarness) -> None:
    """The lead has no personal chat and is in no roster the bot can read: the alert waits
    (with the reason, for its next attempt in 5 minutes). She installs the bot: it arrives
    now, without waiting out the back-off (the test's clock never moves)."""
    await send_durably(teams.bot.deps, LEAD, ALERT, key="reminder-1")

    async def waiting() -> list[str]:
        return [u.item.last_error for u in await teams.bot.store.list_undelivered(Queue.OUTBOX) if u.item.item_id == "reminder-1"]

    assert await eventually(waiting), "the alert never waited for its recipient"
    assert "no personal chat with the bot" in (await waiting())[0]
    await teams.post("install_personal")
    assert await eventually(lambda: teams.connector.texts_to("a:personal-lead")), "the waiting alert never arrived"
    assert teams.connector.texts_to("a:personal-lead") == [teams.bot.catalog.say("case.reminder_lead", "en", **ALERT.fields)]
    assert await teams.bot.store.list_undelivered(Queue.OUTBOX) == []


async def test_a_second_message_from_a_known_chat_is_no_new_sign_of_reachability(teams: TeamsHarness) -> None:
    """The stored address has no activity id, so it is the same from one message to the next:
    written once, one PersonReachable (and one redrive), however many messages follow."""
    await teams.post("personal_message")
    await teams.post("personal_message", id="f:second-message", text="hello again")
    assert len(teams.events_of(PersonReachable)) == 1
    address = await teams.bot.store.get_person_address(PersonRef("teams", "0f5a1c2e-1111-4a4a-9a9a-000000000001"))
    assert address is not None
    assert address["reference"].get("activityId") is None
