"""Bad input is a 400 naming the field, never a 500: the seven causes found by trying every
endpoint as an attacker and a careless client would (hardening issue, section 2)."""

import pytest

JSON_WRITES = [
    ("post", "/api/v1/scripts"),
    ("patch", "/api/v1/scripts/demo"),
    ("put", "/api/v1/scripts/demo/draft"),
    ("post", "/api/v1/scripts/demo/publish"),
    ("post", "/api/v1/scripts/demo/run"),
    ("post", "/api/v1/code/check"),
    ("post", "/api/v1/connectors"),
    ("put", "/api/v1/connectors/datakit"),
    ("post", "/api/v1/env-vars"),
    ("post", "/api/v1/crontab/preview"),
    ("post", "/api/v1/crontab-configs"),
    ("post", "/api/v1/crontab-configs/bulk"),
    ("put", "/api/v1/crontab/pause"),
]


@pytest.fixture
def demo(auth_client):
    created = auth_client.post(
        "/api/v1/scripts", json={"id": "demo", "title": "Demo", "code": "def f():\n    return 1\n"}
    )
    assert created.status_code == 201, created.json
    return auth_client


def send(client, method, path, body: bytes):
    return getattr(client, method)(path, data=body, content_type="application/json")


@pytest.mark.parametrize(("method", "path"), JSON_WRITES)
def test_deeply_nested_json_is_a_400(demo, method, path):
    response = send(demo, method, path, b"[" * 100_000 + b"]" * 100_000)
    assert response.status_code == 400, response.json
    assert response.json["error"] == "invalid_json"


@pytest.mark.parametrize(("method", "path"), JSON_WRITES)
def test_nesting_just_past_the_bound_is_a_400_too(demo, method, path):
    body = b'{"a": ' + b"[" * 70 + b"1" + b"]" * 70 + b"}"
    response = send(demo, method, path, body)
    assert response.status_code == 400 and response.json["error"] == "invalid_json"


@pytest.mark.parametrize(
    ("method", "path", "body", "field"),
    [
        ("post", "/api/v1/scripts", b'{"id": "x1", "title": "a\\ud800b"}', "title"),
        ("put", "/api/v1/scripts/demo/draft", b'{"code": "# \\ud800\\n"}', "code"),
        ("post", "/api/v1/scripts/demo/publish", b'{"note": "\\udfff"}', "note"),
        ("post", "/api/v1/connectors", b'{"id": "c1", "title": "\\ud800"}', "title"),
        ("post", "/api/v1/env-vars", b'{"name": "n1", "value": "\\ud83d"}', "value"),
        ("post", "/api/v1/crontab-configs", b'{"func_id": "x", "tags": ["\\ud800"]}', "tags[0]"),
        (
            "post",
            "/api/v1/scripts/demo/run",
            b'{"func": "f", "kwargs": {"k": "\\u0000"}}',
            "kwargs.k",
        ),
        ("post", "/api/v1/scripts", b'{"id": "x2", "title": "t", "\\ud800": 1}', "\ufffd"),
    ],
)
def test_a_lone_surrogate_or_nul_is_a_400_naming_the_field(demo, method, path, body, field):
    response = send(demo, method, path, body)
    assert response.status_code == 400, response.json
    assert response.json["error"] == "invalid_text"
    assert response.json["field"] == field


def test_a_surrogate_in_a_cron_tag_cannot_break_the_list_for_everyone(demo):
    code = "@DFF.API('F')\ndef f():\n    return 1\n"
    script = {"id": "cronsrc", "title": "Cron source", "code": code}
    assert demo.post("/api/v1/scripts", json=script).status_code == 201
    assert demo.post("/api/v1/scripts/cronsrc/publish", json={}).status_code == 201
    body = b'{"func_id": "cronsrc.f", "crontab": "* * * * *", "tags": ["\\ud800"]}'
    created = send(demo, "post", "/api/v1/crontab-configs", body)
    assert created.status_code == 400 and created.json["field"] == "tags[0]"
    assert demo.get("/api/v1/crontab-configs").status_code == 200
    assert demo.get("/crontab").status_code == 200


