"""The OpenAPI 3.1 document of /api/v1, built from the operations the views declare.

Nothing here is written by hand per endpoint: paths come from the URL map, parameters and
bodies from the ``fields`` models, responses from ``shapes``. ``check_response`` holds every
answer to what its operation declared (switched on by ``FUNCPAD_API_CHECK_RESPONSES``; the test
suite does, so each API call a test makes also checks the document).
"""

from __future__ import annotations

import logging
import re
import typing
from functools import cache
from typing import Any

from flask import Flask, Response, current_app, jsonify, request
from pydantic import BaseModel, TypeAdapter, ValidationError
from pydantic.json_schema import models_json_schema

from webapp.services.errors import N_
from webapp.views.api import api, shapes
from webapp.views.api.operation import Operation, operation

log = logging.getLogger(__name__)

API_VERSION = "1.0.0"
REF = "#/components/schemas/{model}"
BODY_METHODS = {"POST", "PUT", "PATCH"}
_CONVERTER = re.compile(r"<(?:[a-z]+:)?([a-z_]+)>")


def operations(app: Flask) -> list[tuple[str, str, str, Operation | None]]:
    """(method, OpenAPI path, endpoint, declaration) of every /api/v1 route, sorted."""
    found = []
    for rule in app.url_map.iter_rules():
        if not rule.endpoint.startswith("api."):
            continue
        declared = getattr(app.view_functions[rule.endpoint], "operation", None)
        path = _CONVERTER.sub(r"{\1}", rule.rule)
        for method in sorted(rule.methods - {"HEAD", "OPTIONS"}):
            found.append((method, path, rule.endpoint, declared))
    return sorted(found, key=lambda item: (item[1], item[0]))


def _models(ops: list[Operation]) -> list[type[BaseModel]]:
    seen: dict[type[BaseModel], None] = {shapes.Error: None}
    for op in ops:
        for model in (op.body, *op.responses.values()):
            inner = _inner_model(model)
            if inner is not None:
                seen[inner] = None
    return list(seen)


def _inner_model(kind: Any) -> type[BaseModel] | None:
    if typing.get_origin(kind) is list:
        kind = typing.get_args(kind)[0]
    return kind if isinstance(kind, type) and issubclass(kind, BaseModel) else None


def _schema_of(kind: Any, refs: dict) -> dict[str, Any]:
    inner = _inner_model(kind)
    if inner is None:
        return TypeAdapter(kind).json_schema()
    ref = refs[(inner, "validation")]
    return {"type": "array", "items": ref} if typing.get_origin(kind) is list else ref


def _parameters(op: Operation, path: str) -> list[dict[str, Any]]:
    params = []
    for name in re.findall(r"{([a-z_]+)}", path):
        kind = op.path.get(name, str)
        schema = TypeAdapter(kind).json_schema() if name in op.path else {"type": "string"}
        params.append({"name": name, "in": "path", "required": True, "schema": schema})
    if op.query is not None:
        schema = op.query.model_json_schema()
        required = set(schema.get("required", []))
        for name, raw in schema["properties"].items():
            param = {"name": name, "in": "query", "required": name in required}
            prop = _without_null(raw)
            if "description" in prop:
                param["description"] = prop.pop("description")
            prop.pop("title", None)
            if prop.get("type") == "array":
                param.update(style="form", explode=True)
            elif name not in required:
                # ``?source=&status=`` is how forms send "no filter": empty means not given.
                prop = {"anyOf": [prop, {"const": ""}], **_lift(prop)}
            param["schema"] = prop
            params.append(param)
    return params


def _without_null(prop: dict[str, Any]) -> dict[str, Any]:
    """A query string has no null: ``X | None`` is X, and leaving it out means None."""
    variants = prop.get("anyOf")
    if variants:
        kept = [v for v in variants if v.get("type") != "null"]
        if len(kept) == 1:
            prop = {**kept[0], **{k: v for k, v in prop.items() if k != "anyOf"}}
    if "default" in prop and prop["default"] is None:
        prop = {k: v for k, v in prop.items() if k != "default"}
    return prop


def _lift(prop: dict[str, Any]) -> dict[str, Any]:
    """Keep the default and examples of a wrapped schema at its top, where readers look."""
    return {key: prop[key] for key in ("default", "examples") if key in prop}


def _responses(op: Operation, method: str, refs: dict) -> dict[str, Any]:
    error = {"content": {"application/json": {"schema": refs[(shapes.Error, "validation")]}}}
    out: dict[str, Any] = {}
    for status, kind in sorted(op.responses.items()):
        if kind is None:
            out[str(status)] = {"description": _STATUS[status]}
            continue
        content = {"application/json": {"schema": _schema_of(kind, refs)}}
        if op.streams and 200 <= status < 300:
            content["text/event-stream"] = {
                "schema": {"type": "string"},
                "description": "start, log (one per line as it happens) and result events.",
            }
        out[str(status)] = {"description": _STATUS.get(status, "OK"), "content": content}
    # What any operation can answer: bad input, no login, too big a body, an unknown id.
    for status in (400, 401, *([413] if method in BODY_METHODS else [])):
        out.setdefault(str(status), {"description": _STATUS[status], **error})
    if op.query is not None:  # gunicorn refuses a request line over 4094 bytes by itself
        out["414"] = {"description": _STATUS[414], "content": {"text/html": {}}}
    for status in op.responses:
        if status >= 400 and op.responses[status] is shapes.Error:
            out[str(status)] = {"description": _STATUS.get(status, "Error"), **error}
    return out


