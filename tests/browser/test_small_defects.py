"""The smaller things the walk-through tripped on, each checked in the browser."""

import re

import pytest
from playwright.sync_api import expect

from tests.browser.conftest import login, shot
from tests.browser.test_editor import api, new_script, replace_editor_text

pytestmark = pytest.mark.browser

CODE = "@DFF.API('Job')\ndef job():\n    return 1\n"


def test_switching_scripts_resets_the_cursor_position(page):
    login(page)
    new_script(page, "cursor_a", "Cursor A")
    replace_editor_text(page, "a = 1\nb = 2\nc = 3\n")
    expect(page.locator("#status-cursor")).to_contain_text("Ln 4")
    page.keyboard.press("Control+s")
    expect(page.locator("#status-save")).to_have_text("Saved")
    new_script(page, "cursor_b", "Cursor B")
    expect(page.locator("#status-cursor")).to_have_text("Ln 1, Col 1")


def test_a_script_id_over_64_characters_is_refused_with_a_message(page):
    login(page)
    page.click("#btn-new-script")
    page.fill("#new-script-id", "x" * 300)
    page.fill("#new-script-title", "Too long")
    assert len(page.input_value("#new-script-id")) == 300  # not cut silently
    page.click("#new-script-dialog [data-value='create']")
    error = page.locator("#new-script-dialog .alert-error")
    expect(error).to_contain_text("at most 64 characters")
    expect(page.locator("#new-script-dialog")).to_be_visible()


def test_the_history_panel_uses_the_one_time_format(page):
    login(page)
    api(page, "POST", "/scripts", {"id": "histfmt", "title": "Hist", "code": CODE})
    api(page, "POST", "/scripts/histfmt/publish", {"note": "first"})
    page.goto("/scripts/histfmt")
    page.click("#btn-history")
    meta = page.locator(".revision-meta").first
    expect(meta).to_have_text(re.compile(r"^\d{4}-\d\d-\d\d \d\d:\d\d:\d\d · "))
    assert not re.search(r"AM|PM|/", meta.inner_text())


def test_one_field_is_singular_on_metrics(page):
    login(page)
    token = page.locator('meta[name="csrf-token"]').get_attribute("content")
    written = page.request.post(
        "/v1/write/metric", data="single_field,host=a only=1\n", headers={"X-CSRFToken": token}
    )
    assert written.ok
    page.goto("/explore/metrics")
    item = page.locator("#measurement-list li", has_text="single_field")
    expect(item).to_contain_text("1 field")
    assert "1 fields" not in item.inner_text()


def test_the_timezone_field_is_searchable_canonical_and_starts_with_the_browsers_zone(
    browser, live_server
):
    context = browser.new_context(base_url=live_server, timezone_id="Europe/Oslo")
    page = context.new_page()
    login(page)
    api(page, "POST", "/scripts", {"id": "tzpick", "title": "Tz", "code": CODE})
    api(page, "POST", "/scripts/tzpick/publish", {})
    page.goto("/crontab/new")
    zones = page.eval_on_selector_all("#timezone-list option", "els => els.map(e => e.value)")
    assert zones[0] == "Europe/Oslo"
    assert "Asia/Shanghai" in zones and "UTC" in zones
    assert not {"Factory", "localtime", "Asia/Calcutta"} & set(zones)
    assert len(zones) < 450
    page.fill("#job-timezone", "Asia/Shanghai")
    page.click("[data-schedule-mode=expression]")
    page.fill("#job-crontab", "0 8 * * *")
    expect(page.locator("#preview li").first).to_contain_text("(Asia/Shanghai)")
    context.close()


def test_the_diff_marker_has_a_glyph_every_font_has(page):
    login(page)
    long_code = "".join(f"line_{i} = {i}\n" for i in range(40))
    api(page, "POST", "/scripts", {"id": "diffmark", "title": "Diff", "code": long_code})
    api(page, "POST", "/scripts/diffmark/publish", {})
    page.goto("/scripts/diffmark")
    replace_editor_text(page, long_code.replace("line_20 = 20", "line_20 = 'changed'"))
    page.keyboard.press("Control+s")
    page.click("#btn-diff")
    marker = page.locator("#diff-dialog .cm-collapsedLines").first
    expect(marker).to_be_visible()
    content = marker.evaluate("el => getComputedStyle(el, '::before').content")
    assert content == '"⋯"'
    shot(page, "diff-collapsed-marker")


def test_task_record_filters_are_labelled_and_wide_enough(page):
    login(page)
    page.goto("/tasks")
    fields = page.locator("#task-filters .filter-field")
    expect(fields).to_have_count(6)
    for index in range(6):
        field = fields.nth(index)
        assert field.locator("span").inner_text().strip()
        control = field.locator("input, select")
        assert control.bounding_box()["width"] >= 170
    shot(page, "task-filters")
