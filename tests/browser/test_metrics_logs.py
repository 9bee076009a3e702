"""Issue 4's end to end in the browser: the walk-through script runs from the editor, and its
points appear in the Metrics chart and the Logs list."""

import pytest
from playwright.sync_api import expect

from tests.browser.conftest import login, shot
from tests.browser.test_editor import new_script, replace_editor_text
from tests.test_walkthrough import WALK_THROUGH

pytestmark = pytest.mark.browser


def test_walk_through_from_the_editor_to_metrics_and_logs(fresh_page):
    page = fresh_page
    login(page)
    new_script(page, "walk_ui", "DataKit demo")
    replace_editor_text(page, WALK_THROUGH)
    expect(page.locator("#func-picker")).to_have_value("datakit_demo")
    page.click("#btn-run")
    expect(page.locator(".log-line").first).to_contain_text("OK")
    expect(page.locator("#output-status")).to_have_text("Success")
    shot(page, "walk-through-run")

    page.click("#open-metrics")
    page.wait_for_selector("body[data-ready='1']")
    page.click("[data-measurement='datakit_demo']")
    expect(page.locator("#field-picker")).to_contain_text("value")
    expect(page.locator("#chart canvas")).to_be_visible()
    expect(page.locator(".u-legend")).to_contain_text("type=some_integer")
    expect(page.locator("#latest-body tr")).to_have_count(1)
    # Hovering the chart shows a value in the legend.
    overlay = page.locator("#chart .u-over")
    expect(overlay).to_be_visible()
    page.wait_for_timeout(300)  # the chart is drawn again once the tag list has loaded
    box = overlay.bounding_box()
    # The points cover the last 30 minutes of the 1 h window: hover in that half.
    page.mouse.move(box["x"] + box["width"] * 0.75, box["y"] + box["height"] / 2)
    expect(page.locator(".u-legend .u-value").nth(1)).not_to_have_text("--")
    shot(page, "metrics")

    page.click("#nav-logs")
    page.wait_for_selector("body[data-ready='1']")
    page.select_option("#source-filter", "datakit_demo")
    expect(page.locator(".log-row")).to_have_count(30)
    expect(page.locator(".log-row").first.locator(".level")).to_have_text("info")
    page.fill("#text-filter", "value is")
    expect(page.locator(".log-row")).to_have_count(30)
    page.locator(".log-row").first.click()
    expect(page.locator(".log-detail").first).to_contain_text('"type": "some_log"')
    page.select_option("#status-filter", "error")
    expect(page.locator(".log-row")).to_have_count(0)
    shot(page, "logs")
