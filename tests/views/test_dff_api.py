"""DataFlux Func's call endpoints with real runs: Sync APIs (formats, fixed kwargs, auth,
disabled, expiry, throttling, files, DFF.RESP answers, result cache), Async APIs through the
queue, and the direct function API (envelope, unbox, async, eta, func-many)."""

from __future__ import annotations

import base64
import hashlib
import json
import re
import time
from datetime import timedelta

import pytest

from webapp.extensions import db
from webapp.models import TaskRecord
from webapp.models.types import utcnow
from webapp.scheduler.loop import Scheduler

CODE = r"""
import time

@DFF.API("Echo")
def echo(x=None, y="dflt", **rest):
    return {"x": x, "y": y, "rest": rest, "method": _DFF_HTTP_REQUEST.get("method"),
            "origin": _DFF_ORIGIN, "origin_id": _DFF_ORIGIN_ID,
            "has_cookie": "cookie" in _DFF_HTTP_REQUEST.get("headers", {}),
            "headers": sorted(_DFF_HTTP_REQUEST.get("headers", {}))}

@DFF.API("Zero")
def zero():
    return 0

@DFF.API("Text")
def text():
    return "plain words"

@DFF.API("Page")
def page():
    return DFF.RESP("<h1>hi</h1>", status_code=201, content_type="html",
                    headers={"X-Mine": "1", "Set-Cookie": "funcpad_session=stolen",
                             "X-Bad": "a\r\nInjected: 1"})

@DFF.API("Go")
def go():
    return DFF.REDIRECT("https://example.com/路径")

@DFF.API("File")
def file():
    with open("report.csv", "w") as f:
        f.write("host,cpu\nweb1,12\n")
    return DFF.RESP_FILE("report.csv")

@DFF.API("Download")
def download():
    return DFF.RESP({"a": 1}, download=True)

@DFF.API("Fails")
def fails():
    raise ValueError("broken on purpose")

@DFF.API("Skips")
def skips():
    raise UserWarning("nothing to do")

@DFF.API("Cached", cache_result=60)
def cached():
    return time.time()

@DFF.API("Upload")
def upload(files=None):
    return [[f["originalname"], f["size"], open(f["filePath"]).read()] for f in files]

@DFF.API("When")
def when():
    return [_DFF_ETA, _DFF_DELAY, _DFF_QUEUE]

@DFF.API("Reset throttling")
def reset():
    out = []
    for attempt in (lambda: DFF.CACHE.delete_pattern("*", scope="funcpad:throttling"),
                    lambda: DFF.CACHE.rpoplpush("mine", "slow:byMinute:1",
                                                dest_scope="funcpad:throttling")):
        try:
            attempt()
            out.append("done")
        except Exception as exc:
            out.append(type(exc).__name__)
    return ",".join(out)
"""


@pytest.fixture
def token_headers(api_token):
    return {"Authorization": f"Bearer {api_token}"}


@pytest.fixture
def published(make_script, client, token_headers):
    """Published through the API: the top level runs in the sandbox, so DFF.API's options
    (cache_result) are the ones the script gives."""
    script = make_script("dff__api", CODE)
    response = client.post("/api/v1/scripts/dff__api/publish", json={}, headers=token_headers)
    assert response.status_code == 201, response.get_json()
    return script


def make_api(client, headers, kind="sync", **fields):
    body = {"func_id": "dff__api.echo", **fields}
    response = client.post(f"/api/v1/{kind}-apis", json=body, headers=headers)
    assert response.status_code == 201, response.get_json()
    return response.get_json()


