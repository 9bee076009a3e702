"""The editor in a real browser: create, type, save with Ctrl+S, publish, history, diff, restore."""

import pytest
from playwright.sync_api import expect

from tests.browser.conftest import login, shot

pytestmark = pytest.mark.browser

FIRST = "def greet(name='ops'):\n    return 'hello ' + name\n"


def api(page, method: str, path: str, data=None):
    token = page.locator('meta[name="csrf-token"]').get_attribute("content")
    response = page.request.fetch(
        f"/api/v1{path}", method=method, data=data, headers={"X-CSRFToken": token}
    )
    assert response.ok, response.text()
    return response.json()


def new_script(page, script_id: str, title: str) -> None:
    page.click("#btn-new-script")
    page.fill("#new-script-id", script_id)
    page.fill("#new-script-title", title)
    page.click("#new-script-dialog [data-value='create']")
    expect(page.locator("#script-id-label")).to_have_text(script_id)
    expect(page).to_have_url(f"/scripts/{script_id}")


def replace_editor_text(page, text: str) -> None:
    page.click(".cm-content")
    page.keyboard.press("Control+a")
    page.keyboard.insert_text(text)


def test_login_page_and_bad_password(page):
    page.goto("/scripts")
    expect(page).to_have_url("/login?next=/scripts")
    shot(page, "login")
    page.fill("#username", "admin")
    page.fill("#password", "wrong-password")
    page.click("#login-submit")
    expect(page.locator("#login-error")).to_contain_text("Wrong username or password")


def test_write_save_publish_diff_restore(page):
    login(page)
    shot(page, "welcome")
    new_script(page, "collector", "Demo collector")

    replace_editor_text(page, FIRST)
    # Real key presses too: auto-indent after the colon keeps the body inside the function.
    page.keyboard.press("Control+End")
    page.keyboard.type("\ndef extra():\nreturn 42")
    expect(page.locator("#status-save")).to_have_text("Unsaved changes")
    page.keyboard.press("Control+s")
    expect(page.locator("#status-save")).to_have_text("Saved")
    draft = api(page, "GET", "/scripts/collector")["draft_code"]
    assert draft == FIRST + "\ndef extra():\n    return 42"
    expect(page.locator("[data-id='collector'] .unpublished-dot")).to_be_visible()
    shot(page, "editor")

    # Search and replace, then undo it: the editor's own history.
    page.keyboard.press("Control+f")
    expect(page.locator(".cm-search")).to_be_visible()
    page.fill(".cm-search input[name='search']", "ops")
    page.fill(".cm-search input[name='replace']", "devs")
    page.click(".cm-search button[name='replaceAll']")
    expect(page.locator(".cm-content")).to_contain_text("name='devs'")
    page.keyboard.press("Escape")
    page.click(".cm-content")
    page.keyboard.press("Control+z")
    expect(page.locator(".cm-content")).to_contain_text("name='ops'")
    expect(page.locator("#status-save")).to_have_text("Saved")

    # Publish with a note; the confirm dialog shows the diff against (nothing) published.
    page.click("#btn-publish")
    dialog = page.locator("#publish-dialog")
    expect(dialog.locator(".cm-mergeView")).to_be_visible()
    shot(page, "publish-dialog")
    page.fill("#publish-note", "first release")
    dialog.locator("[data-value='publish']").click()
    expect(page.locator(".toast")).to_contain_text("Published version 1")
    expect(page.locator("#status-publish")).to_contain_text("Published v1")
    expect(page.locator("[data-id='collector'] .badge-version")).to_have_text("v1")
    expect(page.locator("[data-id='collector'] .unpublished-dot")).to_have_count(0)

    # Change the draft, save, and compare it with v1 from the History panel.
    replace_editor_text(page, FIRST.replace("hello", "good morning"))
    page.keyboard.press("Control+s")
    expect(page.locator("#status-save")).to_have_text("Saved")
    expect(page.locator("#status-publish")).to_contain_text("unpublished changes")
    page.click("#btn-history")
    revision = page.locator("#revision-list .revision[data-version='1']")
    expect(revision).to_contain_text("first release")
    expect(revision).to_contain_text("admin")
    shot(page, "history")
    revision.locator("[data-action='diff-draft']").click()
    diff = page.locator("#diff-dialog")
    expect(diff.locator(".cm-mergeView")).to_be_visible()
    expect(diff.locator(".cm-changedLine").first).to_be_visible()
    expect(diff.locator(".cm-mergeView")).to_contain_text("good morning")
    shot(page, "diff-side-by-side")
    diff.locator(".seg[data-mode='inline']").click()
    expect(diff.locator(".cm-deletedChunk").first).to_be_visible()
    shot(page, "diff-inline")
    page.keyboard.press("Escape")
    expect(diff).to_have_count(0)

    # Restore v1 into the draft (accepting the in-page confirmation).
    revision.locator("[data-action='restore']").click()
    page.locator("dialog.confirm-dialog [data-confirm-ok]").click()
    expect(page.locator(".toast").last).to_contain_text("Version 1 restored")
    expect(page.locator(".cm-content")).to_contain_text("return 'hello ' + name")
    assert api(page, "GET", "/scripts/collector")["draft_code"] == FIRST + (
        "\ndef extra():\n    return 42"
    )
    expect(page.locator("#status-publish")).to_contain_text("draft is published")


