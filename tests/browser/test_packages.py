"""The Packages page in a real browser: install with live pip output, the installed list, a
script set's requirements in one click, uninstall after a confirmation."""

from __future__ import annotations

import shutil
import tempfile
from pathlib import Path

import pytest
from playwright.sync_api import expect

from tests.browser.conftest import _page_on, login, shot
from tests.conftest import running_server

pytestmark = [pytest.mark.browser, pytest.mark.needs_package_index]


@pytest.fixture
def packages_page(browser, tmp_path):
    base = Path(tempfile.mkdtemp(prefix="funcpad-packages-browser-"))
    base.chmod(0o755)
    data_dir = tmp_path / "live"
    data_dir.mkdir()
    try:
        with running_server(data_dir, FUNCPAD_USER_PACKAGES=str(base / "packages")) as url:
            yield from _page_on(browser, url)
    finally:
        shutil.rmtree(base, ignore_errors=True)


def test_install_follow_and_uninstall_on_the_packages_page(packages_page):
    page = packages_page
    login(page)
    csrf = page.locator('meta[name="csrf-token"]').get_attribute("content")
    headers = {"X-CSRFToken": csrf}
    assert page.request.post("/api/v1/script-sets", data={"id": "report"}, headers=headers).ok
    patched = page.request.patch(
        "/api/v1/script-sets/report", data={"requirements": "tabulate\n"}, headers=headers
    )
    assert patched.ok, patched.text()
    page.click("#nav-packages")
    expect(page.locator("#pkg-installed")).to_contain_text("Nothing installed here yet.")
    expect(page.locator("#pkg-sets tr[data-set='report']")).to_contain_text("tabulate")

    page.fill("#pkg-requirements", "six==1.16.0  # older than the runtime's\n")
    page.click("#pkg-install")
    expect(page.locator("#pkg-install")).to_be_disabled()
    expect(page.locator("#pkg-job-status")).to_have_text("success", timeout=180_000)
    expect(page.locator("#pkg-output")).to_contain_text("Successfully installed six-1.16.0")
    expect(page.locator("#pkg-installed tr[data-package='six']")).to_contain_text("1.16.0")
    expect(page.locator("#pkg-install")).to_be_enabled()
    shot(page, "packages-installed")

    page.click("[data-install-set='report']")
    expect(page.locator("#pkg-output")).to_contain_text("pip install tabulate")
    expect(page.locator("#pkg-job-status")).to_have_text("success", timeout=180_000)
    expect(page.locator("#pkg-installed tr[data-package='tabulate']")).to_be_visible()

    page.click("[data-uninstall='six']")
    page.click("[data-confirm-ok]")
    expect(page.locator("#pkg-output")).to_contain_text("removed six")
    expect(page.locator("#pkg-installed tr[data-package='six']")).to_have_count(0)
    page.reload()
    expect(page.locator("#pkg-recent tbody tr")).to_have_count(3)
    expect(page.locator("#pkg-recent")).to_contain_text("uninstalled: six")
    shot(page, "packages-after")

    page.fill("#pkg-requirements", "--index-url http://127.0.0.1:1/simple six")
    page.click("#pkg-install")
    expect(page.locator(".toast").last).to_contain_text("pip options are not accepted")
