"""Buttons pressed on the bot's cards: Acknowledge on a case card, and the welcome card's
'report a worry privately' / 'about an adult at school' buttons, which open a private report."""

from __future__ import annotations

from handlers.chat_verbs import Place, Use, use_verb
from handlers.direct_messages import start_report
from handlers.duties import Deps
from handlers.events import CardAction
from handlers.roster import identify


async def on_card_action(event: CardAction, deps: Deps) -> None:
    """The report buttons open a private report for anyone; every other button is a verb, with
    its one role check (handlers/chat_verbs.py)."""
    person = await identify(deps.store, event.sender.channel, event.sender.user_id)
    if event.verb in ("report", "report_adult"):
        await start_report(deps, person, "", about_adult=event.verb == "report_adult", locale=event.locale, group=event.group,
                           origin=event.event_id)
    else:
        await use_verb(deps, person, Use(verb=event.verb, data=dict(event.data), event_id=event.event_id), Place.CARD)
