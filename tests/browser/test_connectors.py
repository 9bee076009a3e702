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


def test_a_mysql_connector_made_in_the_form(page, mysql_server):
    """The type picker shows the type's own fields; the password is never put back in the
    page; Test connects to a real MariaDB through the sandbox."""
    login(page)
    page.click("#nav-connectors")
    expect(page.locator("#connector-type option[value='mongodb']")).to_be_disabled()
    page.fill("#connector-id", "mysql_form")
    page.select_option("#connector-type", "mysql")
    expect(page.locator("form[data-connector-form] input[name='url']")).to_be_hidden()
    form = page.locator("form[data-connector-form]").first
    form.locator("[data-field='mysql.host']").fill("127.0.0.1")
    form.locator("[data-field='mysql.port']").fill(str(mysql_server["port"]))
    form.locator("[data-field='mysql.user']").fill(mysql_server["user"])
    form.locator("[data-field='mysql.password']").fill(mysql_server["password"])
    form.locator("[data-field='mysql.database']").fill(mysql_server["database"])
    page.click("#connector-add")
    expect(page.locator(".flash-success")).to_contain_text("mysql_form")
    row = page.locator("#connector-table tr[data-id='mysql_form']")
    expect(row).to_contain_text(f"127.0.0.1:{mysql_server['port']}")
    page.click("[data-test='mysql_form']")
    expect(page.locator("[data-result='mysql_form']")).to_contain_text("✓ connected: ")
    expect(page.locator("[data-result='mysql_form']")).to_contain_text("MariaDB")
    shot(page, "connectors-mysql")
    assert mysql_server["password"] not in page.content()

    row.get_by_role("link", name="Edit").click()
    editing = page.locator("tr.editing form")
    expect(editing.locator("[data-field='mysql.password']")).to_have_value("*****")
    editing.locator("[data-field='mysql.database']").fill("other_db")
    editing.get_by_role("button", name="Save").click()
    expect(page.locator(".flash-success")).to_contain_text("mysql_form")
    page.click("[data-test='mysql_form']")  # the stored password was kept: now the db is wrong
    expect(page.locator("[data-result='mysql_form']")).to_contain_text("may not use it")
    assert mysql_server["password"] not in page.content()
