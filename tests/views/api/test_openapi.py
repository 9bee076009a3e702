"""The OpenAPI document: complete, valid, made of the same bounds the server enforces; the
response check that holds every answer to it; the 400s the shared field types produce."""

from __future__ import annotations

import pytest
import schemathesis
from flask import Flask, jsonify

from webapp.services import crontab as crontab_service
from webapp.services import scripts as scripts_service
from webapp.views.api import openapi, shapes
from webapp.views.api.operation import Body, operation


@pytest.fixture
def document(auth_client) -> dict:
    response = auth_client.get("/api/v1/openapi.json")
    assert response.status_code == 200
    return response.json


def test_the_document_needs_a_login(client):
    response = client.get("/api/v1/openapi.json")
    assert response.status_code == 401 and response.json["error"] == "unauthorized"


def test_every_api_route_is_in_the_document_and_it_is_valid_openapi(app, document):
    routes = {(method.lower(), path) for method, path, _endpoint, _op in openapi.operations(app)}
    documented = {(m, p) for p, methods in document["paths"].items() for m in methods}
    assert routes == documented and len(routes) >= 45
    assert document["openapi"] == "3.1.0"
    loaded = schemathesis.openapi.from_dict(document)  # validates against the 3.1 schema
    assert sum(1 for result in loaded.get_all_operations() if result.ok()) == len(routes)


def test_a_route_without_a_declaration_stops_the_document(app):
    app.add_url_rule(
        "/api/v1/undeclared", endpoint="api.undeclared", view_func=lambda: jsonify(ok=True)
    )
    with app.test_request_context(), pytest.raises(RuntimeError, match="/api/v1/undeclared"):
        openapi.document()


def test_the_bounds_in_the_document_are_the_services_own(document):
    schemas = document["components"]["schemas"]
    new_script = schemas["NewScript"]["properties"]
    assert new_script["id"]["pattern"] == scripts_service.SCRIPT_ID_RE.pattern
    assert new_script["title"]["maxLength"] == scripts_service.MAX_TITLE_LENGTH
    tags = schemas["CronJobChange"]["properties"]["tags"]["anyOf"][0]
    assert tags["maxItems"] == crontab_service.MAX_TAGS
    assert tags["items"]["maxLength"] == crontab_service.MAX_TAG_LENGTH
    limit = next(
        p
        for p in document["paths"]["/api/v1/task-records"]["get"]["parameters"]
        if p["name"] == "limit"
    )
    bounded, empty = limit["schema"]["anyOf"]  # an empty ?limit= means the default
    assert (bounded["minimum"], bounded["maximum"], empty["const"]) == (1, 1000, "")
    assert limit["schema"]["default"] == 50


def test_every_operation_documents_its_errors(document):
    for path, methods in document["paths"].items():
        for method, op in methods.items():
            assert {"400", "401"} <= set(op["responses"]), (method, path)
            if "{" in path:
                assert "404" in op["responses"], (method, path)
            if method in ("post", "put", "patch"):
                assert "413" in op["responses"], (method, path)


def test_the_response_check_catches_an_answer_that_drifted(app):
    """A key the document does not list, a wrong type, or an undeclared status is reported."""

    class Echo(Body):
        pass

    op = operation("x", tag="t", responses={200: shapes.Pause}, body=Echo)(lambda body: None)
    spec = op.operation
    with app.test_request_context():
        good = jsonify(paused=False, until=None)
        assert openapi.response_problem(spec, "POST", good) is None
        extra = jsonify(paused=False, until=None, secret="leak")
        assert "does not match" in openapi.response_problem(spec, "POST", extra)
        wrong = jsonify(paused="no", until=None)
        assert "does not match" in openapi.response_problem(spec, "POST", wrong)
        teapot = jsonify(paused=False, until=None)
        teapot.status_code = 418
        assert "not declared" in openapi.response_problem(spec, "POST", teapot)
        error = jsonify(error="bad", message="m", field="x", current_md5="abc")
        error.status_code = 400
        assert openapi.response_problem(spec, "POST", error) is None


