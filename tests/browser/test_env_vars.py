"""Environment variables page in a real browser, and a script reading them."""

import pytest
from playwright.sync_api import expect

from tests.browser.conftest import login, shot
from tests.browser.test_editor import new_script, replace_editor_text

pytestmark = pytest.mark.browser


def add(page, name, type_, value):
    page.fill("#env-name", name)
    page.select_option("#env-type", type_)
    page.fill("#env-value", value)
    page.click("#env-add")


def test_env_vars_page_and_a_script_reading_them(page):
    login(page)
    page.click("#nav-env-vars")
    add(page, "retries", "integer", "3")
    add(page, "api_key", "password", "s3cr3t-value")
    add(page, "broken", "integer", "three")
    expect(page.locator(".flash-error")).to_contain_text("must be a whole number")
    expect(page.locator("#env-table tr[data-name='retries']")).to_contain_text("3")
    row = page.locator("#env-table tr[data-name='api_key']")
    expect(row).to_contain_text("password")
    expect(page.locator("body")).not_to_contain_text("s3cr3t-value")
    shot(page, "env-vars")

    row.get_by_role("link", name="Edit").click()
    expect(page.locator("tr.editing input[name='value']")).to_have_attribute("type", "password")
    expect(page.locator("tr.editing input[name='value']")).to_have_value("")

    page.goto("/scripts")
    page.wait_for_selector("body[data-ready='1']")
    new_script(page, "envuser", "Env user")
    replace_editor_text(
        page,
        "def main():\n    print('key', DFF.ENV('api_key'))\n    return DFF.ENV('retries') * 2\n",
    )
    expect(page.locator("#func-picker")).to_have_value("main")
    page.click("#btn-run")
    expect(page.locator("#return-value")).to_have_text("6")
    expect(page.locator(".log-line").first).to_contain_text("key *****")

    page.click("#nav-sandbox")
    expect(page.locator("#layers")).to_contain_text("bubblewrap")
    shot(page, "sandbox")
