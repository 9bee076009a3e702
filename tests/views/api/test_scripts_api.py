"""Every /api/v1/scripts route over the Flask test client, including bad input."""

import json

import pytest

from webapp.services.scripts import MAX_CODE_BYTES, code_md5


def create(client, script_id="demo", code="x = 1\n", **extra):
    response = client.post(
        "/api/v1/scripts", json={"id": script_id, "title": "Demo", "code": code, **extra}
    )
    assert response.status_code == 201, response.json
    return response.json


def test_create_get_list(auth_client):
    body = create(auth_client, description="collects things")
    assert body["id"] == "demo" and body["draft_code"] == "x = 1\n"
    assert body["draft_md5"] == code_md5("x = 1\n")
    assert body["published_version"] is None and body["has_unpublished_changes"] is True
    assert body["updated_at"].endswith("+00:00")

    got = auth_client.get("/api/v1/scripts/demo").json
    assert got["description"] == "collects things" and got["published_code"] is None
    listed = auth_client.get("/api/v1/scripts").json
    assert [s["id"] for s in listed] == ["demo"]
    assert set(listed[0]) >= {
        "id",
        "title",
        "description",
        "published_version",
        "draft_md5",
        "has_unpublished_changes",
        "updated_at",
    }


@pytest.mark.parametrize(
    ("payload", "field", "error"),
    [
        ({"title": "t"}, "id", "missing_field"),
        ({"id": "demo"}, "title", "missing_field"),
        ({"id": "Bad-Id", "title": "t"}, "id", "invalid_format"),
        ({"id": "x" * 300, "title": "t"}, "id", "too_long"),
        ({"id": 12, "title": "t"}, "id", "invalid_type"),
        ({"id": "ok", "title": ["t"]}, "title", "invalid_type"),
        ({"id": "ok", "title": "t", "code": 5}, "code", "invalid_type"),
        ({"id": "ok", "title": "t", "description": {}}, "description", "invalid_type"),
        ({"id": "ok", "title": ""}, "title", "invalid_title"),
    ],
)
def test_create_bad_input_names_the_field(auth_client, payload, field, error):
    response = auth_client.post("/api/v1/scripts", json=payload)
    assert response.status_code == 400
    assert response.json["error"] == error
    assert response.json["field"] == field
    assert response.json["message"]


def test_create_rejects_non_object_and_invalid_json(auth_client):
    response = auth_client.post("/api/v1/scripts", json=[1, 2])
    assert response.status_code == 400 and response.json["error"] == "invalid_json"
    response = auth_client.post(
        "/api/v1/scripts", data="{nope", headers={"Content-Type": "application/json"}
    )
    assert response.status_code == 400 and response.json["error"] == "invalid_json"


def test_duplicate_is_409(auth_client):
    create(auth_client)
    response = auth_client.post("/api/v1/scripts", json={"id": "demo", "title": "again"})
    assert response.status_code == 409 and response.json["field"] == "id"


def test_oversized_code_is_413_and_stores_nothing(auth_client):
    response = auth_client.post(
        "/api/v1/scripts", json={"id": "big", "title": "t", "code": "#" * (MAX_CODE_BYTES + 1)}
    )
    assert response.status_code == 413
    assert response.json["error"] == "code_too_large" and response.json["field"] == "code"
    assert auth_client.get("/api/v1/scripts/big").status_code == 404

    create(auth_client)
    md5 = code_md5("x = 1\n")
    response = auth_client.put(
        "/api/v1/scripts/demo/draft", json={"code": "#" * (MAX_CODE_BYTES + 10), "base_md5": md5}
    )
    assert response.status_code == 413
    assert auth_client.get("/api/v1/scripts/demo").json["draft_code"] == "x = 1\n"


def test_a_body_beyond_the_request_limit_is_a_json_413(auth_client):
    response = auth_client.put(
        "/api/v1/scripts/demo/draft",
        data=json.dumps({"code": "#" * (9 * 1024 * 1024), "base_md5": "x"}),
        headers={"Content-Type": "application/json"},
    )
    assert response.status_code == 413
    assert response.json["error"] == "payload_too_large"