_STATUS = {
    200: N_("OK"),
    201: N_("Created"),
    202: N_("Accepted: started, follow it by its id."),
    204: N_("No content"),
    400: N_("Bad input: the field at fault is named in `field`."),
    401: N_("Not logged in, or the API token is missing, invalid or revoked."),
    403: N_("Not allowed for this user (administrators only)."),
    404: N_("No such object."),
    409: N_("Conflict with the current state (exists, changed meanwhile, not running)."),
    413: N_("The request body or a field in it is too large."),
    414: N_("The query string is too long (the request line is limited to 4094 bytes)."),
    503: N_("The point store cannot write right now; retry."),
}


def _build_document(app: Flask) -> dict[str, Any]:
    ops = operations(app)
    missing = [f"{m} {p}" for m, p, _e, op in ops if op is None]
    if missing:
        raise RuntimeError(f"undeclared /api/v1 operations: {', '.join(missing)}")
    declared = [op for _m, _p, _e, op in ops]
    refs, definitions = models_json_schema(
        [(model, "validation") for model in _models(declared)], ref_template=REF
    )
    paths: dict[str, dict[str, Any]] = {}
    for method, path, endpoint, op in ops:
        entry: dict[str, Any] = {
            "operationId": endpoint.removeprefix("api."),
            "summary": op.summary,
            "tags": [op.tag],
            "parameters": _parameters(op, path),
            "responses": _responses(op, method, refs),
        }
        if op.description:
            entry["description"] = op.description
        if op.body is not None:
            entry["requestBody"] = {
                "required": bool(op.body.model_json_schema().get("required")),
                "content": {"application/json": {"schema": refs[(op.body, "validation")]}},
            }
        paths.setdefault(path, {})[method.lower()] = entry
    return {
        "openapi": "3.1.0",
        "info": {
            "title": "Funcpad API",
            "version": API_VERSION,
            "description": (
                "Scripts, runs, published functions, cron jobs, connectors, environment "
                "variables, task records, metrics and logs. Send `Authorization: Bearer "
                "<token>` (create one under API tokens). Errors are "
                '`{"error", "message", "field"}`.'
            ),
        },
        "servers": [{"url": "/"}],
        "security": [{"bearer": []}, {"session": []}],
        "paths": paths,
        "components": {
            "schemas": definitions.get("$defs", {}),
            "securitySchemes": {
                "bearer": {"type": "http", "scheme": "bearer"},
                "session": {"type": "apiKey", "in": "cookie", "name": "session"},
            },
        },
    }


def document() -> dict[str, Any]:
    """The document of the current app (built once per app, kept in ``app.extensions``)."""
    app = current_app._get_current_object()
    if "funcpad.openapi" not in app.extensions:
        app.extensions["funcpad.openapi"] = _build_document(app)
    return app.extensions["funcpad.openapi"]


@api.get("/openapi.json")
@operation(
    N_("This document (OpenAPI 3.1)"),
    tag="meta",
    responses={200: dict[str, Any]},
)
def openapi_json():
    return jsonify(document())


# --- the response check ------------------------------------------------------------------------


@cache
def _adapter(kind: Any) -> TypeAdapter:
    return TypeAdapter(kind)


def response_problem(op: Operation, method: str, response: Response) -> str | None:
    """Why ``response`` is not what ``op`` declares, or None when it is."""
    status = response.status_code
    declared = dict(op.responses)
    declared.setdefault(400, shapes.Error)
    declared.setdefault(401, shapes.Error)
    if method in BODY_METHODS:
        declared.setdefault(413, shapes.Error)
    if status not in declared:
        return f"status {status} is not declared"
    kind = declared[status]
    if kind is None:
        return None if not response.get_data() else f"status {status} declares no content"
    if response.mimetype != "application/json":
        return f"content type {response.mimetype} is not application/json"
    try:
        _adapter(kind).validate_json(response.get_data(), strict=True)
    except ValidationError as exc:
        return f"status {status} body does not match: {exc.errors(include_url=False)[:3]}"
    return None


def check_response(response: Response) -> Response:
    """After each API request (when switched on): log and record any answer that does not
    match the document, so that tests fail on it."""
    view = current_app.view_functions.get(request.endpoint or "")
    op = getattr(view, "operation", None)
    if op is None or request.method in ("OPTIONS", "HEAD"):  # answered by Flask itself
        return response
    if response.is_streamed and response.mimetype == "text/event-stream":
        return response
    problem = response_problem(op, request.method, response)
    if problem:
        line = f"{request.method} {request.path}: {problem}"
        log.error("response does not match the OpenAPI document: %s", line)
        current_app.extensions.setdefault("funcpad.api_mismatches", []).append(line)
    return response


def init_app(app: Flask) -> None:
    if app.config.get("FUNCPAD_API_CHECK_RESPONSES"):
        app.after_request(check_response)
