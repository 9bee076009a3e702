"""Connectors page in a real browser: the default embedded connector answers its Test."""

import pytest
from playwright.sync_api import expect

from tests.browser.conftest import login, shot
from tests.conftest import free_port

pytestmark = pytest.mark.browser


def test_connectors_page_add_and_test(page):
    login(page)
    page.click("#nav-connectors")
    expect(page.locator("#connector-table tr[data-id='datakit']")).to_contain_text("embedded")
    page.click("[data-test='datakit']")
    expect(page.locator("[data-result='datakit']")).to_contain_text("✓ DataKit")

    port = free_port()
    page.fill("#connector-id", "offline")
    page.select_option("form[data-connector-form] [data-mode-select]", "host")
    expect(page.locator("form[data-connector-form] input[name='url']")).to_be_hidden()
    page.fill("form[data-connector-form] input[name='host']", "127.0.0.1")
    page.fill("form[data-connector-form] input[name='port']", str(port))
    page.click("#connector-add")
    expect(page.locator(".flash-success")).to_contain_text("offline")
    page.click("[data-test='offline']")
    expect(page.locator("[data-result='offline']")).to_contain_text("refused")
    shot(page, "connectors")

    page.fill("#connector-id", "broken")
    page.select_option("form[data-connector-form] [data-mode-select]", "url")
    page.fill("form[data-connector-form] input[name='url']", "ftp://nope")
    page.click("#connector-add")
    expect(page.locator(".flash-error")).to_contain_text("url")
