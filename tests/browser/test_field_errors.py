"""Errors a user can cause are said once, next to their field, in our words and the page's
language: bad arguments JSON (with line and column), an unknown argument, a bad env value,
a bad cron field."""

import re

import pytest
from playwright.sync_api import expect

from tests.browser.conftest import login, shot
from tests.browser.test_editor import api, new_script, replace_editor_text

pytestmark = pytest.mark.browser

CODE = "@DFF.API('Greet')\ndef greet(name='ops'):\n    return 'hi ' + name\n"


def test_bad_arguments_in_the_editor_are_marked_at_the_field_without_moving_it(page):
    login(page)
    new_script(page, "argcheck", "Arg check")
    replace_editor_text(page, CODE)
    expect(page.locator("#func-picker")).to_have_value("greet")
    box = page.locator("#kwargs-input")
    before = box.bounding_box()
    box.fill('{"name": "a",\n "x": }')
    page.click("#btn-run")
    error = page.locator("#kwargs-error")
    expect(error).to_have_text(re.compile(r"Not valid JSON: line 1, column \d+\."))
    expect(box).to_have_attribute("aria-invalid", "true")
    after = box.bounding_box()
    assert (after["width"], after["height"]) == (before["width"], before["height"])
    shot(page, "kwargs-json-error")
    # An argument the function does not take: said once, at the field, not in the output too.
    box.fill('{"nam": "ops"}')
    page.click("#btn-run")
    expect(error).to_contain_text("takes no argument named")
    assert page.locator("#output-body").inner_text().count("takes no argument") == 0
    # Fixed: the mark goes away and the run works.
    box.fill('{"name": "ops"}')
    page.click("#btn-run")
    expect(page.locator("#return-value")).to_have_text('"hi ops"')
    expect(box).not_to_have_attribute("aria-invalid", "true")
    expect(error).to_have_text("")


def test_the_cron_form_puts_each_error_next_to_its_field(page):
    login(page)
    api(page, "POST", "/scripts", {"id": "cronfield", "title": "Cron field", "code": CODE})
    api(page, "POST", "/scripts/cronfield/publish", {})
    page.goto("/crontab/new")
    page.select_option("#job-func", "cronfield.greet")
    page.fill("#job-kwargs", '{\n  "name": \n}')
    page.click("#save-job")
    expect(page.locator("#job-kwargs-error")).to_have_text(re.compile(r"line 3, column 1\."))
    expect(page.locator("#job-kwargs")).to_have_attribute("aria-invalid", "true")
    page.fill("#job-kwargs", '{"nme": 1}')
    page.click("#save-job")
    expect(page.locator("#job-kwargs-error")).to_contain_text("takes no argument named nme")
    assert "kwargs:" not in page.locator("#job-kwargs-error").inner_text()
    page.fill("#job-kwargs", "{}")
    page.click("[data-schedule-mode=expression]")
    page.fill("#job-crontab", "61 * * * *")
    page.click("#save-job")
    expect(page.locator("#job-crontab-error")).to_contain_text("minute: 61 is outside 0-59")
    expect(page.locator("#job-crontab")).to_have_attribute("aria-invalid", "true")
    expect(page.locator("#job-kwargs")).not_to_have_attribute("aria-invalid", "true")
    shot(page, "crontab-field-errors")


def test_messages_are_our_words_in_chinese(page):
    login(page)
    page.goto("/lang/zh?next=/env-vars")
    page.fill("#env-name", "RETRIES")
    page.select_option("#env-create select[name=type]", "integer")
    page.fill("#env-value", "three")
    page.click("#env-add")
    flash = page.locator(".flash-error")
    expect(flash).to_contain_text("整数")
    assert "invalid literal" not in flash.inner_text()
    api(page, "POST", "/scripts", {"id": "cronzh", "title": "Cron zh", "code": CODE})
    api(page, "POST", "/scripts/cronzh/publish", {})
    page.goto("/crontab/new")
    page.select_option("#job-func", "cronzh.greet")
    page.click("[data-schedule-mode=expression]")
    page.fill("#job-crontab", "61 * * * *")
    expect(page.locator("#preview")).to_contain_text("分钟：61 超出范围 0-59")
    shot(page, "crontab-error-zh")
    page.goto("/lang/en?next=/scripts")
