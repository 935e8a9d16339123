"""The queue and case pages over plain HTTP: who reads the words and who may act, a form sent
twice recorded once, the export, signing out, and the roster deciding at every click."""

from __future__ import annotations

import re
from datetime import timedelta
from html import unescape

from aiohttp import ClientSession

from bots.console.session import COOKIE
from handlers.acknowledge import acknowledge
from handlers.read_trail import CONSOLE
from state.due import DueItem, Queue
from state.models import Person
from state.records import Cover
from tests.bots.console.conftest import ADMIN, DEPUTY, HEAD, LEAD, REPORT_WORDS, ROSTER, TEACHER, Console, account

CSRF = re.compile(r'name="csrf" value="([^"]+)"')
FORM_ID = re.compile(r'name="form_id" value="([0-9a-f]{32})"')


async def signed_in(client: ClientSession, console: Console, person: Person) -> str:
    """Sign `person` in; the CSRF token of their session."""
    console.idp.sign_in_as = account(person)
    async with client.get("/console/sign-in/start") as response:
        page = await response.text()
    token = CSRF.search(page)
    assert token is not None, page
    return token.group(1)


async def test_the_head_reads_the_words_only_of_a_concern_about_an_adult(console: Console, client: ClientSession) -> None:
    about_child, about_adult = await console.report("r1"), await console.report("r2", "a teacher messages me privately", about_adult=True)
    token = await signed_in(client, console, HEAD)
    async with client.post(f"/console/cases/{about_child}/words", data={"csrf": token}) as refused:
        assert refused.status == 403
        assert REPORT_WORDS not in await refused.text()
    async with client.post(f"/console/cases/{about_adult}/words", data={"csrf": token}) as shown:
        assert shown.status == 200
        assert "a teacher messages me privately" in await shown.text()
    assert await console.audit("case.text_") == [("case.text_refused", str(HEAD.ref), about_child),
                                                 ("case.text_read", str(HEAD.ref), about_adult)]


async def test_a_form_sent_twice_is_recorded_once(console: Console, client: ClientSession) -> None:
    reference = await console.report()
    token = await signed_in(client, console, LEAD)
    async with client.get(f"/console/cases/{reference}") as page:
        form_id = FORM_ID.search(await page.text())
    assert form_id is not None
    for _ in range(2):  # a double click, or the browser's "send again?"
        async with client.post(f"/console/cases/{reference}/note", data={"csrf": token, "form_id": form_id.group(1),
                                                                         "text": "rang home"}) as sent:
            assert sent.status == 200
    case = await console.deps.store.get_case(reference)
    assert case is not None
    assert [step.detail.get("note") for step in case.steps if step.action == "note"] == ["rang home"]


async def test_the_export_carries_the_words_for_a_lead_and_records_the_reading(console: Console, client: ClientSession) -> None:
    reference = await console.report()
    token = await signed_in(client, console, LEAD)
    async with client.post(f"/console/cases/{reference}/export", data={"csrf": token}) as export:
        assert export.headers["Content-Disposition"] == f'attachment; filename="{reference}.csv"'
        assert REPORT_WORDS in await export.text()
    case = await console.deps.store.get_case(reference)
    assert case is not None
    assert [step.detail["how"] for step in case.steps if step.action == "read"] == [CONSOLE]


async def test_the_admin_export_has_no_words_and_no_reading(console: Console, client: ClientSession) -> None:
    reference = await console.report()
    token = await signed_in(client, console, ADMIN)
    async with client.post(f"/console/cases/{reference}/export", data={"csrf": token}) as export:
        assert export.status == 200
        assert REPORT_WORDS not in await export.text()
    case = await console.deps.store.get_case(reference)
    assert case is not None
    assert [step for step in case.steps if step.action == "read"] == []


async def test_signing_out_ends_the_session_even_for_a_copied_cookie(console: Console, client: ClientSession) -> None:
    token = await signed_in(client, console, LEAD)
    copied = next(c.value for c in client.cookie_jar if c.key == COOKIE)
    async with client.post("/console/sign-out", data={"csrf": token}) as out:
        assert out.url.path == "/console/sign-in"
    async with ClientSession(console.url, cookies={COOKIE: copied}) as thief, thief.get("/console") as page:
        assert page.url.path == "/console/sign-in"


async def test_a_role_taken_away_on_the_roster_takes_effect_at_the_next_click(console: Console, client: ClientSession) -> None:
    await signed_in(client, console, ADMIN)
    await console.deps.store.replace_roster(["teams"], [p for p in ROSTER if p is not ADMIN])
    async with client.get("/console") as page:
        assert page.url.path == "/console/sign-in"
        assert "no longer on the school's roster" in unescape(await page.text())


async def test_a_teacher_covering_for_a_lead_gets_in_as_a_lead(console: Console, client: ClientSession) -> None:
    await console.deps.store.put_cover(Cover(person=TEACHER.ref, until=console.clock.now().date() + timedelta(days=3),
                                             set_by=str(LEAD.ref), set_at=console.clock.now()))
    reference = await console.report()
    token = await signed_in(client, console, TEACHER)
    async with client.post(f"/console/cases/{reference}/acknowledge", data={"csrf": token}) as acted:
        assert "acknowledged" in await acted.text()
    case = await console.deps.store.get_case(reference)
    assert case is not None
    assert case.acknowledged_by == str(TEACHER.ref)


async def test_acknowledging_a_case_someone_else_has_says_who_has_it(console: Console, client: ClientSession) -> None:
    reference = await console.report()
    await acknowledge(console.deps, DEPUTY, reference, event_id="deputy-ack")
    token = await signed_in(client, console, LEAD)
    async with client.post(f"/console/cases/{reference}/acknowledge", data={"csrf": token}) as acted:
        assert "was already acknowledged by Dee Deputy" in await acted.text()
    case = await console.deps.store.get_case(reference)
    assert case is not None
    assert case.acknowledged_by == str(DEPUTY.ref)


async def test_the_operations_page_tells_of_late_work_and_of_each_channel_as_the_admins_are_told(console: Console,
                                                                                                  client: ClientSession) -> None:
    """Work waiting past its time is described in the words the auditor's alert uses; a channel
    that is off names the setting that turns it on."""
    await console.deps.store.schedule_due(DueItem(queue=Queue.TIMERS, item_id="reminder-late", kind="reminder",
                                                  due_at=console.clock.now() - timedelta(minutes=7)))
    await signed_in(client, console, ADMIN)
    async with client.get("/console/operations") as page:
        text = unescape(await page.text())
    assert "1 item(s) have waited more than 2 minutes past their time, the oldest for 7 minutes (timers 1)" in text
    assert "off: WECOM_CORP_ID is not set" in text
