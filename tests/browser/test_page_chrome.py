"""What every page shares: flash messages that never block the menu, an in-page confirmation
instead of the browser's confirm(), toasts instead of alert(), and the cron list that reports
every action and keeps itself current."""

import re

import pytest
from playwright.sync_api import expect

from tests.browser.conftest import login, shot
from tests.browser.test_editor import api

pytestmark = pytest.mark.browser

CODE = "@DFF.API('Tick')\ndef tick():\n    print('tick')\n    return 1\n"


def _element_at_center(page, selector: str) -> str:
    return page.evaluate(
        """(selector) => {
            const box = document.querySelector(selector).getBoundingClientRect();
            const el = document.elementFromPoint(box.x + box.width / 2, box.y + box.height / 2);
            return el.closest('a, button, .flash')?.outerHTML.slice(0, 80) || el.tagName;
        }""",
        selector,
    )


def test_a_flash_never_blocks_the_user_menu_and_can_be_dismissed(page):
    login(page)
    page.clock.install()
    page.goto("/env-vars")
    page.fill("#env-name", "FLASH_VAR")
    page.fill("#env-value", "1")
    page.click("#env-add")
    flash = page.locator(".flash-success")
    expect(flash).to_contain_text("FLASH_VAR")
    # While it shows, the open menu draws above it: its items are what a click hits.
    page.click("#user-menu")
    assert "API tokens" in _element_at_center(page, ".menu-items a[href='/settings/tokens']")
    shot(page, "flash-and-menu")
    page.keyboard.press("Escape")
    page.click("body", position={"x": 5, "y": 300})
    # After it fades it is gone from the page, not an invisible box over the menu.
    page.clock.fast_forward(8000)
    expect(flash).to_have_count(0)
    page.click("#user-menu")
    page.click(".menu-items a[href='/settings/tokens']")
    expect(page).to_have_url(re.compile("/settings/tokens$"))
    # An error stays until its ✕ is clicked.
    page.goto("/settings/password")
    page.fill("input[name=current_password]", "wrong")
    page.fill("input[name=new_password]", "new-password-1")
    page.fill("input[name=confirm_password]", "new-password-2")
    page.click("form.stack button[type=submit]")
    error = page.locator(".flash-error")
    expect(error).to_be_visible()
    page.clock.fast_forward(20000)
    expect(error).to_be_visible()
    error.locator(".flash-close").click()
    expect(error).to_have_count(0)


def test_confirmations_are_in_page_dialogs_not_the_browsers(page):
    dialogs: list[str] = []
    page.on("dialog", lambda dialog: (dialogs.append(dialog.message), dialog.dismiss()))
    login(page)
    page.goto("/env-vars")
    page.fill("#env-name", "DOOMED")
    page.fill("#env-value", "x")
    page.click("#env-add")
    row = page.locator("tr", has_text="DOOMED")
    row.locator("button.btn-danger").click()
    confirm = page.locator("dialog.confirm-dialog")
    expect(confirm).to_be_visible()
    expect(confirm).to_contain_text("DOOMED")
    shot(page, "confirm-dialog")
    confirm.get_by_role("button", name="Cancel").click()
    expect(row).to_have_count(1)
    row.locator("button.btn-danger").click()
    page.locator("dialog.confirm-dialog [data-confirm-ok]").click()
    expect(page.locator("tr", has_text="DOOMED")).to_have_count(0)
    assert dialogs == []


def test_the_cron_list_reports_each_action_and_refreshes_itself(page):
    dialogs: list[str] = []
    page.on("dialog", lambda dialog: (dialogs.append(dialog.message), dialog.dismiss()))
    login(page)
    api(page, "POST", "/scripts", {"id": "ticker", "title": "Ticker", "code": CODE})
    api(page, "POST", "/scripts/ticker/publish", {})
    page.goto("/crontab/new")
    page.select_option("#job-func", "ticker.tick")
    page.click("[data-schedule-mode=expression]")
    page.fill("#job-crontab", "0 3 * * *")
    page.fill("#job-note", "chrome test")
    page.click("#save-job")
    expect(page).to_have_url(re.compile("/crontab$"))
    expect(page.locator(".toast-success")).to_contain_text("saved")
    row = page.locator("#job-table tbody tr", has_text="chrome test")
    job_id = row.get_attribute("data-id")

    # Bulk with nothing selected says so.
    page.click("[data-bulk=false]")
    expect(page.locator(".toast-info")).to_contain_text("Select one or more")

    # Another client runs the job; the list shows it without a reload, with a date.
    api(page, "POST", f"/crontab-configs/{job_id}/run")
    page.evaluate("document.dispatchEvent(new Event('visibilitychange'))")
    expect(row.locator(".job-last .level")).to_have_text("success")
    expect(row.locator(".job-last-at")).to_have_text(
        re.compile(r"^\d{4}-\d\d-\d\d \d\d:\d\d:\d\d$")
    )

    # Errors come as toasts: a job whose function is gone cannot be run.
    token = page.locator('meta[name="csrf-token"]').get_attribute("content")
    gone = page.request.delete("/api/v1/scripts/ticker", headers={"X-CSRFToken": token})
    assert gone.status == 204
    row.locator(".job-run").click()
    expect(page.locator(".toast-error")).to_be_visible()
    shot(page, "crontab-list-toasts")
    assert dialogs == []


def test_the_cron_preview_shows_weekdays_in_the_page_language(page):
    login(page)
    api(page, "POST", "/scripts", {"id": "weekly", "title": "Weekly", "code": CODE})
    api(page, "POST", "/scripts/weekly/publish", {})
    page.goto("/crontab/new")
    page.select_option("#job-func", "weekly.tick")
    page.click("[data-schedule-mode=expression]")
    page.fill("#job-crontab", "0 9 * * 3")  # Wednesdays
    first = page.locator("#preview li").first
    expect(first).to_have_text(re.compile(r"^Wed \d{4}-\d\d-\d\d 09:00:00 \("))
    page.goto("/lang/zh?next=/crontab/new")
    page.select_option("#job-func", "weekly.tick")
    page.click("[data-schedule-mode=expression]")
    page.fill("#job-crontab", "0 9 * * 3")
    expect(page.locator("#preview li").first).to_have_text(
        re.compile(r"^周三 \d{4}-\d\d-\d\d 09:00:00 \(")
    )
    shot(page, "crontab-preview-zh")
    page.goto("/lang/en?next=/scripts")
