"""Driving Debian's chromium headless through Playwright (no browser download), saving a
screenshot of each page the tests visit under test-output/console/ for review."""

from __future__ import annotations

import os
import re
import shutil
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from pathlib import Path

from playwright.async_api import Page, async_playwright

CHROMIUM = os.environ.get("ESAFETY_CHROMIUM", "/usr/bin/chromium")
SCREENSHOTS = Path(os.environ.get("ESAFETY_TEST_OUTPUT", "test-output")) / "console"


AXE = Path(__file__).parent / "a11y" / "node_modules" / "axe-core" / "axe.min.js"
SERIOUS = ("serious", "critical")


@asynccontextmanager
async def browser_page(*, bypass_csp: bool = False) -> AsyncIterator[Page]:
    """A fresh browser page; `bypass_csp` only to inject the accessibility checker into a page whose
    policy (rightly) allows no script."""
    if shutil.which(CHROMIUM) is None:
        raise RuntimeError(f"no chromium at {CHROMIUM}: `make test` installs Debian's chromium and chromium-driver")
    async with async_playwright() as playwright:
        browser = await playwright.chromium.launch(executable_path=CHROMIUM, args=["--no-sandbox"])
        try:
            context = await browser.new_context(viewport={"width": 1200, "height": 900}, locale="en-GB", bypass_csp=bypass_csp)
            yield await context.new_page()
        finally:
            await browser.close()


async def snap(page: Page, name: str) -> Path:
    SCREENSHOTS.mkdir(parents=True, exist_ok=True)
    path = SCREENSHOTS / f"{re.sub(r'[^a-z0-9_-]+', '-', name.lower())}.png"
    await page.screenshot(path=str(path), full_page=True)
    return path


async def serious_violations(page: Page) -> list[str]:
    """axe-core's serious and critical findings on the page as it is now (WCAG 2.1 A and AA rules)."""
    if not AXE.exists():
        raise RuntimeError(f"no {AXE}: `make axe` (part of `make test`) installs axe-core from the npm registry")
    await page.add_script_tag(path=str(AXE))
    result = await page.evaluate("axe.run(document, {runOnly: {type: 'tag', values: ['wcag2a', 'wcag2aa', 'wcag21a', 'wcag21aa']}})")
    return [f"{v['id']} ({v['impact']}): {v['help']} at {[n['target'] for n in v['nodes']][:3]}"
            for v in result["violations"] if v["impact"] in SERIOUS]