def test_the_check_records_mismatches_of_real_requests(tmp_path, template_db):
    import shutil

    from tests.conftest import app_config
    from webapp import create_app

    data = tmp_path / "d"
    data.mkdir()
    shutil.copy(template_db, data / "funcpad.db")
    app: Flask = create_app(app_config(data))

    @app.after_request
    def smuggle(response):  # a view that starts answering a field nobody documented
        if response.is_json and isinstance(response.json, dict) and "paused" in response.json:
            response.set_data(b'{"paused": false, "until": null, "extra": 1}')
        return response

    from tests.conftest import log_in

    client = app.test_client()
    log_in(client)
    assert client.get("/api/v1/crontab/pause").status_code == 200
    mismatches = app.extensions.pop("funcpad.api_mismatches")
    assert len(mismatches) == 1 and "GET /api/v1/crontab/pause" in mismatches[0]


@pytest.mark.parametrize(
    ("method", "path", "body", "field", "error"),
    [
        ("post", "/api/v1/scripts", {"id": "ok", "title": "t" * 201}, "title", "too_long"),
        ("post", "/api/v1/scripts", {"id": "Not-An-Id", "title": "t"}, "id", "invalid_format"),
        ("post", "/api/v1/scripts", {"id": "ok", "title": True}, "title", "invalid_type"),
        ("post", "/api/v1/env-vars", {"name": "X", "type": "colour"}, "type", "invalid_choice"),
        ("put", "/api/v1/crontab/pause", {"minutes": -1}, "minutes", "out_of_range"),
        ("put", "/api/v1/crontab/pause", {"minutes": "5"}, "minutes", "invalid_type"),
        ("post", "/api/v1/crontab-configs/bulk", {"ids": [1], "enabled": True}, "ids[0]", None),
        ("post", "/api/v1/crontab-configs", {"func_id": "a.b", "tags": ["x"] * 21}, "tags", None),
        ("post", "/api/v1/connectors", {"id": "c", "config": []}, "config", "invalid_type"),
    ],
)
def test_the_field_types_answer_400_naming_the_field(auth_client, method, path, body, field, error):
    response = getattr(auth_client, method)(path, json=body)
    assert response.status_code == 400, response.json
    assert response.json["field"] == field
    if error:
        assert response.json["error"] == error
    assert field.split("[")[0] in response.json["message"]


def test_a_pattern_error_says_what_a_valid_value_looks_like_in_the_users_language(auth_client):
    response = auth_client.post("/api/v1/scripts", json={"id": "Bad Id", "title": "t"})
    assert "lowercase letter" in response.json["message"]
    auth_client.get("/lang/zh")
    response = auth_client.post("/api/v1/scripts", json={"id": "Bad Id", "title": "t"})
    assert "小写字母" in response.json["message"] and response.json["error"] == "invalid_format"


@pytest.mark.parametrize(
    ("query", "status", "field"),
    [
        ("?source=&status=&q=&from=&to=&limit=", 200, None),  # empty means not given
        ("?limit=0", 400, "limit"),
        ("?limit=ten", 400, "limit"),
        ("?before_id=" + "9" * 30, 400, "before_id"),
        ("?q=" + "x" * 201, 400, "q"),
    ],
)
def test_query_arguments_are_bounded_and_empty_means_not_given(auth_client, query, status, field):
    response = auth_client.get("/api/v1/logs" + query)
    assert response.status_code == status, response.json
    if field:
        assert response.json["field"] == field


def test_an_id_in_the_path_that_cannot_exist_is_a_404_and_a_bad_version_a_400(auth_client):
    assert auth_client.get("/api/v1/scripts/Not-An-Id").status_code == 404
    assert auth_client.get("/api/v1/scripts/" + "a" * 65).status_code == 404
    response = auth_client.get("/api/v1/scripts/demo/revisions/zero")
    assert response.status_code == 400 and response.json["field"] == "version"
