"""The System page in a browser: the platform's figures, and charts of the history it sends to
its own datakit connector (a live server with its scheduler pushing every second)."""

import time

import pytest
import requests
from playwright.sync_api import expect
from prometheus_client.parser import text_string_to_metric_families

from tests.browser.conftest import _page_on, login, shot
from tests.conftest import make_api_token, running_server

pytestmark = pytest.mark.browser


@pytest.fixture
def pushing_server(tmp_path):
    data_dir = tmp_path / "system"
    data_dir.mkdir()
    with running_server(data_dir, FUNCPAD_SCHEDULER="on", FUNCPAD_SELF_METRICS_SECONDS="1") as base:
        yield base, make_api_token(data_dir)


def run_some(base: str, token: str, count: int) -> None:
    headers = {"Authorization": f"Bearer {token}"}
    code = "def f(n=0):\n    if n % 3 == 2:\n        raise ValueError(n)\n    return n\n"
    created = requests.post(
        f"{base}/api/v1/scripts", json={"id": "sys", "title": "Sys", "code": code},
        headers=headers, timeout=30,
    )  # fmt: skip
    assert created.status_code == 201, created.text
    for n in range(count):
        requests.post(
            f"{base}/api/v1/scripts/sys/run", json={"func": "f", "kwargs": {"n": n}},
            headers=headers, timeout=60,
        )  # fmt: skip


def test_the_system_page_charts_what_the_platform_sent_itself(browser, pushing_server):
    base, token = pushing_server
    run_some(base, token, 3)
    time.sleep(3)  # pushes with the first runs
    run_some_more = requests.post(
        f"{base}/api/v1/scripts/sys/run", json={"func": "f", "kwargs": {"n": 4}},
        headers={"Authorization": f"Bearer {token}"}, timeout=60,
    )  # fmt: skip
    assert run_some_more.json()["status"] == "success"
    time.sleep(3)
    # Prometheus reads the same figures over HTTP.
    text = requests.get(
        f"{base}/metrics", headers={"Authorization": f"Bearer {token}"}, timeout=10
    ).text
    found = {
        (s.name, tuple(sorted(s.labels.items()))): s.value
        for family in text_string_to_metric_families(text)
        for s in family.samples
    }
    assert found[("funcpad_runs_total", (("origin", "debug"), ("status", "success")))] == 3
    assert found[("funcpad_runs_total", (("origin", "debug"), ("status", "failure")))] == 1
    assert found[("funcpad_scheduler_active", ())] == 1
    assert found[("funcpad_receiver_points_total", (("category", "metric"),))] > 0

    for page in _page_on(browser, base):
        login(page, "admin", "browser-admin-pw")
        page.goto("/admin/system")
        page.wait_for_selector("body[data-ready='1']")
        expect(page.locator("#stat-runs")).to_have_text("4")
        expect(page.locator("#stat-executor")).to_have_text("inprocess")
        expect(page.locator("#runs-table")).to_contain_text("failure")
        shot(page, "system")
        for chart in ("#chart-runs", "#chart-queue", "#chart-slots", "#chart-lag"):
            expect(page.locator(f"{chart} canvas")).to_be_visible()
        expect(page.locator("#chart-runs .u-legend")).to_contain_text("success")
        shot(page, "system")
        landed = page.goto("/metrics?range=1h")  # an old link to the Metrics explorer
        assert landed.url == f"{base}/explore/metrics?range=1h"
        assert landed.request.redirected_from.url == f"{base}/metrics?range=1h"
        page.wait_for_selector("body[data-ready='1']")
        page.click("[data-measurement='funcpad_runner_slots']")
        expect(page.locator("#chart canvas")).to_be_visible()