def test_sync_api_formats_and_fixed_kwargs(client, published, token_headers):
    api = make_api(client, token_headers, id="echo", kwargs={"x": "INPUT_BY_CALLER", "y": "fixed"})
    assert api["auth"] == {"type": "none"}
    got = client.get('/api/v1/sync/echo?kwargs={"x": 1}')
    assert got.status_code == 200 and got.mimetype == "application/json"
    assert got.get_json()["x"] == 1 and got.get_json()["y"] == "fixed"
    assert got.get_json()["origin"] == "syncAPI" and got.get_json()["origin_id"] == "echo"
    assert got.headers["X-Trace-Id"].startswith("TRACE-")
    assert got.headers["Content-Security-Policy"].startswith("sandbox")
    simplified = client.get("/api/v1/sync/echo/s?x=5&extra=7").get_json()
    assert simplified["x"] == "5" and simplified["rest"] == {"extra": "7"}  # query values: text
    posted = client.post("/api/v1/sync/echo", json={"kwargs": {"x": [1, 2]}}).get_json()
    assert posted["x"] == [1, 2] and posted["method"] == "POST"
    form = client.post("/api/v1/sync/echo/simplified", data={"x": "f"}).get_json()
    assert form["x"] == "f"
    text = client.post("/api/v1/al/echo/s", data="hello", content_type="text/plain").get_json()
    assert text["rest"] == {"text": "hello"}  # the legacy /al/ path, a text body
    omitted = client.get("/api/v1/sync/echo").get_json()
    assert omitted["x"] is None  # a placeholder the caller leaves out is removed
    refused = client.get('/api/v1/sync/echo?kwargs={"y": "mine"}')
    assert refused.status_code == 400
    assert refused.get_json()["reason"] == "EClientBadRequest"
    assert "Cannot specify a fixed kwargs field: y" in refused.get_json()["message"]
    bad = client.get("/api/v1/sync/echo?kwargs={oops")
    assert bad.status_code == 400 and bad.get_json()["reason"] == "EClientBadRequest"
    missing = client.get("/api/v1/sync/nope")
    assert missing.status_code == 404 and missing.get_json()["reason"] == "EClientNotFound"
    # A credential the function may read is masked on the task record every user can read.
    seen = client.get("/api/v1/sync/echo", headers={"Authorization": "Basic c2VjcmV0"}).get_json()
    assert "authorization" in seen["headers"]  # an unprotected API's function gets it (as DFF)
    stored = db.session.scalars(
        db.select(TaskRecord)
        .where(TaskRecord.origin_id == "echo")
        .order_by(TaskRecord.created_at.desc())
    ).first()
    assert stored.http_request["headers"]["authorization"] == "*****"
    assert "c2VjcmV0" not in str(stored.http_request)
    # The caller's session cookie never reaches the function.
    client.set_cookie("funcpad_session", "secret-session")
    assert client.get("/api/v1/sync/echo").get_json()["has_cookie"] is False


def test_return_values_and_function_answers(client, published, token_headers):
    for func in ("zero", "text", "page", "go", "file", "download", "fails", "skips"):
        make_api(client, token_headers, id=func, func_id=f"dff__api.{func}")
    zero = client.get("/api/v1/sync/zero")
    assert zero.data == b"0"  # DataFlux Func would send null here
    text = client.get("/api/v1/sync/text")
    assert text.data == b"plain words" and text.mimetype == "text/html"
    page = client.get("/api/v1/sync/page")
    assert page.status_code == 201 and page.mimetype == "text/html"
    assert page.data == b"<h1>hi</h1>" and page.headers["X-Mine"] == "1"
    assert "Set-Cookie" not in page.headers and "X-Bad" not in page.headers
    assert "Injected" not in page.headers
    assert page.headers["Content-Security-Policy"].startswith("sandbox")  # an opaque origin
    go = client.get("/api/v1/sync/go")
    assert go.status_code == 302
    assert go.headers["Location"] == "https://example.com/%E8%B7%AF%E5%BE%84"
    file = client.get("/api/v1/sync/file")
    assert file.data == b"host,cpu\nweb1,12\n"
    assert 'filename="report.csv"' in file.headers["Content-Disposition"]
    assert file.mimetype == "text/csv"
    download = client.get("/api/v1/sync/download")
    assert json.loads(download.data) == {"a": 1}
    assert "api-resp.json" in download.headers["Content-Disposition"]
    fails = client.get("/api/v1/sync/fails")
    assert fails.status_code == 599
    body = fails.get_json()
    assert body["reason"] == "EFuncFailed" and body["message"] == "Func task failed"
    assert "broken on purpose" in body["detail"]["exception"]
    assert "raise ValueError" in body["detail"]["traceback"]
    skips = client.get("/api/v1/sync/skips")
    assert skips.status_code == 599 and skips.get_json()["message"] == "Func task skipped"


