"""Export and import in a real browser: download an export, then import a DataFlux Func zip
(built here to its documented layout), see the preview, confirm, and find the scripts."""

import io
import re
import zipfile

import pytest
import yaml
from playwright.sync_api import expect

from tests.browser.conftest import login, shot
from tests.browser.test_editor import api

pytestmark = pytest.mark.browser

HELLO = "@DFF.API('Hi')\ndef hi(who='dff'):\n    return 'hi ' + who\n"


def dff_export() -> bytes:
    meta = {
        "version": 2,
        "scriptSets": [{"id": "dffdemo", "title": "DFF demo", "requirements": "arrow",
                        "scripts": [{"id": "dffdemo__hello", "title": "Hello", "type": "python"}]}],
        "cronJobs": [{"id": "dffdemo-cron", "funcId": "dffdemo__hello.hi",
                      "funcCallKwargsJSON": {"who": "cron"}, "cronExpr": "*/15 * * * *"}],
        "syncAPIs": [{"id": "dffdemo-sync", "funcId": "dffdemo__hello.hi", "funcCallKwargsJSON": {}}],
        "extra": {"note": "made by DataFlux Func"},
    }  # fmt: skip
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w") as archive:
        archive.writestr("dataflux-func-export/META.yaml", yaml.safe_dump(meta))
        archive.writestr("dataflux-func-export/script-sets/dffdemo/hello.py", HELLO)
    return buffer.getvalue()


def test_export_then_import_with_preview_and_confirm(page, live_server, tmp_path):
    login(page)
    api(page, "POST", "/scripts", {"id": "xfer__one", "title": "One", "code": HELLO})
    api(page, "POST", "/scripts/xfer__one/publish", {})
    page.goto("/scripts")
    page.click("#link-transfer")
    expect(page.locator("h1")).to_have_text("Export and import")
    page.check("input[name=script_set_ids][value=xfer]")
    page.check("input[name=include_cron_jobs]")
    page.fill("textarea[name=note]", "from the browser")
    shot(page, "transfer-page")
    with page.expect_download() as download_info:
        page.click("#export-submit")
    download = download_info.value
    assert re.match(r"dataflux-func-\d{8}_\d{6}\.zip", download.suggested_filename)
    exported = zipfile.ZipFile(download.path())
    assert "script-sets/xfer/one.py" in exported.namelist()
    assert yaml.safe_load(exported.read("META.yaml"))["extra"]["note"] == "from the browser"

    upload = tmp_path / "from-dff.zip"
    upload.write_bytes(dff_export())
    page.set_input_files("#import-file", str(upload))
    page.click("#import-submit")
    expect(page.locator("h1")).to_have_text("Import preview")
    diff = page.locator("#import-diff")
    expect(diff.locator("tr[data-id=dffdemo]")).to_contain_text("added")
    expect(diff.locator("tr[data-id=dffdemo-cron]")).to_contain_text("dffdemo__hello.hi")
    expect(diff.locator("tr[data-id=dffdemo-sync]")).to_contain_text("Sync API")
    expect(page.locator("main")).to_contain_text("arrow")
    expect(page.locator("main")).to_contain_text("made by DataFlux Func")
    shot(page, "transfer-preview")
    page.click("#import-confirm")
    expect(page.locator(".flash, .alert").first).to_contain_text("Imported: 3 added, 0 replaced.")
    scripts = api(page, "GET", "/scripts")
    assert "dffdemo__hello" in [s["id"] for s in scripts]
    jobs = api(page, "GET", "/crontab-configs")
    assert any(j["id"] == "dffdemo-cron" and j["kwargs"] == {"who": "cron"} for j in jobs)
    called = api(page, "POST", "/funcs/dffdemo__hello.hi/call", {"kwargs": {}})
    assert called["return_value"] == "hi dff"

    # The same zip again replaces: a restore point is saved first and listed.
    page.set_input_files("#import-file", str(upload))
    page.click("#import-submit")
    expect(page.locator("#import-diff tr[data-id=dffdemo]")).to_contain_text("replaced")
    page.click("#import-confirm")
    expect(page.locator("body")).to_contain_text("A restore point was saved first")
    expect(page.locator("main a.data").first).to_have_text(
        re.compile(r"\d{8}T\d{6}Z-[0-9a-f]{8}\.zip")
    )
    shot(page, "transfer-restore-point")
