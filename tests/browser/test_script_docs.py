"""The Script API page from the editor: its toolbar's Docs menu, and "Open docs" on a
completion, both land on the entry of what the script uses."""

import pytest
from playwright.sync_api import expect

from tests.browser.conftest import login, shot
from tests.browser.test_editor import new_script

pytestmark = pytest.mark.browser


def test_docs_from_the_toolbar_and_from_a_completion(page):
    login(page)
    new_script(page, "docs_user", "Docs user")
    page.click("#btn-docs")
    expect(page.locator("#docs-http-api")).to_have_attribute("href", "/api-docs")
    with page.context.expect_page() as opened:
        page.click("#docs-script-api")
    docs = opened.value
    docs.wait_for_load_state()
    expect(docs.locator("h1")).to_contain_text("Script API")
    expect(docs.locator("[id='DFF.API'] .doc-example")).to_contain_text("@DFF.API(")
    expect(docs.locator("[id='datakit.write_metric'] .badge")).to_contain_text(".write_point")
    expect(docs.locator("#_DFF_FUNC_ID")).to_be_visible()
    shot(docs, "script-docs")
    docs.close()

    # Typing DFF.SRC('datakit'). offers the helper's methods, each with its docs.
    page.click(".cm-content")
    page.keyboard.press("Control+End")
    page.keyboard.type("\ndatakit = DFF.SRC('datakit')\ndatakit.write_m")
    option = page.locator(".cm-tooltip-autocomplete li", has_text="write_metric").first
    expect(option).to_be_visible()
    # Other completion sources may rank first: move the selection to write_metric itself.
    selected = page.locator(".cm-tooltip-autocomplete li[aria-selected=true] .cm-completionLabel")
    for _ in range(12):
        if selected.inner_text() == "write_metric":
            break
        page.keyboard.press("ArrowDown")
    expect(selected).to_have_text("write_metric")
    # The selected option's docs show beside the list (CodeMirror draws them a moment later).
    link = page.locator(".cm-completionInfo .completion-docs-link")
    expect(link).to_be_visible(timeout=15000)
    href = link.get_attribute("href")
    assert href == "/docs/scripts#datakit.write_metric", href
    expect(page.locator(".completion-doc")).to_contain_text("metric point")
    shot(page, "completion-docs")
