"""A fresh install, as a new user meets it, in English and in Chinese: the generated password's
banner, the example set, and the guided path Run → Publish → cron job → Metrics → Logs."""

import re

import pytest
from playwright.sync_api import expect

from tests.browser.conftest import shot
from tests.conftest import running_server

pytestmark = pytest.mark.browser

TEXT = {
    "en": {"start": "Start with the examples", "publish": "Publish", "success": "Success"},
    "zh": {"start": "从示例开始", "publish": "发布", "success": "成功"},
}


@pytest.mark.parametrize("language", ["en", "zh"])
def test_a_new_user_follows_the_guide_from_examples_to_metrics_and_logs(
    browser, tmp_path, language
):
    data_dir = tmp_path / "fresh"
    data_dir.mkdir()
    with running_server(data_dir, FUNCPAD_ADMIN_USERNAME="", FUNCPAD_ADMIN_PASSWORD="") as base:
        password = (data_dir / "initial_admin_password").read_text().strip()
        context = browser.new_context(
            viewport={"width": 1400, "height": 860},
            base_url=base,
            locale="zh-CN" if language == "zh" else "en-US",
            extra_http_headers={"Accept-Language": "zh-CN" if language == "zh" else "en"},
        )
        page = context.new_page()
        errors: list[str] = []
        page.on("pageerror", lambda error: errors.append(str(error)))
        page.goto("/login")
        # The first-start hint names the password file; it wraps between words, not inside.
        hint = page.locator(".hint")
        expect(hint.locator("code")).to_contain_text("initial_admin_password")
        assert hint.evaluate("el => getComputedStyle(el).wordBreak") != "break-all"
        assert hint.evaluate("el => getComputedStyle(el).overflowWrap") == "break-word"
        page.fill("#username", "admin")
        page.fill("#password", password)
        page.click("#login-submit")
        page.wait_for_selector("body[data-ready='1']")
        # The generated password is still in use: every page says so until it is changed.
        expect(page.locator("#password-banner")).to_be_visible()
        shot(page, f"first-run-welcome-{language}")

        page.get_by_role("button", name=TEXT[language]["start"]).click()
        expect(page.locator("#script-id-label")).to_have_text("example_collector")
        guide = page.locator("#guide")
        expect(guide.locator("li[data-step=open]")).to_have_class("done")
        expect(guide.locator("li.next")).to_have_attribute("data-step", "run")
        shot(page, f"first-run-guide-{language}")

        expect(page.locator("#func-picker")).to_have_value("collect")
        page.click("#btn-run")
        expect(page.locator("#output-status")).to_have_text(TEXT[language]["success"])
        expect(page.locator(".output-logs")).to_contain_text("web-1: CPU")
        expect(guide.locator("li[data-step=run]")).to_have_class("done")

        page.click("#btn-publish")
        page.locator("#publish-dialog [data-value='publish']").click()
        expect(page.locator("#publish-dialog")).to_have_count(0)
        expect(guide.locator("li[data-step=publish]")).to_have_class("done")

        guide.locator("li[data-step=cron] a").click()
        expect(page.locator("#job-func")).to_have_value("example_collector.collect")
        page.click("[data-schedule-mode=expression]")
        page.fill("#job-crontab", "* * * * *")
        page.click("#save-job")
        expect(page).to_have_url(re.compile("/crontab$"))
        expect(guide.locator("li[data-step=cron]")).to_have_class("done")

        guide.locator("li[data-step=metrics] a").click()
        expect(page.locator(".u-legend")).to_contain_text("usage")
        expect(guide.locator("li[data-step=metrics]")).to_have_class("done")
        shot(page, f"first-run-metrics-{language}")

        guide.locator("li[data-step=logs] a").click()
        expect(page.locator(".log-table")).to_contain_text("CPU at")
        expect(guide.locator(".guide-done")).to_be_visible()
        shot(page, f"first-run-done-{language}")
        guide.locator("#guide-close").click()
        expect(page.locator("#guide")).to_have_count(0)

        # The second example reads JSON over HTTP from the URL in EXAMPLE_URL: the embedded
        # receiver's /v1/ping, reachable under the default network policy (nothing outside).
        page.goto("/scripts/example_http_json")
        expect(page.locator("#func-picker")).to_have_value("fetch")
        page.click("#btn-run")
        expect(page.locator("#output-status")).to_have_text(TEXT[language]["success"])
        expect(page.locator("#return-value")).to_contain_text('"version"')

        # Changing the password ends the reminder.
        page.goto("/settings/password")
        page.fill("input[name=current_password]", password)
        page.fill("input[name=new_password]", "a-new-password-1")
        page.fill("input[name=confirm_password]", "a-new-password-1")
        page.click("form.stack button[type=submit]")
        page.goto("/scripts")
        expect(page.locator("#password-banner")).to_have_count(0)
        context.close()
        assert errors == []
