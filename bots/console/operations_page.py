"""The console's operations page, for the admin team and the safeguarding staff: is the chain
working? (004 strategy 9: concerns reach the designated staff at once; 000 §3.)

It shows the outbox's depth by lane, every message not delivered yet with a button to send it
again (the very action of `esafety-bot outbox retry`, audited as the person who pressed it),
each channel's state and whether a lead can be reached on it, the auditor's findings (work still
waiting past its time), and on request `doctor`'s findings and `audit verify`'s result (each can
take a while, so each is a button). No report's words: an undelivered message is named by its
text key and its recipient, as `esafety-bot outbox list` names them.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from aiohttp import web

from bots.config import ANONYMOUS, SWITCHES
from bots.console.context import CONTEXT, ConsoleContext
from bots.console.pages import read_form
from bots.console.session import Session, redirect
from handlers.audit import verify_audit
from handlers.auditor import late_message, late_work
from handlers.health import read_health
from handlers.outbox_view import NotWaiting, retry, undelivered
from handlers.reception import reception_gap
from state.models import Person


async def operations(request: web.Request) -> web.Response:
    console = request.app[CONTEXT]
    person, session = await console.viewer(request)
    return await _render(console, request, person, session)


async def retry_undelivered(request: web.Request) -> web.Response:
    """Send one undelivered message again now (or all of them), as `outbox retry` does."""
    console = request.app[CONTEXT]
    person, session, form = await read_form(console, request)
    try:
        count = await retry(console.deps.store, console.deps.clock, [form["id"]] if form.get("id") else [], actor=str(person.ref))
        told = console.say(person, "console.retried", count=count)
    except NotWaiting:
        told = console.say(person, "console.retry_gone")
    await console.sessions.tell(session, told)
    return redirect("/console/operations")


async def run_doctor(request: web.Request) -> web.Response:
    console = request.app[CONTEXT]
    person, session, _ = await read_form(console, request)
    doctor = console.operations.doctor
    return await _render(console, request, person, session, doctor=await doctor() if doctor else None, doctor_ran=True)


async def run_audit_verify(request: web.Request) -> web.Response:
    console = request.app[CONTEXT]
    person, session, _ = await read_form(console, request)
    return await _render(console, request, person, session, verdict=await verify_audit(console.deps.store))


@dataclass(frozen=True)
class ChannelRow:
    """One channel as the operations page shows it, in the reader's words."""

    name: str
    on: bool
    state: str
    no_lead: bool  # on, but no safeguarding lead on its roster: reports would reach nobody there


def channel_rows(console: ConsoleContext, person: Person, people: list[Person]) -> list[ChannelRow]:
    rows = []
    for name, state in console.operations.channels.items():
        on = state.startswith("on")
        words = console.say(person, "console.channel_on") if state == "on" else \
            console.say(person, "console.channel_on_anonymous") if state == ANONYMOUS else \
            console.say(person, "console.channel_off", setting=SWITCHES.get(name, "-"))
        rows.append(ChannelRow(name, on, words, on and reception_gap(people, [name]) is not None))
    return rows


async def _render(console: ConsoleContext, request: web.Request, person: Person, session: Session, **extra: Any) -> web.Response:
    deps, margin = console.deps, console.operations.margin_seconds
    now = deps.clock.now()
    late = await late_work(deps.store, now, margin)
    told = late_message(late, now, margin) if late else None
    health = await read_health(deps.store, deps.channels, now, margin)
    return await console.render(request, "operations.html", person, session, health=health, waiting=await undelivered(deps.store),
                                channels=channel_rows(console, person, await deps.store.list_people()),
                                late=console.say(person, told.key, **told.fields) if told else "", **extra)