def test_auth_kinds(client, published, token_headers):
    make_api(
        client, token_headers, id="header",
        auth={"type": "fixedField", "fields": [{"location": "header", "name": "X-Key", "value": "k1"}]},
    )  # fmt: skip
    make_api(
        client, token_headers, id="query",
        auth={"type": "fixedField", "fields": [{"location": "query", "name": "key", "value": "k2"}]},
    )  # fmt: skip
    basic = make_api(
        client, token_headers, id="basic",
        auth={"type": "httpBasic", "users": [{"username": "ops", "password": "pw1"}]},
    )  # fmt: skip
    assert basic["auth"]["users"] == [{"username": "ops", "password": "*****"}]  # never sent back
    make_api(
        client, token_headers, id="digest",
        auth={"type": "httpDigest", "users": [{"username": "ops", "password": "pw2"}]},
    )  # fmt: skip
    denied = client.get("/api/v1/sync/header")
    assert denied.status_code == 401 and denied.get_json()["reason"] == "EAPIAuth"
    assert client.get("/api/v1/sync/header", headers={"X-Key": "wrong"}).status_code == 401
    assert client.get("/api/v1/sync/header", headers={"X-Key": "k1"}).status_code == 200
    through_query = client.get("/api/v1/sync/query/s?key=k2&x=1").get_json()
    assert through_query["rest"] == {} and through_query["x"] == "1"  # the key is removed
    challenge = client.get("/api/v1/sync/basic")
    assert challenge.status_code == 401
    assert challenge.headers["WWW-Authenticate"].startswith('Basic realm="SyncAPI:basic"')
    good = base64.b64encode(b"ops:pw1").decode()
    assert (
        client.get("/api/v1/sync/basic", headers={"Authorization": f"Basic {good}"}).status_code
        == 200
    )
    bad = base64.b64encode(b"ops:nope").decode()
    assert (
        client.get("/api/v1/sync/basic", headers={"Authorization": f"Basic {bad}"}).status_code
        == 401
    )
    asked = client.get("/api/v1/sync/digest")
    header = asked.headers["WWW-Authenticate"]
    assert header.startswith('Digest realm="DigestAPI'.replace("DigestAPI", "SyncAPI:digest"))
    nonce = re.search(r'nonce="([^"]+)"', header).group(1)
    answer = digest_header("ops", "pw2", "SyncAPI:digest", nonce, "GET", "/api/v1/sync/digest")
    assert client.get("/api/v1/sync/digest", headers={"Authorization": answer}).status_code == 200
    wrong = digest_header("ops", "bad", "SyncAPI:digest", nonce, "GET", "/api/v1/sync/digest")
    assert client.get("/api/v1/sync/digest", headers={"Authorization": wrong}).status_code == 401
    forged = digest_header("ops", "pw2", "SyncAPI:digest", "1.forged", "GET", "/api/v1/sync/digest")
    assert client.get("/api/v1/sync/digest", headers={"Authorization": forged}).status_code == 401


def digest_header(user, password, realm, nonce, method, uri, cnonce="abc", nc="00000001"):
    ha1 = hashlib.md5(f"{user}:{realm}:{password}".encode()).hexdigest()
    ha2 = hashlib.md5(f"{method}:{uri}".encode()).hexdigest()
    response = hashlib.md5(f"{ha1}:{nonce}:{nc}:{cnonce}:auth:{ha2}".encode()).hexdigest()
    return (
        f'Digest username="{user}", realm="{realm}", nonce="{nonce}", uri="{uri}", '
        f'qop=auth, nc={nc}, cnonce="{cnonce}", response="{response}"'
    )


