"""Run, publish (function extraction in the sandbox), call, task records — over HTTP."""

import json

import pytest

from webapp.services.scripts import code_md5

CODE = (
    "import time\n"
    "\n"
    "@DFF.API('Greet', category='demo', timeout=5)\n"
    "def greet(name, greeting='hello'):\n"
    "    '''Say hello.'''\n"
    "    print(greeting, name)\n"
    "    return {'text': f'{greeting} {name}', 'origin': _DFF_ORIGIN}\n"
    "\n"
    "def fail():\n"
    "    x = 1\n"
    "    raise RuntimeError('boom')\n"
)


@pytest.fixture
def script(auth_client):
    response = auth_client.post("/api/v1/scripts", json={"id": "demo", "title": "D", "code": CODE})
    assert response.status_code == 201
    return response.json


def test_run_the_draft(auth_client, script):
    response = auth_client.post(
        "/api/v1/scripts/demo/run", json={"func": "greet", "kwargs": {"name": "ops"}}
    )
    assert response.status_code == 200
    body = response.json
    assert body["status"] == "success"
    assert body["return_value"] == {"text": "hello ops", "origin": "direct"}  # DFF's word
    assert [log["message"] for log in body["logs"]] == ["hello ops"]
    assert body["logs"][0]["time"].endswith("+00:00")
    assert body["error"] is None and body["duration_ms"] >= 0 and body["peak_memory_kb"] > 0
    record = auth_client.get(f"/api/v1/task-records/{body['task_id']}").json
    assert record["origin"] == "debug" and record["status"] == "success"
    assert record["func_id"] == "demo.greet" and record["kwargs"] == {"name": "ops"}


def test_run_failure_reports_the_line(auth_client, script):
    body = auth_client.post("/api/v1/scripts/demo/run", json={"func": "fail"}).json
    assert body["status"] == "failure"
    assert body["error"]["type"] == "RuntimeError" and body["error"]["line"] == 11
    assert "line 11, in fail" in body["error"]["traceback"]


@pytest.mark.parametrize(
    ("payload", "field"),
    [
        ({}, "func"),
        ({"func": "_hidden"}, "func"),
        ({"func": 3}, "func"),
        ({"func": "greet", "kwargs": [1]}, "kwargs"),
        ({"func": "greet", "kwargs": {"a b": 1}}, "kwargs"),
    ],
)
def test_run_bad_input(auth_client, script, payload, field):
    response = auth_client.post("/api/v1/scripts/demo/run", json=payload)
    assert response.status_code == 400 and response.json["field"] == field


def test_run_streams_events(auth_client, script):
    response = auth_client.post(
        "/api/v1/scripts/demo/run",
        json={"func": "greet", "kwargs": {"name": "sse"}},
        headers={"Accept": "text/event-stream"},
    )
    assert response.mimetype == "text/event-stream"
    events = [
        (block.split("\n")[0].removeprefix("event: "), json.loads(block.split("data: ", 1)[1]))
        for block in response.get_data(as_text=True).split("\n\n")
        if block.startswith("event:")
    ]
    assert [name for name, _ in events] == ["start", "log", "result"]
    assert events[1][1]["message"] == "hello sse"
    assert events[2][1]["status"] == "success"
    stored = auth_client.get(f"/api/v1/task-records/{events[0][1]['task_id']}").json
    assert stored["status"] == "success" and stored["logs"][0]["message"] == "hello sse"


def test_publish_extracts_functions_and_call_runs_the_published_code(auth_client, script):
    published = auth_client.post("/api/v1/scripts/demo/publish", json={"note": "v1"})
    assert published.status_code == 201
    (func,) = published.json["funcs"]
    assert func["id"] == "demo.greet" and func["title"] == "Greet" and func["timeout"] == 5

    listed = auth_client.get("/api/v1/funcs").json
    assert [f["id"] for f in listed] == ["demo.greet"]
    assert listed[0]["args"][1] == {"name": "greeting", "has_default": True, "default": "hello"}

    # A new draft does not change what the published function runs.
    auth_client.put(
        "/api/v1/scripts/demo/draft",
        json={"code": CODE.replace("hello", "bye"), "base_md5": code_md5(CODE)},
    )
    call = auth_client.post("/api/v1/funcs/demo.greet/call", json={"kwargs": {"name": "api"}})
    assert call.status_code == 200
    assert call.json["return_value"] == {"text": "hello api", "origin": "direct"}  # DFF's word
    assert call.json["origin"] == "api"


