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

from typing import Any

from aiohttp import web

from bots.console.context import CONTEXT, ConsoleContext
from bots.console.pages import read_form
from bots.console.session import Session, redirect
from handlers.audit import verify_audit
from handlers.auditor import describe, late_work
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
    locale = person.locale or console.deps.school_locale
    try:
        count = await retry(console.deps.store, console.deps.clock, [form["id"]] if form.get("id") else [], actor=str(person.ref))
        told = console.deps.catalog.say("console.retried", locale, count=count)
    except NotWaiting:
        told = console.deps.catalog.say("console.retry_gone", locale)
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


async def _render(console: ConsoleContext, request: web.Request, person: Person, session: Session, **extra: Any) -> web.Response:
    deps, margin = console.deps, console.operations.margin_seconds
    now = deps.clock.now()
    late = await late_work(deps.store, now, margin)
    people = await deps.store.list_people()
    channels = [(name, state, reception_gap(people, [name]) if state.startswith("on") else None)
                for name, state in console.operations.channels.items()]
    health = await read_health(deps.store, deps.channels, now, margin)
    return await console.render(request, "operations.html", person, session, health=health, waiting=await undelivered(deps.store),
                                channels=channels, late=describe(late, now, margin) if late else "", **extra)