def test_disabled_expired_and_throttled(client, published, token_headers):
    make_api(client, token_headers, id="off", disabled=True)
    gone = (utcnow() - timedelta(minutes=1)).isoformat()
    make_api(client, token_headers, id="old", expires_at=gone)
    make_api(client, token_headers, id="slow", throttling={"byMinute": 2})
    off = client.get("/api/v1/sync/off")
    assert off.status_code == 403 and off.get_json()["reason"] == "EBizCondition.SyncAPIDisabled"
    old = client.get("/api/v1/sync/old")
    assert old.status_code == 403 and old.get_json()["reason"] == "EBizCondition.SyncAPIExpired"
    assert [client.get("/api/v1/sync/slow").status_code for _ in range(2)] == [200, 200]
    third = client.get("/api/v1/sync/slow")
    assert third.status_code == 429
    detail = third.get_json()["detail"]
    assert detail["rule"] == "byMinute" and detail["limit"] == 2 and detail["currentCount"] == 3
    assert 0 < detail["waitSeconds"] <= 61
    # A script cannot reset the counters: the platform's scopes are not the scripts'.
    make_api(client, token_headers, id="reset", func_id="dff__api.reset")
    assert client.get("/api/v1/sync/reset").data == b"PermissionError,PermissionError"
    assert client.get("/api/v1/sync/slow").status_code == 429


def test_bad_entity_input_names_the_field(client, published, token_headers):
    cases = [
        ({"func_id": "dff__api.nope"}, "func_id"),
        ({"func_id": "dff__api.echo", "auth": {"type": "magic"}}, "auth.type"),
        ({"func_id": "dff__api.echo", "auth": {"type": "httpBasic", "users": []}}, "auth.users"),
        ({"func_id": "dff__api.echo", "throttling": {"byWeek": 1}}, "throttling"),
        ({"func_id": "dff__api.echo", "throttling": {"byDay": 0}}, "throttling.byDay"),
        ({"func_id": "dff__api.echo", "id": "bad id"}, "id"),
        ({"func_id": "dff__api.echo", "expires_at": "soon"}, "expires_at"),
    ]
    for body, field in cases:
        response = client.post("/api/v1/sync-apis", json=body, headers=token_headers)
        assert response.status_code == 400, (body, response.get_json())
        assert response.get_json()["field"] == field, response.get_json()
    assert client.post("/api/v1/weird-apis", json={}, headers=token_headers).status_code == 404


def test_files_reach_the_function(client, published, token_headers):
    make_api(client, token_headers, id="upload", func_id="dff__api.upload")
    from io import BytesIO

    response = client.post(
        "/api/v1/sync/upload/s",
        data={"a": (BytesIO(b"first file"), "a.txt"), "b": (BytesIO(b"second"), "b.txt")},
        content_type="multipart/form-data",
    )
    assert response.status_code == 200, response.data
    assert sorted(response.get_json()) == [["a.txt", 10, "first file"], ["b.txt", 6, "second"]]


def test_result_cache_answers_without_running(client, published, token_headers):
    make_api(client, token_headers, id="cached", func_id="dff__api.cached")
    first = client.get("/api/v1/sync/cached")
    second = client.get("/api/v1/sync/cached")
    assert first.data == second.data
    assert "X-Dff-Cache" not in first.headers and second.headers["X-Dff-Cache"] == "Cached"
    runs = db.session.scalars(
        db.select(TaskRecord).where(TaskRecord.func_id == "dff__api.cached")
    ).all()
    assert len(runs) == 1


def wait_for(predicate, seconds=20):
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        db.session.expire_all()
        found = predicate()
        if found:
            return found
        time.sleep(0.05)
    return None


def test_async_api_queues_and_the_queue_runs_it(app, client, published, token_headers):
    make_api(client, token_headers, kind="async", id="later")
    answer = client.post("/api/v1/async/later", json={"kwargs": {"x": 3}})
    assert answer.status_code == 200
    body = answer.get_json()
    assert body["ok"] is True and body["error"] == 200
    task_id = body["data"]["id"]
    assert client.get("/api/v1/bat/later").status_code == 200  # the legacy path
    record = db.session.get(TaskRecord, task_id)
    assert record.status == "queued" and record.origin == "async" and record.origin_id == "later"
    Scheduler(app).tick(utcnow())
    done = wait_for(lambda: db.session.get(TaskRecord, task_id).status == "success")
    assert done, db.session.get(TaskRecord, task_id).error
    value = db.session.get(TaskRecord, task_id).return_value
    assert value["x"] == 3 and value["origin"] == "asyncAPI" and value["method"] == "POST"
    polled = client.get(f"/api/v1/task-records/{task_id}", headers=token_headers).get_json()
    assert polled["status"] == "success"


