"""A real gunicorn server on 127.0.0.1 and Debian's chromium driven by Playwright."""

from __future__ import annotations

import os
from pathlib import Path

import pytest

from tests.conftest import LIVE_ADMIN as ADMIN

ROOT = Path(__file__).resolve().parents[2]
SCREENSHOTS = Path(__file__).resolve().parent / "screenshots"
CHROMIUM = os.environ.get("FUNCPAD_CHROMIUM", "/usr/bin/chromium")
CHROMIUM_FLAGS = [
    "--no-sandbox",
    "--disable-gpu",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--no-first-run",
]


@pytest.fixture(scope="session")
def browser():
    from playwright.sync_api import sync_playwright

    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_FLAGS)
        yield browser
        browser.close()


@pytest.fixture
def page(browser, live_server):
    yield from _page_on(browser, live_server)


@pytest.fixture
def fresh_page(browser, fresh_live_server):
    """A page on a server of its own (for tests that count the data they wrote)."""
    yield from _page_on(browser, fresh_live_server)


def _page_on(browser, base_url: str):
    context = browser.new_context(viewport={"width": 1400, "height": 860}, base_url=base_url)
    page = context.new_page()
    errors: list[str] = []
    page.on("pageerror", lambda error: errors.append(str(error)))
    yield page
    context.close()
    assert errors == [], f"JavaScript errors on the page: {errors}"


def shot(page, name: str) -> None:
    """Save a screenshot for a human to look at (tests/browser/screenshots, not committed)."""
    SCREENSHOTS.mkdir(exist_ok=True)
    page.screenshot(path=str(SCREENSHOTS / f"{name}.png"))


def login(page, username: str = ADMIN[0], password: str = ADMIN[1]) -> None:
    page.goto("/login")
    page.fill("#username", username)
    page.fill("#password", password)
    page.click("#login-submit")
    page.wait_for_selector("body[data-ready='1']")
