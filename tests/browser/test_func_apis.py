"""A Sync API made in the browser, then called as curl would (requests): its address, auth
(HTTP Basic and Digest), fixed kwargs, the list's curl example and an Async API's task."""

import json
import re
import time

import pytest
import requests
from playwright.sync_api import expect
from requests.auth import HTTPBasicAuth, HTTPDigestAuth

from tests.browser.conftest import _page_on, login, shot
from tests.browser.test_editor import api
from tests.conftest import running_server

pytestmark = pytest.mark.browser

CODE = (
    "@DFF.API('Greet')\n"
    "def greet(name='world', greeting='Hello'):\n"
    "    return {'text': f'{greeting}, {name}!', 'origin': _DFF_ORIGIN}\n"
)


def test_create_a_sync_api_in_the_form_and_call_it_with_auth(page, live_server):
    login(page)
    api(page, "POST", "/scripts", {"id": "apis__greet", "title": "Greet", "code": CODE})
    api(page, "POST", "/scripts/apis__greet/publish", {})

    page.click("#nav-apis")
    expect(page.locator("h1")).to_have_text("Sync APIs")
    page.click("#new-api")
    page.fill("#api-id", "greet-basic")
    page.select_option("#api-func", "apis__greet.greet")
    expect(page.locator("#api-kwargs")).to_have_value(
        '{\n  "name": "INPUT_BY_CALLER",\n  "greeting": "INPUT_BY_CALLER"\n}'
    )
    page.fill("#api-kwargs", '{"name": "INPUT_BY_CALLER", "greeting": "Hi"}')
    page.select_option("#api-auth-type", "httpBasic")
    page.fill("#auth-username", "ops")
    page.fill("#auth-password", "s3cret-pw")
    page.fill(".throttle[data-rule=byMinute]", "100")
    page.fill("#api-tags", "demo")
    shot(page, "sync-api-form")
    page.click("#save-api")
    page.wait_for_url(re.compile(r"/apis/sync$"))
    expect(page.locator(".toast")).to_contain_text("greet-basic saved.")
    row = page.locator("tr[data-id='greet-basic']")
    expect(row).to_contain_text("HTTP Basic")
    expect(row).to_contain_text("100 per minute")
    url = row.locator("code.data").first.inner_text()
    assert url == f"{live_server}/api/v1/sync/greet-basic"
    row.locator("details.curl summary").click()
    curl = row.locator("pre").inner_text()
    assert "-u 'ops:<password>'" in curl and url in curl
    assert '"name": "…"' in curl and "greeting" not in curl  # a fixed argument is not the caller's
    shot(page, "sync-api-list")

    # Called as curl would: the right user gets the result, a wrong one a challenge.
    good = requests.post(
        url, json={"kwargs": {"name": "Ada"}}, auth=HTTPBasicAuth("ops", "s3cret-pw"), timeout=30
    )
    assert good.status_code == 200, good.text
    assert good.json() == {"text": "Hi, Ada!", "origin": "syncAPI"}
    bad = requests.post(url, json={}, auth=HTTPBasicAuth("ops", "nope"), timeout=30)
    assert bad.status_code == 401 and bad.json()["reason"] == "EAPIAuth"
    assert bad.headers["WWW-Authenticate"].startswith('Basic realm="SyncAPI:greet-basic"')
    fixed = requests.post(
        url, json={"kwargs": {"greeting": "Yo"}}, auth=("ops", "s3cret-pw"), timeout=30
    )
    assert fixed.status_code == 400 and "greeting" in fixed.json()["message"]

    # Edit: switch to Digest, keeping the stored password (the form shows *****).
    row.get_by_role("link", name="Edit").click()
    expect(page.locator("#auth-password")).to_have_attribute("placeholder", "*****")
    page.select_option("#api-auth-type", "httpDigest")
    page.click("#save-api")
    page.wait_for_url(re.compile(r"/apis/sync$"))
    expect(page.locator("tr[data-id='greet-basic']")).to_contain_text("HTTP Digest")
    digest = requests.get(
        url + '?kwargs={"name":"Lin"}', auth=HTTPDigestAuth("ops", "s3cret-pw"), timeout=30
    )
    assert digest.status_code == 200, digest.text
    assert digest.json()["text"] == "Hi, Lin!"
    assert requests.get(url, auth=HTTPBasicAuth("ops", "s3cret-pw"), timeout=30).status_code == 401


@pytest.fixture(scope="module")
def queue_server(tmp_path_factory):
    """A server whose scheduler runs the queue (the shared one has it off)."""
    with running_server(tmp_path_factory.mktemp("queue"), FUNCPAD_SCHEDULER="on") as base:
        yield base


@pytest.fixture
def queue_page(browser, queue_server):
    yield from _page_on(browser, queue_server)


def test_an_async_api_answers_a_task_id_the_queue_runs(queue_page, queue_server):
    page, live_server = queue_page, queue_server
    login(page)
    api(page, "POST", "/scripts", {"id": "apis__later", "title": "Later", "code": CODE})
    api(page, "POST", "/scripts/apis__later/publish", {})
    page.goto("/apis/async")
    page.click("#new-api")
    page.fill("#api-id", "greet-later")
    page.select_option("#api-func", "apis__later.greet")
    page.click("#save-api")
    page.wait_for_url(re.compile(r"/apis/async$"))
    expect(page.locator("tr[data-id='greet-later']")).to_contain_text(
        "None (anyone with the address)"
    )
    answer = requests.post(
        f"{live_server}/api/v1/async/greet-later", json={"kwargs": {"name": "Q"}}, timeout=30
    )
    assert answer.status_code == 200 and answer.json()["ok"] is True
    task_id = answer.json()["data"]["id"]
    deadline = time.monotonic() + 30
    record = {}
    while time.monotonic() < deadline:
        record = api(page, "GET", f"/task-records/{task_id}")
        if record["status"] not in ("queued", "running"):
            break
        time.sleep(0.2)
    assert record["status"] == "success", json.dumps(record)[:500]
    assert record["return_value"] == {"text": "Hello, Q!", "origin": "asyncAPI"}
    assert record["origin"] == "async" and record["origin_id"] == "greet-later"
    page.locator("tr[data-id='greet-later']").get_by_role("link", name="Records").click()
    expect(page.locator("table")).to_contain_text("apis__later.greet")
    shot(page, "async-api-records")