def test_a_very_long_timezone_is_a_400(demo):
    response = demo.post(
        "/api/v1/crontab/preview", json={"crontab": "* * * * *", "timezone": "A/" + "b" * 5000}
    )
    assert response.status_code == 400 and response.json["field"] == "timezone"


@pytest.mark.parametrize(
    ("path", "body", "field"),
    [
        # Thousands of digits are over the expression's length bound; under it, the field.
        ("/api/v1/crontab/preview", {"crontab": "1" * 5000 + " * * * *"}, "crontab"),
        ("/api/v1/crontab/preview", {"crontab": "*/" + "7" * 5000 + " * * * *"}, "crontab"),
        ("/api/v1/crontab/preview", {"crontab": "1" * 150 + " * * * *"}, "crontab.minute"),
        ("/api/v1/crontab/preview", {"crontab": "*/" + "7" * 150 + " * * * *"}, "crontab.minute"),
        (
            "/api/v1/connectors",
            {"id": "c2", "title": "t", "config": {"host": "h", "port": "9" * 5000}},
            "config.port",
        ),
    ],
)
def test_numbers_of_thousands_of_digits_are_a_400(demo, path, body, field):
    response = demo.post(path, json=body)
    assert response.status_code == 400, response.json
    assert response.json["field"] == field


def test_a_json_integer_of_thousands_of_digits_is_a_400(demo):
    response = send(demo, "put", "/api/v1/crontab/pause", b'{"minutes": ' + b"9" * 5000 + b"}")
    assert response.status_code == 400 and response.json["error"] == "invalid_json"


@pytest.mark.parametrize(
    "path",
    [
        "/api/v1/scripts/demo/revisions/99999999999999999999999",
        "/api/v1/scripts/demo/diff?from=99999999999999999999999&to=draft",
        "/api/v1/logs?before_id=99999999999999999999999",
        "/api/v1/logs?limit=99999999999999999999999",
        "/api/v1/task-records?limit=" + "9" * 5000,
        "/api/v1/metrics/query?measurement=m&from=" + "9" * 400,
        "/api/v1/logs?from=-" + "9" * 400 + "d",
    ],
)
def test_ids_and_numbers_beyond_64_bits_are_a_400(demo, path):
    response = demo.get(path)
    assert response.status_code == 400, (path, response.json)
    assert response.json.get("field")


def test_restore_of_a_version_beyond_64_bits_is_a_400(demo):
    response = demo.post("/api/v1/scripts/demo/revisions/99999999999999999999999/restore")
    assert response.status_code == 400 and response.json["field"] == "version"


def test_pause_minutes_beyond_any_date_are_a_400_and_large_ones_are_cut_to_a_week(demo):
    too_big = send(
        demo, "put", "/api/v1/crontab/pause", b'{"minutes": ' + str(10**30).encode() + b"}"
    )
    assert too_big.status_code == 400 and too_big.json["field"] == "minutes"
    large = demo.put("/api/v1/crontab/pause", json={"minutes": 2**62})
    assert large.status_code == 200, large.json


def test_nan_is_not_json(demo):
    response = send(
        demo, "post", "/api/v1/scripts/demo/run", b'{"func": "f", "kwargs": {"x": NaN}}'
    )
    assert response.status_code == 400 and response.json["error"] == "invalid_json"


def test_revoking_a_token_id_beyond_64_bits_is_a_404(auth_client):
    from tests.conftest import csrf_token_from

    token = csrf_token_from(auth_client.get("/settings/tokens").get_data(as_text=True))
    response = auth_client.post(
        "/settings/tokens/99999999999999999999999/revoke", data={"csrf_token": token}
    )
    assert response.status_code == 404
