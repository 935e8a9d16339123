"""One-to-one messages to the bot: refuse the chat, never the worry.

A student (or anyone the roster does not know) gets a kind refusal pointing back to the class
group — teachers and students do not chat one-to-one (000 §5; 004 objective 10, strategy 18) —
except that a report is always accepted privately (004 objective 6, strategy 8). A message that
sounds worried is answered with the report path instead of a bare refusal, and one that signals
danger becomes an urgent case at once. Parents and staff get their own help. Every refusal is
audited: who, when, which rule; never the words.
"""

from __future__ import annotations

import logging

from handlers.audit import decision
from handlers.chat_verbs import Place, Use, may_use, use_verb
from handlers.concerns import PENDING, REPORT_BUTTON, Report, add_to_report, receive_report, store_failed
from handlers.duties import Deps
from handlers.events import DirectMessage
from handlers.messenger import Message
from handlers.outbox import outbox_item, send_durably
from handlers.roster import identify_reporter
from handlers.vocabulary import parse_command, signals_danger, sounds_worried
from state.effects import Effects
from state.models import STAFF_ROLES, GroupKey, Person, Role

log = logging.getLogger(__name__)
REFUSAL_CLAUSE = "000 §5; 004 objective 10; 004 strategy 18"
CHILD_OR_GUEST = (Role.STUDENT, Role.UNKNOWN)


async def on_direct_message(event: DirectMessage, deps: Deps) -> None:
    """Order matters for a child: an open report window first (its words are the report,
    whatever word they start with), then `report`; then a verb, only for someone allowed it (a
    lead's `close C-… she said she wants to die` is a close, not a new report); then danger
    words, then a worry from a student or a guest — so "Close friend of mine is being hurt…" from
    a student is never taken as `close`. Only then is a verb refused (handlers/chat_verbs.py)."""
    person = await identify_reporter(deps.store, event.sender.channel, event.sender.user_id)
    command = parse_command(event.text)
    window = await _window(deps, person)
    if window is not None and (command is None or command.verb not in ("report", "report_adult")):
        await _continue_report(deps, person, window, event)
    elif command is not None and command.verb in ("report", "report_adult"):
        await start_report(deps, person, command.args, about_adult=command.verb == "report_adult", locale=event.locale,
                           origin=event.event_id)
    elif command is not None and await may_use(deps, person, command.verb, Place.PRIVATE):
        await use_verb(deps, person, Use(verb=command.verb, args=command.args, event_id=event.event_id), Place.PRIVATE)
    elif signals_danger(event.text):
        await receive_report(deps, Report(reporter=person, text=event.text, origin=event.event_id, locale=event.locale))
    elif person.role in CHILD_OR_GUEST and sounds_worried(event.text):
        await _refuse(deps, person, event)  # offers the report path
    elif command is not None and await use_verb(deps, person, Use(verb=command.verb, args=command.args, event_id=event.event_id),
                                                Place.PRIVATE):
        return  # refused: told privately, with the report button for a child
    elif person.role in CHILD_OR_GUEST:
        await _refuse(deps, person, event)
    else:
        key = "help.parent" if person.role is Role.PARENT else "help.staff" if person.role in STAFF_ROLES else "help.unknown_command"
        await send_durably(deps, person.ref, Message(key=key), key=f"reply:{event.event_id}")


async def _window(deps: Deps, person: Person) -> str | None:
    try:
        return await deps.store.report_window(person.ref)
    except Exception:  # the Store is down: treat as no window; the report path answers 'try again'
        return None


async def start_report(deps: Deps, person: Person, text: str, *, about_adult: bool, origin: str, locale: str = "",
                       group: GroupKey | None = None) -> None:
    """`report <text>` files the case now; a bare `report` asks what happened and waits."""
    if text:
        await receive_report(deps, Report(reporter=person, text=text, origin=origin, about_adult=about_adult, locale=locale, group=group))
        return
    marker = PENDING + (":adult" if about_adult else "")
    try:
        await deps.store.open_report_window(person.ref, marker, max(deps.cases.report_window_seconds, 300))
        await send_durably(deps, person.ref, Message(key="report.prompt"), key=f"prompt:{origin}", first=True)
    except Exception as error:  # the Store is down: the child is told at once, never left unanswered
        log.error("a report could not be opened (%s): the reporter is asked to try again", type(error).__name__)
        await deps.messenger.send_to_person(person.ref, store_failed(deps))


async def _continue_report(deps: Deps, person: Person, window: str, event: DirectMessage) -> None:
    if window.startswith(PENDING):
        await receive_report(deps, Report(reporter=person, text=event.text, origin=event.event_id, about_adult=window.endswith(":adult"),
                                           locale=event.locale))
    else:
        await add_to_report(deps, person, window, event.text, event_id=event.event_id)


async def _refuse(deps: Deps, person: Person, event: DirectMessage) -> None:
    """The reply and its audit row are written together, once per message."""
    worried = sounds_worried(event.text)
    if worried:
        message = Message(key="direct.worry_offer", buttons=(REPORT_BUTTON,))
    else:
        hint = deps.catalog.say("direct.class_group_hint", event.locale or person.locale or deps.school_locale)
        message = Message(key="direct.refusal_student", fields={"group_hint": hint}, buttons=(REPORT_BUTTON,))
    refused = decision(deps.clock, action="dm.worry_offered" if worried else "dm.refused", actor=str(person.ref),
                       actor_role=person.role.value, subject=str(person.ref), clause=REFUSAL_CLAUSE,
                       outcome="report path offered" if worried else "refused")
    reply = outbox_item(person.ref, message, key=f"reply:{event.event_id}", due_at=deps.clock.now(), first=True)
    await deps.store.commit(Effects(messages=(reply,), audit=(refused,)), once=f"{event.event_id}|refusal")