def test_call_checks_kwargs_against_the_signature(auth_client, script):
    auth_client.post("/api/v1/scripts/demo/publish", json={})
    unknown = auth_client.post("/api/v1/funcs/demo.greet/call", json={"kwargs": {"nme": "x"}})
    assert unknown.status_code == 400 and "nme" in unknown.json["message"]
    missing = auth_client.post("/api/v1/funcs/demo.greet/call", json={"kwargs": {}})
    assert missing.status_code == 400 and "name" in missing.json["message"]
    assert auth_client.post("/api/v1/funcs/nope.x/call", json={}).status_code == 404


def test_call_with_a_bearer_token(client, api_token, auth_client, script):
    auth_client.post("/api/v1/scripts/demo/publish", json={})
    response = client.post(
        "/api/v1/funcs/demo.greet/call",
        json={"kwargs": {"name": "bot"}},
        headers={"Authorization": f"Bearer {api_token}"},
    )
    assert response.status_code == 200 and response.json["status"] == "success"


def test_publish_fails_when_the_top_level_fails(auth_client, script):
    auth_client.put(
        "/api/v1/scripts/demo/draft",
        json={"code": "x = 1\nraise ValueError('at import')\n", "base_md5": code_md5(CODE)},
    )
    response = auth_client.post("/api/v1/scripts/demo/publish", json={})
    assert response.status_code == 400
    assert response.json["error"] == "publish_failed" and response.json["line"] == 2
    assert "ValueError" in response.json["message"]
    assert auth_client.get("/api/v1/scripts/demo/revisions").json == []
    assert auth_client.get("/api/v1/funcs").json == []


def test_task_records_list_and_filters(auth_client, script):
    for name in ("a", "b"):
        auth_client.post(
            "/api/v1/scripts/demo/run", json={"func": "greet", "kwargs": {"name": name}}
        )
    auth_client.post("/api/v1/scripts/demo/run", json={"func": "fail"})
    records = auth_client.get("/api/v1/task-records").json
    assert len(records) == 3
    failed = auth_client.get("/api/v1/task-records?status=failure").json
    assert [r["func_id"] for r in failed] == ["demo.fail"]
    assert auth_client.get("/api/v1/task-records?limit=0").status_code == 400
    assert auth_client.get("/api/v1/task-records/nope").status_code == 404


def test_healthz_reports_the_sandbox(client):
    sandbox = client.get("/healthz").json["sandbox"]
    assert sandbox["available"] is True
    assert {"bubblewrap", "seccomp", "uid_switch", "rlimits", "interpreter"} <= set(sandbox)


def test_code_check_endpoint(auth_client):
    response = auth_client.post("/api/v1/code/check", json={"code": "import os\n"})
    assert response.status_code == 200
    assert response.json["diagnostics"][0]["message"] == "'os' imported but unused"
    assert auth_client.post("/api/v1/code/check", json={}).json["field"] == "code"
    too_big = auth_client.post("/api/v1/code/check", json={"code": "#" * (1024 * 1024 + 1)})
    assert too_big.status_code == 413


def test_cache_result_and_is_hidden_are_honoured(auth_client):
    code = (
        "import time\n"
        "@DFF.API('Cached', cache_result=60)\n"
        "def cached(x=1):\n"
        "    return time.time()\n"
        "\n"
        "@DFF.API('Hidden', is_hidden=True)\n"
        "def hidden():\n"
        "    return 'still callable'\n"
    )
    auth_client.post("/api/v1/scripts", json={"id": "opts", "title": "O", "code": code})
    assert auth_client.post("/api/v1/scripts/opts/publish", json={}).status_code == 201
    first = auth_client.post("/api/v1/funcs/opts.cached/call", json={"kwargs": {"x": 1}}).json
    again = auth_client.post("/api/v1/funcs/opts.cached/call", json={"kwargs": {"x": 1}}).json
    other = auth_client.post("/api/v1/funcs/opts.cached/call", json={"kwargs": {"x": 2}}).json
    assert again["return_value"] == first["return_value"] and again["cached"] is True
    assert other["return_value"] != first["return_value"] and "cached" not in other

    visible = [f["id"] for f in auth_client.get("/api/v1/funcs").json]
    assert visible == ["opts.cached"]
    everything = auth_client.get("/api/v1/funcs?include_hidden=1").json
    assert {f["id"]: f["is_hidden"] for f in everything} == {
        "opts.cached": False,
        "opts.hidden": True,
    }
    assert (
        auth_client.post("/api/v1/funcs/opts.hidden/call", json={}).json["return_value"]
        == "still callable"
    )