def test_draft_save_and_conflict(auth_client):
    create(auth_client, code="a = 1\n")
    base = code_md5("a = 1\n")
    saved = auth_client.put(
        "/api/v1/scripts/demo/draft", json={"code": "a = 2\n", "base_md5": base}
    )
    assert saved.status_code == 200 and saved.json["draft_md5"] == code_md5("a = 2\n")

    stale = auth_client.put(
        "/api/v1/scripts/demo/draft", json={"code": "a = 3\n", "base_md5": base}
    )
    assert stale.status_code == 409
    assert stale.json["error"] == "draft_conflict"
    assert stale.json["current_md5"] == code_md5("a = 2\n")
    assert stale.json["current_code"] == "a = 2\n"
    assert auth_client.get("/api/v1/scripts/demo").json["draft_code"] == "a = 2\n"


@pytest.mark.parametrize(
    ("payload", "field"),
    [
        ({"base_md5": "x"}, "code"),
        ({"code": "a"}, "base_md5"),
        ({"code": 1, "base_md5": "x"}, "code"),
        ({"code": "a", "base_md5": 3}, "base_md5"),
    ],
)
def test_draft_bad_input(auth_client, payload, field):
    create(auth_client)
    response = auth_client.put("/api/v1/scripts/demo/draft", json=payload)
    assert response.status_code == 400 and response.json["field"] == field


def test_publish_revisions_restore_and_diff(auth_client):
    create(auth_client, code="@DFF.API('Hi')\ndef hi():\n    return 1\n")
    published = auth_client.post("/api/v1/scripts/demo/publish", json={"note": "first"})
    assert published.status_code == 201
    assert published.json["version"] == 1
    assert published.json["funcs"][0]["id"] == "demo.hi"
    assert published.json["funcs"][0]["title"] == "Hi"

    script = auth_client.get("/api/v1/scripts/demo").json
    assert script["published_version"] == 1 and script["has_unpublished_changes"] is False
    auth_client.put(
        "/api/v1/scripts/demo/draft", json={"code": "y = 2\n", "base_md5": script["draft_md5"]}
    )
    assert auth_client.post("/api/v1/scripts/demo/publish", json={}).json["version"] == 2

    revisions = auth_client.get("/api/v1/scripts/demo/revisions").json
    assert [(r["version"], r["note"], r["published_by"]) for r in revisions] == [
        (2, "", "admin"),
        (1, "first", "admin"),
    ]
    assert "code" not in revisions[0]
    rev1 = auth_client.get("/api/v1/scripts/demo/revisions/1").json
    assert rev1["code"].startswith("@DFF.API") and rev1["md5"] == code_md5(rev1["code"])

    diff = auth_client.get("/api/v1/scripts/demo/diff?from=1&to=2").json
    assert diff["diff"].startswith("--- v1\n+++ v2\n")
    assert "+y = 2" in diff["diff"]
    default = auth_client.get("/api/v1/scripts/demo/diff").json
    assert default["from"] == "v2" and default["to"] == "draft" and default["diff"] == ""

    restored = auth_client.post("/api/v1/scripts/demo/revisions/1/restore", json={})
    assert restored.status_code == 200
    assert restored.json["draft_code"] == rev1["code"]
    script = auth_client.get("/api/v1/scripts/demo").json
    assert script["draft_code"] == rev1["code"] and script["has_unpublished_changes"] is True
    assert script["published_version"] == 2


def test_publish_syntax_error_is_400_with_line_and_nothing_changes(auth_client):
    create(auth_client, code="x = 1\ny = (\n")
    response = auth_client.post("/api/v1/scripts/demo/publish", json={"note": "broken"})
    assert response.status_code == 400
    assert response.json["error"] == "syntax_error"
    assert response.json["line"] == 2 and response.json["field"] == "code"
    assert auth_client.get("/api/v1/scripts/demo/revisions").json == []


