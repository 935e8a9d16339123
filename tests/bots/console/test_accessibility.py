"""Every console page checked with axe-core in the browser (WCAG 2.1 A and AA): no serious or
critical violation. Each page is also reached and used from the keyboard alone where it has a
control to use."""

from __future__ import annotations

import re

import pytest
from playwright.async_api import Page, expect

from handlers.messenger import Message
from handlers.outbox import outbox_item
from state.models import Group, GroupKey, Supervision
from tests.bots.console.browser import browser_page, serious_violations
from tests.bots.console.conftest import HEAD, Console

pytestmark = pytest.mark.timeout(180)


async def signed_in_as(page: Page, console: Console, name: str) -> None:
    await page.goto(console.url + "/console")
    assert await serious_violations(page) == [], "sign-in page"
    await page.get_by_role("link", name="Sign in with your school account").click()
    await page.get_by_role("link", name=name).click()
    await expect(page.get_by_role("heading", name="Open concerns")).to_be_visible()


async def test_every_page_a_lead_sees_has_no_serious_violation(console: Console) -> None:
    reference = await console.report()
    await console.deps.store.register_group(Group(key=GroupKey("teams", "19:5a"), name="5A class chat", joined_at=console.clock.now(),
                                                  class_name="5A", supervision=Supervision.UNSUPERVISED,
                                                  supervision_since=console.clock.now()))
    async with browser_page(bypass_csp=True) as page:
        await signed_in_as(page, console, "Lee Lead")
        assert await serious_violations(page) == [], "queue"
        await page.goto(f"{console.url}/console/cases/{reference}")
        assert await serious_violations(page) == [], "case"
        await page.get_by_role("button", name="Show the report's words").click()
        assert await serious_violations(page) == [], "case with its words"
        for path in ("/console/groups", "/console/operations"):
            await page.goto(console.url + path)
            assert await serious_violations(page) == [], path


async def test_refusal_pages_have_no_serious_violation(console: Console) -> None:
    async with browser_page(bypass_csp=True) as page:
        await page.goto(console.url + "/console/sign-in")
        await page.get_by_role("link", name="Sign in with your school account").click()
        await page.get_by_role("link", name="Vic Visitor").click()
        await expect(page.get_by_role("heading", name="Not on the school's roster")).to_be_visible()
        assert await serious_violations(page) == [], "refused"


async def test_a_lead_acknowledges_from_the_keyboard_alone(console: Console) -> None:
    reference = await console.report()
    async with browser_page() as page:
        await page.goto(console.url + "/console/sign-in")
        for control, next_heading in (("Sign in with your school account", "Demo school sign-in"), ("Lee Lead", "Open concerns"),
                                      (reference, reference)):
            await _tab_to(page, control)
            await page.keyboard.press("Enter")
            await expect(page.get_by_role("heading", name=next_heading)).to_be_visible()
        await _tab_to(page, "Acknowledge: I have this case")
        await page.keyboard.press("Enter")
        await expect(page.get_by_role("status")).to_contain_text(f"{reference} acknowledged")


async def _tab_to(page: Page, name: str, limit: int = 40) -> None:
    """Press Tab until the focused control is the one named (as a keyboard user would)."""
    for _ in range(limit):
        await page.keyboard.press("Tab")
        focused = await page.evaluate("document.activeElement && document.activeElement.textContent.trim()")
        if focused == name:
            return
    raise AssertionError(f"{name!r} was not reached with Tab")


async def test_an_admin_filters_groups_and_sends_a_message_again_from_the_keyboard_alone(console: Console) -> None:
    now = console.clock.now()
    await console.deps.store.register_group(Group(key=GroupKey("teams", "19:5a"), name="5A class chat", joined_at=now, class_name="5A",
                                                  supervision=Supervision.SUPERVISED, supervision_since=now))
    item = outbox_item(HEAD.ref, Message(key="case.escalated_head"), key="C-2026-000009|step3|head", due_at=now)
    await console.deps.store.schedule_due(item)
    [claim] = await console.deps.store.claim_due(item.queue, limit=1, lease_seconds=60)
    await console.deps.store.park_due(claim, error="unreachable")
    async with browser_page() as page:
        await page.goto(console.url + "/console/sign-in")
        for control, next_heading in (("Sign in with your school account", "Demo school sign-in"), ("Adam Admin", "Open concerns"),
                                      ("Groups", "Class groups")):
            await _tab_to(page, control)
            await page.keyboard.press("Enter")
            await expect(page.get_by_role("heading", name=next_heading)).to_be_visible()
        await page.keyboard.press("Tab")  # past the nav and the header to the class filter
        await _tab_to_field(page, "filter-class")
        await page.keyboard.press("ArrowDown")  # the first class after "all classes"
        await _tab_to(page, "Show")
        await page.keyboard.press("Enter")
        await expect(page).to_have_url(re.compile(r"[?&]class=5A"))  # the filtered page, not the one before it (also one row)
        await expect(page.locator("tbody tr")).to_have_count(1)
        await _tab_to(page, "Operations")
        await page.keyboard.press("Enter")
        await expect(page.get_by_role("heading", name="Operations")).to_be_visible()
        await _tab_to(page, "Send again now")
        await page.keyboard.press("Enter")
        await expect(page.get_by_role("status")).to_contain_text("1 message(s) will be sent again now")


async def _tab_to_field(page: Page, element_id: str, limit: int = 40) -> None:
    for _ in range(limit):
        if await page.evaluate("document.activeElement && document.activeElement.id") == element_id:
            return
        await page.keyboard.press("Tab")
    raise AssertionError(f"#{element_id} was not reached with Tab")
