"""The queue and the case page, and the case's actions (000 §3; 004 strategies 9 and 13).

An action runs the handler a lead's 1:1 and the command line run (acknowledge, note, assign,
close, reopen), so it is recorded in the chronology and the audit exactly as from chat. The
report's words are shown only when asked for, by a form, and each reading goes into the read
trail; the admin team sees the queue and each case's progress, never its words or its actions.
A form is answered with a redirect to the case (its result told once at the top), so reloading
the page never sends it again.
"""

from __future__ import annotations

import io
import re
from uuid import uuid4

from aiohttp import web

from bots.console.context import CONTEXT, ConsoleContext
from bots.console.session import Session, redirect, same_token
from handlers.acknowledge import acknowledge
from handlers.audit import record_decision
from handlers.case_export import export_cases
from handlers.case_keys import CaseKeys
from handlers.case_queue import SECTIONS, case_queue
from handlers.case_record import CLAUSE, STAFF_WORDS, VERBS, act_on_case, known_outcome, may_see_words
from handlers.messenger import Message
from handlers.names import person_words
from handlers.read_trail import CONSOLE, readings, record_reading
from handlers.spoken_time import school_time_words
from state.models import SAFEGUARDING_ROLES, Person
from state.records import Case, CaseState, CaseStep, Outcome

ACTIONS = ("acknowledge", *VERBS)
STAFF_STEPS = frozenset({"acknowledged", "note", "assigned", "closed", "reopened", "read"})
"""The chronology's steps that are someone's action: the case page's action log."""
FORM_ID = re.compile(r"[0-9a-f]{32}")
QUEUE_REFRESH_SECONDS = 30


async def queue(request: web.Request) -> web.Response:
    console = request.app[CONTEXT]
    person, session = await console.viewer(request)
    deps = console.deps
    rows = await case_queue(deps.store, deps.clock, deps.cases.review_days)
    sections = [(section, [row for row in rows if row.section == section]) for section in SECTIONS]
    return await console.render(request, "queue.html", person, session, sections=sections, refresh=QUEUE_REFRESH_SECONDS)


async def case_page(request: web.Request) -> web.Response:
    console = request.app[CONTEXT]
    person, session = await console.viewer(request)
    return await _show(console, request, person, session, await _case(console, request), with_words=False)


async def words(request: web.Request) -> web.Response:
    """The report's words, for those who may read them; the reading is recorded first."""
    console = request.app[CONTEXT]
    person, session, form = await read_form(console, request)
    case = await _case(console, request)
    if not may_see_words(person, case):
        await _refused(console, person, case, "case.text_refused")
        return await console.render(request, "refused.html", person, session, status=403, reason="words")
    deps = console.deps
    await record_reading(deps.store, deps.clock, case, reader=str(person.ref), reader_role=person.role.value, how=CONSOLE,
                         origin=_origin(form))
    return await _show(console, request, person, session, await _case(console, request), with_words=True)


async def act(request: web.Request) -> web.Response:
    """acknowledge | note | assign | close | reopen, through the same handlers as chat."""
    console = request.app[CONTEXT]
    person, session, form = await read_form(console, request)
    case = await _case(console, request)
    action = request.match_info["action"]
    if person.role not in SAFEGUARDING_ROLES:
        await _refused(console, person, case, "case.command_refused")
        return await console.render(request, "refused.html", person, session, status=403, reason="act")
    origin = _origin(form)
    if action == "acknowledge":
        await acknowledge(console.deps, person, case.reference, event_id=origin)
        told = await _acknowledged(console, await _case(console, request), person)
    else:
        told = (await act_on_case(console.desk, person, action, f"{case.reference} {_arguments(action, form)}", origin=origin)).message
    await console.sessions.tell(session, console.say(person, told.key, **told.fields))
    return redirect(f"/console/cases/{case.reference}")


async def _acknowledged(console: ConsoleContext, case: Case, person: Person) -> Message:
    """What the acknowledger is told, as in chat: done, already closed, or already someone else's."""
    if case.acknowledged_by == str(person.ref):
        return Message(key="case.ack_done", fields={"reference": case.reference})
    if case.acknowledged_by is None:
        return Message(key="case.already_closed", fields={"reference": case.reference})
    holder = await console.deps.store.get_person(*case.acknowledged_by.split(":", 1))
    return Message(key="case.already_acknowledged", fields={
        "reference": case.reference, "by": person_words(holder),
        "at": school_time_words(case.acknowledged_at or case.received_at, console.deps.school_timezone)})


