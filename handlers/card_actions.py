"""Buttons pressed on the bot's cards: Acknowledge on a case card, and the welcome card's
'report a worry privately' / 'about an adult at school' buttons, which open a private report."""

from __future__ import annotations

from handlers.acknowledge import acknowledge
from handlers.direct_messages import start_report
from handlers.duties import Deps
from handlers.events import CardAction
from handlers.lesson_commands import register_submitted
from handlers.roster import identify


async def on_card_action(event: CardAction, deps: Deps) -> None:
    person = await identify(deps.store, event.sender.channel, event.sender.user_id)
    if event.verb == "ack":
        await acknowledge(deps, person, str(event.data.get("case", "")), event_id=event.event_id)
    elif event.verb == "register":
        await register_submitted(deps, person, event.data, event_id=event.event_id)
    elif event.verb in ("report", "report_adult"):
        await start_report(deps, person, "", about_adult=event.verb == "report_adult", locale=event.locale, group=event.group,
                           origin=event.event_id)
