"""Every page runs under its Content-Security-Policy (no inline script) without one violation."""

import pytest
import requests
from playwright.sync_api import expect

from tests.browser.conftest import login
from tests.browser.test_editor import new_script, replace_editor_text

pytestmark = pytest.mark.browser

WATCH_VIOLATIONS = """
window.__cspViolations = [];
document.addEventListener("securitypolicyviolation", (event) => {
  window.__cspViolations.push(`${event.violatedDirective}: ${event.blockedURI || "inline"}`);
});
"""


def test_every_page_runs_under_the_csp_without_a_violation(page, live_server):
    console: list[str] = []
    page.on(
        "console",
        lambda message: (
            console.append(message.text) if "Content Security Policy" in message.text else None
        ),
    )
    page.add_init_script(WATCH_VIOLATIONS)
    seen: dict[str, list[str]] = {}

    def visit(path: str, ready: str = "body") -> None:
        response = page.goto(path)
        assert response.status == 200, path
        csp = response.headers.get("content-security-policy", "")
        assert "script-src 'self'" in csp and "frame-ancestors 'none'" in csp, path
        assert response.headers.get("x-content-type-options") == "nosniff", path
        page.wait_for_selector(ready)
        seen[path] = page.evaluate("window.__cspViolations")

    visit("/login")
    login(page)
    new_script(page, "cspcheck", "CSP check")
    replace_editor_text(page, "def main():\n    print('under the policy')\n    return 1\n")
    expect(page.locator("#func-picker")).to_have_value("main")
    page.click("#btn-run")
    expect(page.locator("#return-value")).to_have_text("1")
    seen["/scripts/cspcheck (run)"] = page.evaluate("window.__cspViolations")
    for path, ready in (
        ("/scripts", "body[data-ready='1']"),
        ("/scripts/cspcheck", "body[data-ready='1']"),
        ("/env-vars", "main"),
        ("/connectors", "main"),
        ("/explore/metrics", "body[data-ready='1']"),
        ("/logs", "body[data-ready='1']"),
        ("/crontab", "main"),
        ("/crontab/new", "main"),
        ("/tasks", "#task-table"),
        ("/admin/sandbox", "#layers"),
        ("/settings/tokens", "main"),
        ("/settings/sessions", "#sessions-table"),
        ("/settings/password", "main"),
        ("/api-docs", "#create_script"),
        ("/docs/scripts", "[id='DFF.API']"),
    ):
        visit(path, ready)
    # The scripts moved out of the pages still work: a filter applies on change, a connector
    # test runs, and a task record opens.
    page.goto("/tasks")
    page.select_option("#task-filters select[name=origin]", "debug")
    page.wait_for_url("**origin=debug**")
    page.locator("#task-table tr a").first.click()
    expect(page.locator("#task-status")).to_have_text("success")
    seen["task detail"] = page.evaluate("window.__cspViolations")
    page.goto("/connectors")
    page.click("[data-test='datakit']")
    expect(page.locator("[data-result='datakit']")).to_contain_text("✓")
    seen["connector test"] = page.evaluate("window.__cspViolations")

    assert {path: found for path, found in seen.items() if found} == {}
    assert console == []


def test_api_answers_say_nosniff(live_server):
    response = requests.get(f"{live_server}/api/v1/scripts", timeout=5)
    assert response.status_code == 401
    assert response.headers["X-Content-Type-Options"] == "nosniff"
    assert "Content-Security-Policy" not in response.headers  # JSON is no page
