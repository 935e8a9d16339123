"""Messages to the bot in a class group (Teams @mentions).

`report` in a group moves the conversation to a private chat: the group only hears "I've
messaged you privately", and any words typed after `report` become the case but are never
repeated in the group (004 strategy 8: reporting must never mean telling the whole class).
"""

from __future__ import annotations

import logging

from handlers.chat_verbs import Place, Use, use_verb
from handlers.direct_messages import start_report
from handlers.duties import Deps
from handlers.events import GroupMessage
from handlers.messenger import Message
from handlers.outbox import send_durably
from handlers.roster import identify, identify_reporter
from handlers.vocabulary import parse_command

log = logging.getLogger(__name__)


async def on_group_message(event: GroupMessage, deps: Deps) -> None:
    """`report` first (a child's worry never waits behind a verb), then the verbs a group may use."""
    command = parse_command(event.text)
    if command is None:
        return
    if command.verb not in ("report", "report_adult"):
        person = await identify(deps.store, event.sender.channel, event.sender.user_id)
        use = Use(verb=command.verb, args=command.args, in_group=event.group, event_id=event.event_id)
        await use_verb(deps, person, use, Place.GROUP)
        return
    person = await identify_reporter(deps.store, event.sender.channel, event.sender.user_id)
    notice = "report.text_not_repeated" if command.args else "report.moved_private"
    try:
        await send_durably(deps, event.group, Message(key=notice), key=f"group-reply:{event.event_id}")
    except Exception:  # the Store is down: the group notice can wait; the child must still be answered
        log.error("group notice for a report could not be queued (event %s)", event.event_id)
    await start_report(deps, person, command.args, about_adult=command.verb == "report_adult", locale=event.locale,
                       group=event.group, origin=event.event_id)