def test_direct_function_api_needs_a_user_or_a_token(client):
    # (no app context around this test: one would carry the login of an earlier request)
    for path in ("/api/v1/func/x.y", "/api/v1/func-list", "/api/v1/func-api-list"):
        response = client.get(path)
        assert response.status_code == 401, path
    assert client.post("/api/v1/func-many", json={"calls": []}).status_code == 401
    assert client.get("/api/v1/sync/anything").status_code == 404  # public, but nothing there


def test_direct_function_api(app, client, published, token_headers):
    described = client.get("/api/v1/func/dff__api.echo", headers=token_headers).get_json()
    assert described["data"]["id"] == "dff__api.echo"
    assert described["data"]["kwargsJSON"]["y"] == {"default": "dflt"}
    boxed = client.post(
        "/api/v1/func/dff__api.echo", json={"kwargs": {"x": 1}}, headers=token_headers
    ).get_json()
    assert boxed["ok"] is True and boxed["data"]["result"]["x"] == 1
    assert boxed["data"]["result"]["origin"] == "direct"
    # Attack: the caller's platform token never reaches the function (another user's code).
    assert "authorization" not in boxed["data"]["result"]["headers"]
    make_api(client, token_headers, id="echo-bearer")
    bearer = client.get("/api/v1/sync/echo-bearer", headers=token_headers).get_json()
    assert "authorization" not in bearer["headers"]
    raw = client.post(
        "/api/v1/func/dff__api.text", json={"options": {"unbox": True}}, headers=token_headers
    )
    assert raw.data == b"plain words"
    dumped = client.post(
        "/api/v1/func/dff__api.zero",
        json={"options": {"returnType": "jsonDumps"}},
        headers=token_headers,
    ).get_json()
    assert dumped["data"]["result"] == "0"
    queued = client.post(
        "/api/v1/func/dff__api.echo",
        json={"kwargs": {"x": 9}, "options": {"async": True}},
        headers=token_headers,
    ).get_json()["data"]["id"]
    later = (utcnow() + timedelta(hours=1)).isoformat()
    scheduled = client.post(
        "/api/v1/func/dff__api.echo", json={"options": {"eta": later}}, headers=token_headers
    ).get_json()["data"]["id"]
    many = client.post(
        "/api/v1/func-many",
        json={"calls": [{"funcId": "dff__api.zero"}, {"funcId": "dff__api.text"}]},
        headers=token_headers,
    ).get_json()["data"]["ids"]
    assert len(many) == 2
    Scheduler(app).tick(utcnow())
    assert wait_for(
        lambda: all(db.session.get(TaskRecord, i).status == "success" for i in [queued, *many])
    )
    assert db.session.get(TaskRecord, scheduled).status == "queued"  # its eta has not come
    unknown = client.post("/api/v1/func/dff__api.nope", json={}, headers=token_headers)
    assert unknown.status_code == 404 and unknown.get_json()["reason"] == "EClientNotFound"
    bad = client.post(
        "/api/v1/func/dff__api.echo", json={"options": {"delay": 0}}, headers=token_headers
    )
    assert bad.status_code == 400 and "delay" in bad.get_json()["message"]
    delayed = client.post(
        "/api/v1/func/dff__api.when", json={"options": {"delay": 1}}, headers=token_headers
    ).get_json()["data"]["id"]
    scheduler = Scheduler(app)
    for _ in range(50):
        scheduler.tick(utcnow())
        db.session.expire_all()
        if db.session.get(TaskRecord, delayed).status == "success":
            break
        time.sleep(0.1)
    eta, delay, queue = db.session.get(TaskRecord, delayed).return_value
    assert eta is not None and delay == 1 and queue == 1
    listed = client.get("/api/v1/func-list", headers=token_headers).get_json()["data"]
    assert "dff__api.echo" in [f["id"] for f in listed]
