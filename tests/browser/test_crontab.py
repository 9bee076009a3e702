"""Cron job pages in a real browser: the form's simple mode and live preview, Run now, records."""

import re

import pytest
from playwright.sync_api import expect

from tests.browser.conftest import login, shot
from tests.browser.test_editor import api

pytestmark = pytest.mark.browser

CODE = "@DFF.API('Nightly report')\ndef report(target='ops', days=1):\n    print('report for', target)\n    return days\n"


def test_create_a_job_from_the_form_run_it_and_see_the_record(page):
    login(page)
    api(page, "POST", "/scripts", {"id": "nightly", "title": "Nightly", "code": CODE})
    api(page, "POST", "/scripts/nightly/publish", {})

    page.click("#nav-crontab")
    page.click("#new-job")
    page.select_option("#job-func", "nightly.report")
    expect(page.locator("#job-kwargs")).to_have_value('{\n  "target": "ops",\n  "days": 1\n}')
    # Simple mode writes the expression and the preview explains it.
    page.select_option("#simple-kind", "daily")
    page.fill("#simple-time", "06:30")
    page.locator("#simple-time").dispatch_event("change")
    expect(page.locator("#job-crontab")).to_have_value("30 6 * * *")
    expect(page.locator("#preview")).to_contain_text("At 06:30")
    expect(page.locator("#preview li")).to_have_count(5)
    page.fill("#job-timezone", "Asia/Shanghai")
    expect(page.locator("#preview li").first).to_contain_text("06:30:00 (Asia/Shanghai)")
    shot(page, "crontab-form")

    page.select_option("#simple-kind", "specific")
    page.select_option("#pick-minutes", ["0", "30"])
    page.select_option("#pick-hours", ["8", "20"])
    page.select_option("#pick-weekdays", ["1", "5"])
    expect(page.locator("#job-crontab")).to_have_value("0,30 8,20 * * 1,5")
    expect(page.locator("#preview")).to_contain_text("Monday")

    page.click("[data-schedule-mode=expression]")
    page.fill("#job-crontab", "61 * * * *")
    expect(page.locator("#preview")).to_contain_text("minute")
    page.fill("#job-crontab", "*/10 * * * *")
    expect(page.locator("#preview")).to_contain_text("Every 10 minutes")
    page.fill("#job-tags", "reports, nightly")
    page.click("#save-job")

    expect(page).to_have_url("/crontab")
    row = page.locator("#job-table tbody tr").first
    expect(row).to_contain_text("Nightly report")
    expect(row).to_contain_text("*/10 * * * *")
    expect(row.locator(".tag-chip")).to_have_count(2)
    row.locator(".job-run").click()
    expect(page.locator("#job-table tbody tr").first.locator(".level")).to_have_text("success")
    shot(page, "crontab-list")
    page.locator("#job-table tbody tr").first.get_by_role("link", name="Records").click()
    expect(page.locator("#task-table [data-origin=manual]")).to_have_count(1)
    expect(page.locator("#task-table")).to_contain_text("nightly.report")
    page.locator("#task-table tbody tr a").first.click()
    expect(page.locator("#task-log")).to_contain_text("report for ops")
    expect(page.locator("#task-job")).to_have_attribute("href", re.compile(r"/crontab/.+/edit"))
