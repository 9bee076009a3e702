"""The DataFlux Func compatibility suite: a script set written in DFF's style, packed as DFF
exports it, imported through DFF's endpoints into a real gunicorn (scheduler on), then used as
a DFF user would — a Sync API called with requests, the direct function API, a FUNC chain
through the queue, STORE and CACHE across runs, DataKit writes, and DFF's export back out."""

from __future__ import annotations

import io
import json
import time
import zipfile

import pytest
import requests
import yaml

from tests.conftest import make_api_token, running_server

UTILS = """
def host_key(host):
    return "host:" + DFF.TOOLKIT.get_md5(host)[:8]
"""
COLLECTOR = """
import dffsuite__utils as utils

@DFF.API("Collect", timeout=30, expires=600)
def collect(host="web1", value=1.5):
    runs = DFF.CACHE.incr("runs")
    DFF.STORE.set(utils.host_key(host), {"value": value, "run": runs}, expires=3600)
    status, _ = DFF.SRC("datakit").write_metric("dffsuite", tags={"host": host}, fields={"v": value})
    DFF.FUNC("dffsuite__notify.notify", kwargs={"host": host})
    return {"runs": runs, "written": status, "stored": DFF.STORE.get(utils.host_key(host))}
"""
NOTIFY = """
@DFF.API("Notify")
def notify(host):
    DFF.CACHE.rpush("notified", host)
    return [host, _DFF_ORIGIN, len(_DFF_FUNC_CHAIN), _DFF_ROOT_TASK_ID != "ROOT"]
"""
API = """
@DFF.API("Lookup", cache_result=0)
def lookup(host="web1", fmt="json"):
    import dffsuite__utils as utils
    found = DFF.STORE.get(utils.host_key(host), scope="dffsuite__collector")
    if fmt == "html":
        return DFF.RESP("<b>%s</b>" % host, content_type="html", headers={"X-Host": host})
    return {"host": host, "found": found, "method": _DFF_HTTP_REQUEST.get("method"),
            "notified": DFF.CACHE.lrange("notified", scope="dffsuite__notify")}
"""


def dff_zip() -> bytes:
    meta = {
        "version": 2,
        "scriptSets": [{
            "id": "dffsuite", "title": "DFF suite", "requirements": "",
            "scripts": [{"id": f"dffsuite__{n}", "title": n, "type": "python"}
                        for n in ("utils", "collector", "notify", "api")],
        }],
        "syncAPIs": [{"id": "lookup", "funcId": "dffsuite__api.lookup",
                      "funcCallKwargsJSON": {"host": "INPUT_BY_CALLER", "fmt": "INPUT_BY_CALLER"},
                      "throttlingJSON": {}, "isDisabled": False}],
        "cronJobs": [{"id": "dffsuite-cron", "funcId": "dffsuite__collector.collect",
                      "funcCallKwargsJSON": {"host": "cron"}, "cronExpr": "0 4 * * *"}],
        "extra": {"note": "suite"},
    }  # fmt: skip
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w") as archive:
        archive.writestr("META.yaml", yaml.safe_dump(meta))
        for name, code in (
            ("utils", UTILS),
            ("collector", COLLECTOR),
            ("notify", NOTIFY),
            ("api", API),
        ):
            archive.writestr(f"script-sets/dffsuite/{name}.py", code)
    return buffer.getvalue()


@pytest.fixture(scope="module")
def server(tmp_path_factory):
    data_dir = tmp_path_factory.mktemp("suite")
    with running_server(data_dir, FUNCPAD_SCHEDULER="on") as base:
        yield base, {"Authorization": f"Bearer {make_api_token(data_dir, 'suite')}"}


def wait_for_record(base, headers, **filters):
    deadline = time.monotonic() + 30
    while time.monotonic() < deadline:
        found = requests.get(
            f"{base}/api/v1/task-records", params=filters, headers=headers, timeout=10
        ).json()
        done = [r for r in found if r["status"] not in ("queued", "running")]
        if done:
            return done[0]
        time.sleep(0.2)
    raise AssertionError(f"no finished record for {filters}")