@pytest.mark.parametrize(
    "url",
    [
        "/api/v1/scripts/demo/revisions/0",
        "/api/v1/scripts/demo/revisions/abc",
        "/api/v1/scripts/demo/diff?from=nope",
        "/api/v1/scripts/demo/diff?to=-1",
    ],
)
def test_invalid_versions_are_400(auth_client, url):
    create(auth_client)
    response = auth_client.get(url)
    assert response.status_code == 400 and response.json["field"] in {"version", "from", "to"}


@pytest.mark.parametrize(
    ("method", "url"),
    [
        ("get", "/api/v1/scripts/missing"),
        ("get", "/api/v1/scripts/BAD!"),
        ("delete", "/api/v1/scripts/missing"),
        ("get", "/api/v1/scripts/demo/revisions/7"),
        ("post", "/api/v1/scripts/demo/revisions/7/restore"),
        ("get", "/api/v1/nothing-here"),
    ],
)
def test_missing_things_are_json_404(auth_client, method, url):
    create(auth_client)
    response = getattr(auth_client, method)(url)
    assert response.status_code == 404 and response.json["error"] == "not_found"


def test_patch_and_delete(auth_client):
    create(auth_client)
    patched = auth_client.patch("/api/v1/scripts/demo", json={"title": "Renamed"})
    assert patched.status_code == 200 and patched.json["title"] == "Renamed"
    bad = auth_client.patch("/api/v1/scripts/demo", json={"description": 5})
    assert bad.status_code == 400 and bad.json["field"] == "description"
    assert auth_client.delete("/api/v1/scripts/demo").status_code == 204
    assert auth_client.get("/api/v1/scripts/demo").status_code == 404


def test_wrong_method_is_json_405(auth_client):
    response = auth_client.put("/api/v1/scripts")
    assert response.status_code == 405 and response.json["error"] == "method_not_allowed"


def test_unauthenticated_is_401_json(client):
    for method, url in [
        ("get", "/api/v1/scripts"),
        ("post", "/api/v1/scripts"),
        ("get", "/api/v1/scripts/demo"),
        ("put", "/api/v1/scripts/demo/draft"),
    ]:
        response = getattr(client, method)(url, json={})
        assert response.status_code == 401, url
        assert response.json["error"] == "unauthorized"


def test_session_requests_without_csrf_are_rejected(auth_client):
    del auth_client.environ_base["HTTP_X_CSRFTOKEN"]
    response = auth_client.post("/api/v1/scripts", json={"id": "demo", "title": "t"})
    assert response.status_code == 400 and response.json["error"] == "csrf_failed"
    auth_client.environ_base["HTTP_X_CSRFTOKEN"] = "forged"
    response = auth_client.post("/api/v1/scripts", json={"id": "demo", "title": "t"})
    assert response.status_code == 400 and response.json["error"] == "csrf_failed"
    assert auth_client.get("/api/v1/scripts").json == []  # reads need no token


def test_bearer_token_needs_no_csrf(client, api_token):
    headers = {"Authorization": f"Bearer {api_token}"}
    response = client.post("/api/v1/scripts", json={"id": "auto", "title": "t"}, headers=headers)
    assert response.status_code == 201
    assert response.json["created_by"] == "admin"
    bad = client.get("/api/v1/scripts", headers={"Authorization": "Bearer fp_wrong"})
    assert bad.status_code == 401 and bad.json["error"] == "invalid_token"
    assert "Set-Cookie" not in response.headers  # token calls do not open a browser session


def test_outline_lists_functions_for_the_picker(auth_client):
    create(auth_client, code="def a(x, y=2):\n    pass\n\ndef _b():\n    pass\n")
    outline = auth_client.get("/api/v1/scripts/demo/outline").json
    assert [f["name"] for f in outline["funcs"]] == ["a", "_b"]
    auth_client.put(
        "/api/v1/scripts/demo/draft",
        json={
            "code": "def (:\n",
            "base_md5": code_md5("def a(x, y=2):\n    pass\n\ndef _b():\n    pass\n"),
        },
    )
    assert auth_client.get("/api/v1/scripts/demo/outline").json["syntax_error"]["line"] == 1