async def export(request: web.Request) -> web.Response:
    """The case as one CSV row with its whole chronology; its words included for those who may
    read them, and that reading recorded, as `cases export --include-text` records it."""
    console = request.app[CONTEXT]
    person, _, form = await read_form(console, request)
    case = await _case(console, request)
    out = io.StringIO()
    deps = console.deps
    await export_cases(deps.store, deps.clock, [case], out, fmt="csv", reader=person, origin=_origin(form), how=CONSOLE)
    return web.Response(text=out.getvalue(), content_type="text/csv", charset="utf-8",
                        headers={"Content-Disposition": f'attachment; filename="{case.reference}.csv"'})


async def _show(console: ConsoleContext, request: web.Request, person: Person, session: Session, case: Case, *,
                with_words: bool) -> web.Response:
    deps = console.deps
    may_act = person.role in SAFEGUARDING_ROLES
    names = {str(p.ref): p.name for p in await deps.store.list_people()} | {"system": console.say(person, "console.the_bot")}
    if not may_act:  # the admin team follows the case's progress, not who the child is
        role = console.say(person, f"role.{case.reporter_role.value}")
        names[str(case.reporter)] = console.say(person, "console.the_reporter", role=role)
    staff = sorted((p for p in await console.desk.cover().case_people() if p.role in SAFEGUARDING_ROLES), key=lambda p: p.name)
    keys = CaseKeys(case.reference)
    chronology = [(step, known_outcome(step.detail.get("outcome", "")),
                   [(name, step.detail[name]) for name in STAFF_WORDS if with_words and name in step.detail],
                   _delivered(keys, step)) for step in case.steps]
    return await console.render(
        request, "case.html", person, session, case=case, with_words=with_words, may_read=may_see_words(person, case),
        may_act=may_act, chronology=chronology, action_log=[e for e in chronology if e[0].action in STAFF_STEPS], names=names,
        seen=readings(case), staff=staff, outcomes=list(Outcome),
        is_open=case.state is not CaseState.CLOSED, acknowledged=case.acknowledged_by is not None)


def _delivered(keys: CaseKeys, step: CaseStep) -> str:
    """What a delivery carried, as a catalogue key: the case card, or the report's words (who has had the words matters)."""
    if step.action != "delivered":
        return ""
    return "console.delivered_words" if keys.carries_words(step.detail.get("item", "")) else "console.delivered_card"


async def _case(console: ConsoleContext, request: web.Request) -> Case:
    case = await console.deps.store.get_case(request.match_info["reference"].upper())
    if case is None or case.drill:
        raise web.HTTPNotFound(text="no such case")
    return case


async def read_form(console: ConsoleContext, request: web.Request) -> tuple[Person, Session, dict[str, str]]:
    """The signed-in person and their form, if it carries this session's CSRF token; else 403,
    audited (a form from another site, or an old page after signing in again)."""
    person, session = await console.viewer(request)
    form = {key: str(value) for key, value in (await request.post()).items()}
    if not same_token(session.csrf, form.get("csrf")):
        deps = console.deps
        await record_decision(deps.store, deps.clock, action="console.csrf_refused", actor=str(person.ref), actor_role=person.role.value,
                              clause=CLAUSE, outcome=request.path)
        raise web.HTTPForbidden(text=console.say(person, "console.csrf_refused"))
    return person, session, form


def _origin(form: dict[str, str]) -> str:
    """The form's id names what it records: the same form sent twice records once."""
    form_id = form.get("form_id", "")
    return f"console:{form_id if FORM_ID.fullmatch(form_id) else uuid4().hex}"


def _arguments(action: str, form: dict[str, str]) -> str:
    """The words a 1:1 command would carry after the case's reference."""
    if action == "close":
        return f"{form.get('outcome', '')} {form.get('reason', '').strip()}"
    if action == "assign":
        return form.get("to", "")
    return form.get("text", "").strip()


async def _refused(console: ConsoleContext, person: Person, case: Case, action: str) -> None:
    deps = console.deps
    await record_decision(deps.store, deps.clock, action=action, actor=str(person.ref), actor_role=person.role.value, clause=CLAUSE,
                          outcome=case.reference, detail={"via": "console"})
