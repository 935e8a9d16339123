"""Messages to the bot in a class group (Teams @mentions).

`report` in a group moves the conversation to a private chat: the group only hears "I've
messaged you privately", and any words typed after `report` become the case but are never
repeated in the group (004 strategy 8: reporting must never mean telling the whole class).
"""

from __future__ import annotations

import logging

from handlers.direct_messages import start_report
from handlers.duties import Deps
from handlers.events import GroupMessage
from handlers.lesson_commands import lesson_command
from handlers.messenger import Message
from handlers.outbox import send_durably
from handlers.roster import identify, identify_reporter
from handlers.schedule_commands import schedule_command
from handlers.staff_commands import VERBS, staff_command
from handlers.vocabulary import parse_command

log = logging.getLogger(__name__)


async def on_group_message(event: GroupMessage, deps: Deps) -> None:
    command = parse_command(event.text)
    if command is not None and command.verb in VERBS:
        person = await identify(deps.store, event.sender.channel, event.sender.user_id)
        await staff_command(deps, person, command.verb, "", in_group=event.group, event_id=event.event_id)
        return
    if command is not None and command.verb in ("schedule", "lesson"):
        person = await identify(deps.store, event.sender.channel, event.sender.user_id)
        run = schedule_command if command.verb == "schedule" else lesson_command
        await run(deps, person, command.args, in_group=event.group, event_id=event.event_id)
        return
    if command is None or command.verb not in ("report", "report_adult"):
        return
    person = await identify_reporter(deps.store, event.sender.channel, event.sender.user_id)
    notice = "report.text_not_repeated" if command.args else "report.moved_private"
    try:
        await send_durably(deps, event.group, Message(key=notice), key=f"group-reply:{event.event_id}")
    except Exception:  # the Store is down: the group notice can wait; the child must still be answered
        log.error("group notice for a report could not be queued (event %s)", event.event_id)
    await start_report(deps, person, command.args, about_adult=command.verb == "report_adult", locale=event.locale,
                       group=event.group, origin=event.event_id)
