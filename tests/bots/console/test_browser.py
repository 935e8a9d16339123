"""The console in a real browser (Debian's chromium, headless): sign-in through the fake school
identity provider, a lead acknowledging, noting and closing a case, an admin refused a case's
words, a stranger refused, a forged form refused, and an idle session ending. Each page is
saved as a screenshot under test-output/console/."""

from __future__ import annotations

import re
from collections.abc import AsyncIterator

import pytest
from playwright.async_api import Page, expect

from handlers.messenger import Message
from handlers.outbox import outbox_item
from handlers.read_trail import CONSOLE
from state.models import Group, GroupKey, Member, Supervision
from state.records import CaseState, Outcome
from tests.bots.console.browser import browser_page, snap
from tests.bots.console.conftest import ADMIN, HEAD, LEAD, REPORT_WORDS, STUDENT, Console

pytestmark = pytest.mark.timeout(180)
HEAD_REF = HEAD.ref


@pytest.fixture
async def page() -> AsyncIterator[Page]:
    async with browser_page() as opened:
        yield opened


async def sign_in_as(page: Page, console: Console, name: str, shots: str = "") -> None:
    await page.goto(console.url + "/console")
    await expect(page.get_by_role("heading", name="Sign in")).to_be_visible()
    if shots:
        await snap(page, f"{shots}-sign-in")
    await page.get_by_role("link", name="Sign in with your school account").click()
    await expect(page.get_by_role("heading", name="Demo school sign-in")).to_be_visible()
    await page.get_by_role("link", name=name).click()


async def test_a_lead_acknowledges_notes_and_closes_a_case(console: Console, page: Page) -> None:
    reference = await console.report()
    refused_by_policy: list[str] = []
    page.on("console", lambda message: refused_by_policy.append(message.text) if "Content Security Policy" in message.text else None)
    await sign_in_as(page, console, "Lee Lead", shots="lead")
    await expect(page.get_by_role("heading", name="Open concerns")).to_be_visible()
    await expect(page.get_by_label("Refresh this page every 30 seconds")).to_be_checked()  # and it can be turned off
    new = page.locator("section.queue.new")
    await expect(new.get_by_role("link", name=reference)).to_be_visible()
    await expect(new).to_contain_text("5A")
    await snap(page, "queue")

    await new.get_by_role("link", name=reference).click()
    await expect(page.get_by_role("heading", name=reference)).to_be_visible()
    await expect(page.get_by_text(REPORT_WORDS)).to_have_count(0)  # the words only on request
    await snap(page, "case")
    await page.get_by_role("button", name="Show the report's words").click()
    await expect(page.get_by_text(REPORT_WORDS)).to_be_visible()
    await snap(page, "case-words")

    await page.get_by_role("button", name="Acknowledge: I have this case").click()
    await expect(page.get_by_role("status")).to_contain_text(f"{reference} acknowledged")
    await page.get_by_label("Add a note").fill("rang home at 10:00; mum is coming in")
    await page.get_by_role("button", name="Add note").click()
    await expect(page.get_by_role("status")).to_contain_text("note")
    await page.get_by_label("Close with outcome").select_option(Outcome.PARENTS_INFORMED.value)
    await page.get_by_label("Reason").fill("spoke with mum and the class teacher")
    await page.get_by_role("button", name="Close case").click()
    await expect(page.get_by_role("status")).to_contain_text("parents informed")
    await expect(page.locator("h1 .state")).to_have_text("closed")
    await snap(page, "case-closed")
    assert refused_by_policy == []  # the pages' own script and styles are all the policy allows, and all they use

    case = await console.deps.store.get_case(reference)
    assert case is not None
    assert case.state is CaseState.CLOSED
    assert case.outcome is Outcome.PARENTS_INFORMED
    assert case.acknowledged_by == str(LEAD.ref)
    staff_steps = [(step.action, step.actor) for step in case.steps if step.actor == str(LEAD.ref)]
    assert staff_steps == [("read", str(LEAD.ref)), ("acknowledged", str(LEAD.ref)), ("note", str(LEAD.ref)),
                           ("closed", str(LEAD.ref))]
    assert next(step for step in case.steps if step.action == "read").detail["how"] == CONSOLE
    audited = [action for action, actor, outcome in await console.audit("case.") if actor == str(LEAD.ref) and outcome == reference]
    assert audited == ["case.text_read", "case.acknowledged", "case.note", "case.closed"]


async def test_an_admin_sees_the_case_but_not_its_words(console: Console, page: Page) -> None:
    reference = await console.report()
    await sign_in_as(page, console, "Adam Admin")
    await page.get_by_role("link", name=reference).click()
    await expect(page.get_by_text("Not shown to you")).to_be_visible()
    await expect(page.get_by_role("button", name="Show the report's words")).to_have_count(0)
    await expect(page.get_by_role("button", name="Acknowledge: I have this case")).to_have_count(0)
    await expect(page.get_by_text("Amira Pupil")).to_have_count(0)  # nor who the child is
    await snap(page, "case-as-admin")
    token = await page.locator("input[name=csrf]").first.get_attribute("value")
    answer = await page.request.post(f"{console.url}/console/cases/{reference}/words", form={"csrf": token or ""})
    assert answer.status == 403
    assert REPORT_WORDS not in await answer.text()
    assert (await console.audit("case.text_refused")) == [("case.text_refused", str(ADMIN.ref), reference)]
    acting = await page.request.post(f"{console.url}/console/cases/{reference}/acknowledge", form={"csrf": token or ""})
    assert acting.status == 403
    case = await console.deps.store.get_case(reference)
    assert case is not None
    assert case.acknowledged_by is None


