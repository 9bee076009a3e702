"""Task records page in a real browser: a run from the editor shows up with its log."""

import pytest
from playwright.sync_api import expect

from tests.browser.conftest import login, shot
from tests.browser.test_editor import new_script, replace_editor_text

pytestmark = pytest.mark.browser


def test_editor_run_appears_in_task_records(page):
    login(page)
    new_script(page, "recorded", "Recorded")
    replace_editor_text(page, "def main(x=2):\n    print('doubling', x)\n    return x * 2\n")
    expect(page.locator("#func-picker")).to_have_value("main")
    page.click("#btn-run")
    expect(page.locator("#return-value")).to_have_text("4")

    page.click("#nav-tasks")
    page.select_option("#task-filters select[name=origin]", "debug")
    row = page.locator("#task-table tr", has_text="recorded.main").first
    expect(row).to_contain_text("success")
    shot(page, "task-records")
    row.locator("a").first.click()
    expect(page.locator("#task-status")).to_have_text("success")
    expect(page.locator("#task-log")).to_contain_text("doubling 2")
    expect(page.locator("#task-return")).to_have_text("4")
    shot(page, "task-detail")
