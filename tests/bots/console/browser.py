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


@asynccontextmanager
async def browser_page() -> AsyncIterator[Page]:
    if shutil.which(CHROMIUM) is None:
        raise RuntimeError(f"no chromium at {CHROMIUM}: `make test` installs Debian's chromium and chromium-driver")
    async with async_playwright() as playwright:
        browser = await playwright.chromium.launch(executable_path=CHROMIUM, args=["--no-sandbox"])
        try:
            context = await browser.new_context(viewport={"width": 1200, "height": 900}, locale="en-GB")
            yield await context.new_page()
        finally:
            await browser.close()


async def snap(page: Page, name: str) -> Path:
    SCREENSHOTS.mkdir(parents=True, exist_ok=True)
    path = SCREENSHOTS / f"{re.sub(r'[^a-z0-9_-]+', '-', name.lower())}.png"
    await page.screenshot(path=str(path), full_page=True)
    return path
