"""Script sets in the sidebar: folders to create, fill, collapse, rename and delete."""

import pytest
from playwright.sync_api import expect

from tests.browser.conftest import login, shot

pytestmark = pytest.mark.browser


def test_sets_are_folders_in_the_sidebar(page):
    login(page)
    page.click("#btn-new-set")
    page.fill("#new-set-id", "sidebar_ops")
    page.fill("#new-set-title", "Sidebar ops")
    page.click("#new-set-dialog [data-value='create']")
    folder = page.locator("li.script-set[data-set='sidebar_ops']")
    expect(folder.locator(".script-set-title")).to_have_text("Sidebar ops")
    expect(folder.locator(".script-set-count")).to_have_text("0")

    # "+" on the folder: the id gets the set's prefix.
    folder.locator(".script-set-add").click()
    expect(page.locator("#new-script-id")).to_have_value("sidebar_ops__")
    page.fill("#new-script-id", "sidebar_ops__disk")
    page.fill("#new-script-title", "Disk check")
    page.click("#new-script-dialog [data-value='create']")
    expect(page.locator("#script-id-label")).to_have_text("sidebar_ops__disk")
    expect(folder.locator(".script-item")).to_have_count(1)
    expect(folder.locator(".script-set-count")).to_have_text("1")
    shot(page, "script-sets-sidebar")

    # Collapsing a folder hides its scripts and survives a reload.
    folder.locator(".script-set-toggle").click()
    expect(folder.locator(".script-item")).to_have_count(0)
    page.reload()
    page.wait_for_selector("body[data-ready='1']")
    expect(page.locator("li.script-set[data-set='sidebar_ops'] .script-item")).to_have_count(0)
    folder.locator(".script-set-toggle").click()
    expect(folder.locator(".script-item")).to_have_count(1)

    # Rename the title; delete needs the set's id typed.
    folder.locator(".script-set-menu").click()
    page.fill("#set-title-input", "Ops checks")
    page.click("#set-dialog [data-value='save']")
    expect(folder.locator(".script-set-title")).to_have_text("Ops checks")
    folder.locator(".script-set-menu").click()
    page.click("#set-dialog [data-value='delete']")
    expect(page.locator("#set-dialog")).to_be_visible()  # nothing typed: nothing deleted
    page.fill("#set-delete-confirm", "sidebar_ops")
    page.click("#set-dialog [data-value='delete']")
    expect(page.locator("li.script-set[data-set='sidebar_ops']")).to_have_count(0)
    expect(page.locator("#welcome")).to_be_visible()
