"""The embedded receiver's wire API, as DataKit clients use it (over the Flask test client)."""

import gzip
import json

import pytest

from webapp.receiver.views import HOSTNAME


def store(app):
    """The point store, read straight after the answers: a 200 means stored (no flush)."""
    return app.extensions["funcpad.points"]


def test_ping_needs_no_login(client):
    body = client.get("/v1/ping").json
    assert body["content"]["version"] and body["content"]["host"] == HOSTNAME


def test_metric_write_stores_numbers_and_adds_the_host_tag(client, app):
    response = client.post(
        "/v1/write/metric", data="cpu,region=cn usage=1.5,count=3i,up=true 1700000000"
    )
    assert response.status_code == 200 and response.data == b""
    rows = store(app).latest_metrics("cpu")
    assert {(r["field"], r["value"]) for r in rows} == {("usage", 1.5), ("count", 3), ("up", 1)}
    assert rows[0]["tags"] == {"region": "cn", "host": HOSTNAME}
    assert rows[0]["time"] == 1_700_000_000 * 10**9


def test_one_bad_line_rejects_the_whole_request(client, app):
    body = "good v=1 1700000000\nbad line\nalso,bad v=nan 1700000000"
    response = client.post("/v1/write/metric", data=body)
    assert response.status_code == 400
    assert response.json["error_code"] == "datakit.invalidLinePoint"
    message = response.json["message"]
    assert message.startswith("invalid lineprotocol: unable to parse 'bad line'(pos: ")
    assert "with 1 point parse ok, 2 points failed. Origin data: " in message
    assert store(app).measurements() == []


@pytest.mark.parametrize(
    ("path", "body", "headers", "code"),
    [
        ("/v1/write/metric", "", {}, "datakit.emptyBody"),
        ("/v1/write/metric", "# only a comment\n\n", {}, "datakit.noPoints"),
        ("/v1/write/nonsense", "m v=1", {}, "datakit.invalidCategory"),
        ("/v1/write/metric", "m v=1", {"Content-Encoding": "br"}, "datakit.decodeBodyFailed"),
        ("/v1/write/metric", "not gzip", {"Content-Encoding": "gzip"}, "datakit.decodeBodyFailed"),
        (
            "/v1/write/metric",
            "[{bad json",
            {"Content-Type": "application/json"},
            "datakit.invalidJsonPoint",
        ),
    ],
)
def test_errors_use_datakit_codes(client, path, body, headers, code):
    response = client.post(path, data=body, headers=headers)
    assert response.status_code == 400 and response.json["error_code"] == code
    # As the agent: the code alone for a body with nothing in it, else a message.
    assert bool(response.json.get("message")) == (
        code not in ("datakit.emptyBody", "datakit.noPoints")
    )


def test_gzip_precision_echo_and_dry(client, app):
    body = gzip.compress(b"m,t=a v=1 1700000000000")
    echoed = client.post(
        "/v1/write/metric?precision=ms&echo=json&dry=1",
        data=body,
        headers={"Content-Encoding": "gzip"},
    )
    assert echoed.status_code == 200
    assert echoed.json == [
        {
            "measurement": "m",
            "tags": {"t": "a"},  # the echo is the parsed point, before the host tag
            "fields": {"v": 1.0},
            "time": 1_700_000_000_000 * 10**6,
        }
    ]
    assert store(app).measurements() == []  # dry: validated, not stored
    lp = client.post("/v1/write/metric?echo=lp&ignore_global_host_tags=1", data="m v=2i 1700000000")
    assert lp.data.decode() == "m v=2i 1700000000000000000"