async def test_a_stranger_is_refused(console: Console, page: Page) -> None:
    await sign_in_as(page, console, "Vic Visitor")
    await expect(page.get_by_role("heading", name="Not on the school's roster")).to_be_visible()
    await snap(page, "refused-stranger")
    await page.goto(console.url + "/console")
    await expect(page.get_by_role("heading", name="Sign in")).to_be_visible()
    assert [action for action, _, _ in await console.audit("console.")] == ["console.refused"]


async def test_a_form_without_the_sessions_token_is_refused(console: Console, page: Page) -> None:
    reference = await console.report()
    await sign_in_as(page, console, "Lee Lead")
    await expect(page.get_by_role("heading", name="Open concerns")).to_be_visible()
    for forged in ({}, {"csrf": "not-the-token"}):  # as a page on another site would send it, with the lead's cookie
        answer = await page.request.post(f"{console.url}/console/cases/{reference}/acknowledge", form=forged)
        assert answer.status == 403
    case = await console.deps.store.get_case(reference)
    assert case is not None
    assert case.acknowledged_by is None
    assert [action for action, _, _ in await console.audit("console.csrf_refused")] == ["console.csrf_refused"] * 2


async def test_an_idle_session_ends(console: Console, page: Page) -> None:
    await sign_in_as(page, console, "Lee Lead")
    await expect(page.get_by_role("heading", name="Open concerns")).to_be_visible()
    for _ in range(3):  # each click starts the idle time again
        console.clock.advance(29 * 60)
        await page.reload()
        await expect(page.get_by_role("heading", name="Open concerns")).to_be_visible()
    console.clock.advance(31 * 60)
    await page.reload()
    await expect(page.get_by_role("heading", name="Sign in")).to_be_visible()
    await expect(page.get_by_role("status")).to_contain_text("Your session ended")
    await snap(page, "session-ended")


async def test_the_groups_page_filters_by_class_and_by_state(console: Console, page: Page) -> None:
    now = console.clock.now()
    for conversation, class_name, state in (("19:5a", "5A", Supervision.SUPERVISED), ("19:6b", "6B", Supervision.UNSUPERVISED)):
        await console.deps.store.register_group(Group(key=GroupKey("teams", conversation), name=f"{class_name} class chat", joined_at=now,
                                                      class_name=class_name, supervision=state, supervision_since=now))
    await console.deps.store.set_group_members(GroupKey("teams", "19:5a"), [Member(user_id=STUDENT.user_id), Member(user_id="guest-1")])
    await sign_in_as(page, console, "Adam Admin")
    await page.get_by_role("link", name="Groups").click()
    rows = page.locator("tbody tr")
    await expect(rows).to_have_count(2)
    await expect(rows.first).to_contain_text("6B class chat")  # the unsupervised one first
    await snap(page, "groups")
    await page.get_by_label("Class").select_option("5A")
    await page.get_by_role("button", name="Show").click()
    await expect(rows).to_have_count(1)
    await expect(rows.first).to_contain_text("5A class chat")
    await expect(rows.first.locator("td").nth(4)).to_have_text("1")  # the guest
    await page.get_by_label("Class").select_option("")
    await page.get_by_label("State").select_option("unsupervised")
    await page.get_by_role("button", name="Show").click()
    await expect(rows).to_have_count(1)
    await expect(rows.first).to_contain_text("6B class chat")
    assert REPORT_WORDS not in await page.content()


async def test_an_undelivered_message_is_sent_again_from_the_operations_page(console: Console, page: Page) -> None:
    store, now = console.deps.store, console.clock.now()
    item = outbox_item(HEAD_REF, Message(key="case.escalated_head"), key="C-2026-000009|step3|head", due_at=now)
    await store.schedule_due(item)
    [claim] = await store.claim_due(item.queue, limit=1, lease_seconds=60)
    await store.park_due(claim, error="unreachable: the head has no personal chat with the bot")
    await sign_in_as(page, console, "Adam Admin")
    await page.get_by_role("link", name="Operations").click()
    await expect(page.get_by_role("heading", name="Operations")).to_be_visible()
    waiting = page.locator("tr.undelivered")
    await expect(waiting).to_have_count(1)
    await expect(waiting.first).to_contain_text("Hal Head (head)")
    await expect(waiting.first).to_contain_text("parked")
    await snap(page, "operations")
    await waiting.first.get_by_role("button", name=re.compile(r"^Send [0-9a-f]{8} again now$")).click()
    await expect(page.get_by_role("status")).to_contain_text("1 message(s) will be sent again now")
    again = await store.get_due(item.queue, item.item_id)
    assert again is not None
    assert again.due_at <= console.clock.now()
    assert await store.list_parked(item.queue) == []
    assert [(action, actor) for action, actor, _ in await console.audit("outbox.")] == [("outbox.retried", str(ADMIN.ref))]
    await expect(page.locator("tr.channel").first).to_contain_text("yes")  # a lead is on the Teams roster
    await page.get_by_role("button", name="Verify the audit log").click()
    await expect(page.get_by_text("Intact:")).to_be_visible()
    await page.get_by_role("button", name="Run doctor").click()
    await expect(page.locator(".findings")).to_contain_text("console sign-in")