def test_a_dff_script_set_runs_unchanged(server):
    base, headers = server
    checked = requests.post(
        f"{base}/api/v1/script-sets/do/import",
        files={"file": ("dff.zip", dff_zip(), "application/zip")},
        data={"checkOnly": "true"},
        headers=headers,
        timeout=30,
    )
    assert checked.status_code == 200, checked.text
    preview = checked.json()["data"]
    assert [e["diffType"] for e in preview["diff"]["scriptSets"]] == ["add"]
    assert preview["note"] == "suite"
    confirmed = requests.post(
        f"{base}/api/v1/script-sets/do/confirm-import",
        json={"confirmId": preview["confirmId"]},
        headers=headers,
        timeout=60,
    )
    assert confirmed.status_code == 200, confirmed.text
    assert confirmed.json()["data"]["failedScripts"] == []

    # The direct function API, in DFF's envelope: STORE, CACHE, the DataKit write, FUNC.
    first = requests.post(
        f"{base}/api/v1/func/dffsuite__collector.collect",
        json={"kwargs": {"host": "web1", "value": 2.5}},
        headers=headers,
        timeout=60,
    ).json()
    assert first["ok"] is True, first
    result = first["data"]["result"]
    assert result["runs"] == 1 and result["written"] == 200
    assert result["stored"] == {"value": 2.5, "run": 1}
    second = requests.post(
        f"{base}/api/v1/func/dffsuite__collector.collect", json={"kwargs": {"host": "web2"}},
        headers=headers, timeout=60,
    ).json()  # fmt: skip
    assert second["data"]["result"]["runs"] == 2  # the counter lives between runs

    notified = wait_for_record(base, headers, func_id="dffsuite__notify.notify", origin="func")
    assert notified["status"] == "success", notified["error"]
    assert notified["return_value"][1:] == ["direct", 2, True]

    # The Sync API imported with the set, called as any HTTP client would.
    deadline = time.monotonic() + 30
    while time.monotonic() < deadline:
        looked = requests.get(f"{base}/api/v1/sync/lookup/s", params={"host": "web1"}, timeout=60)
        if len(looked.json().get("notified") or []) == 2:
            break
        time.sleep(0.2)
    assert looked.status_code == 200, looked.text
    body = looked.json()
    assert body["found"] == {"value": 2.5, "run": 1} and body["method"] == "GET"
    assert sorted(body["notified"]) == ["web1", "web2"]
    page = requests.get(
        f"{base}/api/v1/sync/lookup/s", params={"host": "web9", "fmt": "html"}, timeout=60
    )
    assert page.text == "<b>web9</b>" and page.headers["X-Host"] == "web9"
    assert page.headers["Content-Security-Policy"].startswith("sandbox")
    fixed = requests.get(
        f"{base}/api/v1/sync/lookup", params={"kwargs": json.dumps({"x": 1})}, timeout=60
    )
    assert fixed.status_code == 400  # lookup takes no x: said before anything runs
    assert "takes no argument named x" in fixed.json()["message"]

    # The metric reached the embedded receiver.
    points = requests.get(
        f"{base}/api/v1/metrics/query",
        params={"measurement": "dffsuite", "field": "v", "from": "-1h"},
        headers=headers,
        timeout=10,
    )
    assert points.status_code == 200 and "web1" in points.text, points.text

    # And DFF's export gives the set back.
    exported = requests.post(
        f"{base}/api/v1/script-sets/do/export",
        json={"scriptSetIds": ["dffsuite"], "includeSyncAPIs": True, "includeCronJobs": True},
        headers=headers,
        timeout=30,
    )
    assert exported.status_code == 200 and exported.headers["Content-Type"] == "application/zip"
    meta = yaml.safe_load(zipfile.ZipFile(io.BytesIO(exported.content)).read("META.yaml"))
    assert [s["id"] for s in meta["scriptSets"][0]["scripts"]] == [
        "dffsuite__api",
        "dffsuite__collector",
        "dffsuite__notify",
        "dffsuite__utils",
    ]
    assert meta["syncAPIs"][0]["id"] == "lookup" and meta["cronJobs"][0]["id"] == "dffsuite-cron"