def test_metric_string_fields_are_dropped_unless_strict(client, app):
    assert client.post("/v1/write/metric", data='m v=1,s="x" 1700000000').status_code == 200
    assert {r["field"] for r in store(app).latest_metrics("m")} == {"v"}
    strict = client.post("/v1/write/metric?strict=1", data='m v=1,s="x" 1700000000')
    assert strict.status_code == 400 and strict.json["error_code"] == "datakit.pointGotWarning"
    empty = client.post("/v1/write/metric?strict=", data='m v=1,s="x" 1700000000')
    assert empty.status_code == 200  # present but empty: off, as in the agent


def test_logging_rules(client, app):
    body = (
        'nginx,app.name=web,source=ignored message="GET / 200",date="x",status="w" 1700000000\n'
        'nginx message="no status" 1700000001'
    )
    assert client.post("/v1/write/logging", data=body).status_code == 200
    logs = store(app).query_logs()
    assert [(r["source"], r["status"], r["message"]) for r in logs] == [
        ("nginx", "info", "no status"),
        ("nginx", "warning", "GET / 200"),
    ]
    assert logs[1]["tags"] == {"app_name": "web", "host": HOSTNAME}
    assert "date" not in logs[1]["fields"]


def test_json_body(client, app):
    points = [{"measurement": "j", "tags": {"k": "v"}, "fields": {"x": 1.25}, "time": 1700000000}]
    response = client.post(
        "/v1/write/metric", data=json.dumps(points), headers={"Content-Type": "application/json"}
    )
    assert response.status_code == 200
    assert store(app).latest_metrics("j")[0]["value"] == 1.25


def test_object_gets_a_default_name(client, app):
    (point,) = client.post("/v1/write/object?echo=json", data="host_obj cpu=4i 1700000000").json
    assert point["fields"]["name"] == "default" and "name" not in point["tags"]


def test_writes_from_elsewhere_need_the_ingest_token(app, client):
    remote = {"REMOTE_ADDR": "10.9.8.7"}
    denied = client.post("/v1/write/metric", data="m v=1", environ_base=remote)
    assert denied.status_code == 401 and denied.json["error_code"] == "datakit.tokenNotFound"
    app.config["FUNCPAD_INGEST_TOKEN"] = "s3cret"
    assert (
        client.post("/v1/write/metric?token=nope", data="m v=1", environ_base=remote).status_code
        == 401
    )
    assert (
        client.post("/v1/write/metric?token=s3cret", data="m v=1", environ_base=remote).status_code
        == 200
    )


def test_get_on_a_write_path_is_405(client):
    response = client.get("/v1/write/metric")
    assert response.status_code == 405 and response.json["error_code"] == "datakit.methodNotAllowed"
    assert client.get("/v1/nothing").status_code == 404


def test_a_store_that_cannot_keep_up_gets_a_503_and_nothing_half_accepted(client, app):
    """A 200 means stored. A write the store cannot confirm in time gets a 503: taken back if
    the writer had not started on it, so it is not stored behind the client's back."""
    writer = app.extensions["funcpad.point_writer"]
    writer.wait_seconds = 0.2
    points = app.extensions["funcpad.points"]
    with points._write_lock:  # the store is stuck (another process holding the file, say)
        first = client.post("/v1/write/metric", data="busy v=1 1700000000")
        assert first.status_code == 503 and first.json["error_code"] == "datakit.busy"
        assert "may still be stored" in first.json["message"]  # the writer holds it already
        queued = client.post("/v1/write/metric", data="busy v=2 1700000001")
        assert queued.status_code == 503 and "try again" in queued.json["message"]
        writer.max_pending = 1  # and a full queue refuses before accepting anything
        full = client.post("/v1/write/metric", data="busy v=3 1700000002")
        assert full.status_code == 503 and "try again" in full.json["message"]
    assert writer.flush(timeout=10)
    assert [r["value"] for r in store(app).latest_metrics("busy")] == [1.0]
    writer.max_pending = 200_000
    assert client.post("/v1/write/metric", data="busy v=4 1700000003").status_code == 200
    assert [r["value"] for r in store(app).latest_metrics("busy")] == [4.0, 1.0]  # not 2, 3