def test_publish_error_jumps_to_line(page):
    login(page)
    new_script(page, "broken", "Broken")
    replace_editor_text(page, "x = 1\ny = 2\nz = (\n")
    page.click("#btn-publish")
    page.locator("#publish-dialog [data-value='publish']").click()
    error = page.locator("#publish-error")
    expect(error).to_contain_text("Line 3")
    expect(page.locator("#publish-dialog")).to_be_visible()
    # Said once, in our words, above the diff where the eye is.
    text = error.inner_text()
    assert text.count("Line 3") == 1 and "Syntax error on line" not in text, text
    diff_box = page.locator("#publish-dialog .diff-panel, #publish-dialog .cm-mergeView").first
    assert error.bounding_box()["y"] < diff_box.bounding_box()["y"]
    shot(page, "publish-syntax-error")
    assert api(page, "GET", "/scripts/broken/revisions") == []
    page.click("#publish-error-jump")
    expect(page.locator("#publish-dialog")).to_have_count(0)
    expect(page.locator("#status-cursor")).to_contain_text("Ln 3")


def test_conflict_dialog_offers_theirs_mine_and_diff(page):
    login(page)
    new_script(page, "shared", "Shared")
    script = api(page, "GET", "/scripts/shared")
    # Another tab saves first.
    api(
        page,
        "PUT",
        "/scripts/shared/draft",
        {"code": "theirs = True\n", "base_md5": script["draft_md5"]},
    )
    replace_editor_text(page, "mine = True\n")
    page.keyboard.press("Control+s")
    dialog = page.locator("#conflict-dialog")
    expect(dialog).to_be_visible()
    dialog.locator("#conflict-show-diff").click()
    expect(dialog.locator(".cm-mergeView")).to_contain_text("theirs = True")
    shot(page, "conflict")
    dialog.locator("[data-value='theirs']").click()
    expect(page.locator(".cm-content")).to_have_text("theirs = True")
    expect(page.locator("#status-save")).to_have_text("Saved")

    # Keep mine: overwrite theirs knowingly.
    current = api(page, "GET", "/scripts/shared")
    api(
        page,
        "PUT",
        "/scripts/shared/draft",
        {"code": "theirs = 2\n", "base_md5": current["draft_md5"]},
    )
    replace_editor_text(page, "mine = 2\n")
    page.keyboard.press("Control+s")
    page.locator("#conflict-dialog [data-value='mine']").click()
    expect(page.locator("#status-save")).to_have_text("Saved")
    assert api(page, "GET", "/scripts/shared")["draft_code"] == "mine = 2\n"


def test_unsaved_changes_warn_before_leaving(page):
    login(page)
    new_script(page, "careful", "Careful")
    replace_editor_text(page, "unsaved = 1\n")
    seen = []

    def on_dialog(dialog):
        seen.append(dialog.type)
        dialog.dismiss()

    page.on("dialog", on_dialog)
    # Opening another script asks in the page (not the browser's confirm), and Cancel stays.
    page.click("#btn-new-script")
    page.keyboard.press("Escape")
    page.evaluate(
        "history.pushState({}, '', '/scripts'); dispatchEvent(new PopStateEvent('popstate'))"
    )
    confirm = page.locator("dialog.confirm-dialog")
    expect(confirm).to_be_visible()
    confirm.get_by_role("button", name="Cancel").click()
    expect(page.locator("#script-id-label")).to_have_text("careful")
    # Closing the tab is the browser's own beforeunload prompt (the only one a page may use).
    page.close(run_before_unload=True)
    page.wait_for_timeout(300)
    assert seen == ["beforeunload"]


def test_delete_asks_for_the_id_then_deletes(page):
    login(page)
    new_script(page, "doomed", "Doomed")
    page.click("#btn-settings")
    page.click("#btn-delete-script")
    dialog = page.locator("#delete-dialog")
    dialog.locator("[data-value='delete']").click()  # without typing the id: nothing happens
    expect(dialog).to_be_visible()
    page.fill("#delete-confirm-input", "doomed")
    dialog.locator("[data-value='delete']").click()
    expect(page.locator("#welcome")).to_be_visible()
    expect(page.locator("[data-id='doomed']")).to_have_count(0)
    assert all(s["id"] != "doomed" for s in api(page, "GET", "/scripts"))


def test_dark_theme_tokens_and_logout(page):
    login(page)
    page.click("#theme-toggle")
    expect(page.locator("html")).to_have_attribute("data-theme", "dark")
    new_script(page, "themed", "Themed")
    expect(page.locator(".cm-editor")).to_have_css("background-color", "rgb(40, 44, 52)")
    shot(page, "editor-dark")
    page.reload()
    expect(page.locator("html")).to_have_attribute("data-theme", "dark")
    page.click("#theme-toggle")

    page.goto("/settings/tokens")
    page.fill("#token-name", "ci")
    page.click("#create-token")
    expect(page.locator("#new-token")).to_contain_text("fp_")
    shot(page, "tokens")

    page.click("#user-menu")
    page.click("#logout")
    expect(page).to_have_url("/login")
    page.goto("/scripts")
    expect(page).to_have_url("/login?next=/scripts")
