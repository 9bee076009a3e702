"""The Run experience in a real browser: picker, kwargs, live log, result, errors, Stop, lint."""

import pytest
from playwright.sync_api import expect

from tests.browser.conftest import login, shot
from tests.browser.test_editor import api, new_script, replace_editor_text

pytestmark = pytest.mark.browser

CODE = '''import time

@DFF.API('Hello')
def hello(name='world', times=3):
    """Say hello a few times."""
    for i in range(times):
        print('Hello,', name, i)
        time.sleep(0.3)
    return {'greeting': f'Hello, {name}!', 'times': times}


def broken(x=1):
    y = x + 1
    return y / 0


def slow():
    print('starting')
    time.sleep(30)


def _private():
    pass
'''


def test_run_stream_result_error_and_stop(page):
    login(page)
    new_script(page, "runner", "Runner")
    replace_editor_text(page, CODE)
    picker = page.locator("#func-picker")
    expect(picker.locator("option")).to_have_count(3)  # _private is not offered
    expect(picker).to_have_value("hello")
    expect(page.locator("#kwargs-input")).to_have_value('{"name":"world","times":3}')

    page.fill("#kwargs-input", '{"name": "ops", "times": 3}')
    page.click(".cm-content")
    page.keyboard.press("Control+Enter")
    # The first line shows while the run is still going (live log), with the timing prefix.
    first = page.locator(".log-line").first
    expect(first).to_contain_text("Hello, ops 0")
    expect(page.locator("#btn-stop")).to_be_visible()
    expect(first.locator(".log-prefix")).to_have_text(
        __import__("re").compile(r"^\[\d\d-\d\d \d\d:\d\d:\d\d\] \[\+\d+ms\] \[\d+ms\]$")
    )
    shot(page, "run-live")
    expect(page.locator("#return-value")).to_contain_text('"greeting": "Hello, ops!"')
    expect(page.locator(".log-line")).to_have_count(3)
    expect(page.locator(".output-call")).to_contain_text('hello(name="ops", times=3)')
    expect(page.locator(".output-facts")).to_contain_text("Peak memory")
    expect(page.locator("#output-status")).to_have_text("Success")
    expect(page.locator("#status-save")).to_have_text("Saved")  # the run saved the draft first
    shot(page, "run-result")

    records = page.request.get("/api/v1/task-records?origin=debug").json()
    assert records[0]["func_id"] == "runner.hello" and records[0]["status"] == "success"

    # An error: traceback with a clickable line that moves the cursor there.
    picker.select_option("broken")
    page.click("#btn-run")
    expect(page.locator(".output-error")).to_contain_text("ZeroDivisionError")
    expect(page.locator(".cm-run-error-line")).to_have_count(1)
    page.locator(".error-line-link").first.click()
    expect(page.locator("#status-cursor")).to_contain_text("Ln 14")
    shot(page, "run-error")

    # Stop a long run.
    picker.select_option("slow")
    page.click("#btn-run")
    expect(page.locator(".log-line").first).to_contain_text("starting")
    page.click("#btn-stop")
    expect(page.locator("#output-status")).to_have_text("Stopped")
    expect(page.locator("#btn-run")).to_be_visible()
    for _ in range(50):
        slow = page.request.get("/api/v1/task-records?func_id=runner.slow").json()[0]
        if slow["status"] != "running":
            break
        page.wait_for_timeout(100)
    assert slow["status"] == "failure" and slow["error"]["type"] == "Stopped"

    # kwargs are remembered per function.
    picker.select_option("hello")
    expect(page.locator("#kwargs-input")).to_have_value('{"name": "ops", "times": 3}')
    page.fill("#kwargs-input", "[1, 2]")
    page.click("#btn-run")
    expect(page.locator("#kwargs-error")).to_contain_text("JSON object")


def test_lint_and_completion(page):
    login(page)
    new_script(page, "linted", "Linted")
    replace_editor_text(page, "import os\n\ndef main():\n    return undefined_name\n")
    expect(page.locator(".cm-lintRange-error")).to_have_count(1)
    expect(page.locator(".cm-lintRange-warning")).to_have_count(1)
    page.keyboard.press("Control+End")
    page.keyboard.type("\ndk = DFF.SRC('datakit')\ndk.write_")
    completion = page.locator(".cm-tooltip-autocomplete")
    expect(completion).to_contain_text("write_metric")
    expect(completion).to_contain_text("write_logging")
    page.keyboard.press("Escape")
    page.keyboard.type("\nDFF.E")
    expect(completion).to_contain_text("ENV")
    shot(page, "completion")
    assert api(page, "GET", "/scripts/linted")["id"] == "linted"
