"""DataFlux Func's call endpoints (§7.1 of the facts), speaking its protocol: its paths, its
argument formats, its envelope and error codes.

- ``/api/v1/sync/<id>[/<format>[/<rest>]]`` (and the older ``/api/v1/al/...``): a Sync API,
  public behind its own API-Auth; the caller waits for the result.
- ``/api/v1/async/<id>...`` (and ``/api/v1/bat/...``): an Async API; answers the task id.
- ``/api/v1/func/<func_id>`` (describe, call), ``/api/v1/func-many``, ``/api/v1/func-list``,
  ``/api/v1/func-tag-list``, ``/api/v1/func-api-list``: need a signed-in user or an API token
  (``Authorization: Bearer``, where DataFlux Func has AccessKeys).

These are not part of Funcpad's own OpenAPI document: their answers are whatever the function
returns, in DataFlux Func's shapes. The rules live in ``services.func_apis`` and
``services.api_responses``; this module reads requests and sends answers.
"""

from __future__ import annotations

import base64
import json
import time
from datetime import datetime, timedelta
from typing import Any

from flask import Blueprint, Flask, Response, current_app, request
from flask_login import current_user
from sqlalchemy import select

from webapp.auth import csrf_exempt_prefix, public
from webapp.executor import get_executor
from webapp.extensions import db
from webapp.host import load_for_job
from webapp.models import Func, FuncApi
from webapp.models.types import utcnow
from webapp.services import api_responses, func_apis, result_cache
from webapp.services import funcs as funcs_service
from webapp.services import runs as runs_service
from webapp.services.api_responses import CallTiming, HttpAnswer
from webapp.services.errors import ServiceError

bp = Blueprint("dff_api", __name__)

FORMATS = ("normal", "s", "simplified")
MAX_UPLOAD_BYTES = 32 * 1024 * 1024  # all files of one call together (DataFlux Func: 10 GB)
SYNC_TIMEOUT = runs_service.DEFAULT_TIMEOUT
ASYNC_EXPIRES = 3600


class CallError(Exception):
    """An error answer in DataFlux Func's envelope."""

    def __init__(self, status: int, reason: str, message: str, detail: Any = None, headers=None):
        super().__init__(message)
        self.answer_args = (status, reason, message)
        self.detail = detail
        self.headers = headers or []


def _send(answer: HttpAnswer) -> Response:
    response = Response(answer.body, status=answer.status, content_type=answer.content_type)
    for name, value in answer.headers:
        response.headers[name] = value
    return response


def _error(exc: CallError, timing: CallTiming) -> Response:
    status, reason, message = exc.answer_args
    return _send(
        api_responses.error(
            status,
            reason,
            message,
            timing,
            detail=exc.detail,
            method=request.method,
            url=request.full_path.rstrip("?"),
            headers=exc.headers,
        )
    )


# --- reading a call ------------------------------------------------------------------------


def _json_arg(value: Any, name: str) -> dict[str, Any]:
    if value in (None, ""):
        return {}
    if isinstance(value, str):
        try:
            value = json.loads(value)
        except ValueError:
            raise CallError(400, "EClientBadRequest", f"{name} is not valid JSON") from None
    if not isinstance(value, dict):
        raise CallError(400, "EClientBadRequest", f"{name} must be a JSON object")
    return value


def _body_object() -> dict[str, Any]:
    if request.method == "GET":
        return {}
    if request.is_json:
        data = request.get_json(silent=True)
        if not isinstance(data, dict):
            raise CallError(400, "EClientBadRequest", "the body must be a JSON object")
        return dict(data)
    if request.form:
        return {k: v for k, v in request.form.items()}
    return {}


def _uploads() -> tuple[list[dict[str, Any]], list[dict[str, Any]]]:
    """(what the function's files kwarg says, the contents sent with the job)."""
    described, contents, total = [], [], 0
    for upload in request.files.values():
        data = upload.read(MAX_UPLOAD_BYTES + 1)
        total += len(data)
        if total > MAX_UPLOAD_BYTES:
            raise CallError(413, "EClientBadRequest", "the files are larger than 32 MiB in all")
        described.append(
            {
                "filePath": None,
                "originalname": upload.filename or "upload",
                "encoding": "7bit",
                "mimetype": upload.mimetype or "application/octet-stream",
                "size": len(data),
            }
        )
        contents.append(
            {"name": upload.filename or "upload", "content_base64": base64.b64encode(data).decode()}
        )
    return described, contents


PLATFORM_HEADERS = ("cookie", "x-csrftoken")


def http_request_info(
    query: dict[str, Any], body: dict[str, Any], *, platform_auth: bool = False
) -> dict[str, Any]:
    """_DFF_HTTP_REQUEST. The caller's credentials with the platform never reach the function
    (whose author may be someone else): not the Cookie header, not a CSRF token, and not an
    Authorization header that carries a platform API token (``platform_auth``: the direct
    function API, where that is what it is) — a Sync API's own Basic or Digest credentials
    do reach it, as in DataFlux Func."""
    headers = {}
    for name, value in request.headers.items():
        lower = name.lower()
        if lower in PLATFORM_HEADERS:
            continue
        if lower == "authorization" and (platform_auth or value.lower().startswith("bearer ")):
            continue
        headers[lower] = value
    forwarded = request.access_route or []
    return {
        "method": request.method,
        "originalUrl": request.full_path.rstrip("?"),
        "url": request.path,
        "host": request.host,
        "hostname": request.host.split(":")[0],
        "protocol": request.scheme,
        "headers": headers,
        "query": query,
        "body": body,
        "ip": request.remote_addr,
        "ips": list(forwarded[:-1]) if len(forwarded) > 1 else [],
        "xhr": request.headers.get("X-Requested-With", "").lower() == "xmlhttprequest",
    }


def _arguments(fmt: str, query: dict, body: dict) -> tuple[dict[str, Any], dict[str, Any]]:
    """(kwargs, options) by DataFlux Func's formats."""
    if fmt == "normal":
        source = query if request.method == "GET" else body
        return _json_arg(source.get("kwargs"), "kwargs"), _json_arg(
            source.get("options"), "options"
        )
    if request.method == "GET":
        return dict(query), {}
    if body or request.is_json or request.form:
        return dict(body), {}
    raw = request.get_data(cache=True)
    if not raw:
        return {}, {}
    if (request.mimetype or "").startswith("text/"):
        return {"text": raw.decode("utf-8", "replace")}, {}
    return {"base64": base64.b64encode(raw).decode()}, {}


# --- API-Auth ------------------------------------------------------------------------------


def _credentials(query: dict, body: dict) -> func_apis.HttpCredentials:
    auth = request.authorization
    basic = digest = None
    if auth is not None and auth.type == "basic":
        basic = (auth.username or "", auth.password or "")
    elif auth is not None and auth.type == "digest":
        digest = {k: str(v) for k, v in auth.parameters.items()}
    return func_apis.HttpCredentials(
        method=request.method,
        headers={k.lower(): v for k, v in request.headers.items()},
        query=query,
        body=body,
        basic=basic,
        digest=digest,
    )


def _check_auth(api: FuncApi, query: dict, body: dict) -> None:
    """Raise CallError 401 unless the request passes the API's auth; a matched fixed field is
    removed from the query or body (the function does not see it)."""
    kind = (api.auth or {}).get("type", "none")
    if kind == "none":
        return
    creds = _credentials(query, body)
    secret = current_app.config["SECRET_KEY"]
    passed = False
    if kind == "fixedField":
        matched = func_apis.fixed_field_match(api, creds)
        if matched is not None:
            passed = True
            if matched["location"] == "query":
                query.pop(matched["name"], None)
            elif matched["location"] == "body":
                body.pop(matched["name"], None)
    elif kind == "httpBasic":
        passed = func_apis.basic_ok(api, creds)
    elif kind == "httpDigest":
        uri = request.full_path.rstrip("?")
        passed = func_apis.digest_ok(api, creds, secret, uri, time.time())
    elif kind == "func":
        passed = _auth_func_passes(api, query, body)
    if passed:
        return
    headers = []
    if kind in ("httpBasic", "httpDigest"):
        headers.append(("WWW-Authenticate", func_apis.challenge(api, secret, time.time())))
    raise CallError(401, "EAPIAuth", "API auth failed", headers=headers)


def _auth_func_passes(api: FuncApi, query: dict, body: dict) -> bool:
    """Run the auth function (origin apiAuth, no kwargs; it reads _DFF_HTTP_REQUEST)."""
    try:
        func, code = funcs_service.get_func_and_code(db.session, api.auth.get("func_id"))
        record, job = runs_service.prepare_call(
            db.session, func, code, {}, origin="sync", username=None, now=utcnow(),
            load_connectors=load_for_job, origin_id=api.id,
            http_request=http_request_info(query, body), dff_origin="apiAuth",
        )  # fmt: skip
    except ServiceError:
        return False
    outcome = _run(record, job)
    return outcome.get("status") == "success" and bool(outcome.get("return_value"))


# --- running -------------------------------------------------------------------------------


def _run(record, job) -> dict[str, Any]:
    get_executor().execute(record, job)
    db.session.commit()
    return {
        "status": record.status,
        "return_value": record.return_value,
        "error": record.error,
        "response_control": record.response_control,
    }


def _published(func_id: Any) -> tuple[Func, str]:
    try:
        return funcs_service.get_func_and_code(db.session, func_id)
    except ServiceError:
        raise CallError(404, "EClientNotFound", f"Func not found: `{func_id}`") from None


def _sync_call(
    func_id: str,
    kwargs: dict[str, Any],
    timing: CallTiming,
    *,
    origin: str,
    origin_id: str | None,
    http_request: dict[str, Any] | None,
    unbox: bool,
    return_type: str,
    uploads: tuple[list, list] = ([], []),
) -> Response:
    func, code = _published(func_id)
    described, contents = uploads
    if described:
        kwargs = {**kwargs, "files": described}
    seconds = result_cache.cache_seconds(func.options)
    key = result_cache.results.key(f"dff:{func.id}", func.version, kwargs) if seconds else None
    cached = result_cache.results.get(key, time.time()) if key else None
    if cached is not None:
        outcome, was_cached = cached, True
    else:
        try:
            record, job = runs_service.prepare_call(
                db.session, func, code, kwargs, origin=origin,
                username=getattr(current_user, "username", None), now=utcnow(),
                load_connectors=load_for_job, origin_id=origin_id, http_request=http_request,
                files=contents,
            )  # fmt: skip
        except ServiceError as exc:
            raise CallError(400, "EClientBadRequest", exc.message) from None
        outcome, was_cached = _run(record, job), False
        if key and outcome["status"] == "success":
            result_cache.results.put(key, outcome, seconds, time.time())
    return _send(
        api_responses.from_outcome(
            outcome,
            timing,
            unbox=unbox,
            return_type=return_type,
            cached=was_cached,
            method=request.method,
            url=request.full_path.rstrip("?"),
        )
    )


def _queue_call(
    func_id: str,
    kwargs: dict[str, Any],
    *,
    origin: str,
    origin_id: str | None,
    http_request: dict[str, Any] | None,
    run_at: datetime | None = None,
) -> str:
    func, _code = _published(func_id)
    try:
        checked = runs_service.validate_kwargs(kwargs)
        runs_service.check_kwargs_against(func, checked)
    except ServiceError as exc:
        raise CallError(400, "EClientBadRequest", exc.message) from None
    now = utcnow()
    default = (func.timeout or ASYNC_EXPIRES) if origin == "async" else 900
    expires = (func.options or {}).get("expires") or default
    record = runs_service.new_queued_record(
        db.session,
        origin=origin,
        func=func,
        kwargs=checked,
        username=getattr(current_user, "username", None),
        now=now,
        origin_id=origin_id,
        http_request=http_request,
        scheduled_for=run_at,
        expires_at=(run_at or now) + timedelta(seconds=int(expires)),
    )
    db.session.commit()
    host_services = current_app.extensions["funcpad.host"]
    host_services.wake_queue()
    return record.id


# --- Sync and Async APIs ---------------------------------------------------------------------


def _entity_call(kind: str, api_id: str, fmt: str = "normal", rest: str | None = None):
    timing = CallTiming()
    try:
        if fmt not in FORMATS:
            raise CallError(404, "EClientNotFound", f"unknown format {fmt!r}")
        api = db.session.get(FuncApi, api_id) if len(api_id) <= 64 else None
        if api is None or api.kind != kind:
            raise CallError(404, "EClientNotFound", f"{kind.title()} API not found: `{api_id}`")
        query = {k: v for k, v in request.args.items()}
        body = _body_object()
        _check_auth(api, query, body)
        label = "SyncAPI" if kind == "sync" else "AsyncAPI"
        if api.disabled:
            raise CallError(403, f"EBizCondition.{label}Disabled", f"This {label} is disabled")
        if kind == "sync" and api.expires_at is not None and api.expires_at < utcnow():
            raise CallError(403, "EBizCondition.SyncAPIExpired", "This SyncAPI has expired")
        if kind == "sync":
            detail = func_apis.throttled(
                current_app.extensions["funcpad.host"].cache, api, time.time()
            )
            if detail is not None:
                raise CallError(429, "EClientRateLimit.APIThrottling", "Too many calls", detail)
        given, options = _arguments(fmt, query, body)
        try:
            kwargs = func_apis.merge_kwargs(api.kwargs or {}, given)
        except ServiceError as exc:
            raise CallError(400, "EClientBadRequest", exc.message) from None
        info = http_request_info(query, body)
        if (api.auth or {}).get("type") in ("httpBasic", "httpDigest"):
            # The platform checked these credentials; the function has no use for them.
            info["headers"].pop("authorization", None)
        if kind == "async":
            if request.files:
                raise CallError(400, "EClientBadRequest", "files can be sent to Sync APIs only")
            task_id = _queue_call(
                api.func_id, kwargs, origin="async", origin_id=api.id, http_request=info
            )
            return _send(api_responses.envelope({"id": task_id}, timing))
        uploads = _uploads() if request.files else ([], [])
        unbox = options.get("unbox", True) is not False
        return _sync_call(
            api.func_id, kwargs, timing, origin="sync", origin_id=api.id, http_request=info,
            unbox=unbox, return_type=_return_type(options), uploads=uploads,
        )  # fmt: skip
    except CallError as exc:
        db.session.rollback()
        return _error(exc, timing)


def _return_type(options: dict[str, Any]) -> str:
    value = options.get("returnType", "raw")
    if value not in ("raw", "jsonDumps"):
        raise CallError(400, "EClientBadRequest", "options.returnType must be raw or jsonDumps")
    return value


@public
def sync_api(api_id: str, fmt: str = "normal", rest: str | None = None):
    return _entity_call("sync", api_id, fmt, rest)


@public
def async_api(api_id: str, fmt: str = "normal", rest: str | None = None):
    return _entity_call("async", api_id, fmt, rest)


# --- direct function calls -------------------------------------------------------------------


def _describe(func: Func) -> dict[str, Any]:
    return {
        "id": func.id,
        "name": func.name,
        "title": func.title,
        "description": func.doc,
        "definition": f"{func.name}({', '.join(a['name'] for a in func.args)})",
        "argsJSON": [a["name"] for a in func.args],
        "kwargsJSON": {
            a["name"]: ({"default": a["default"]} if a["has_default"] else {}) for a in func.args
        },
        "extraConfigJSON": func.options or {},
        "category": func.category,
        "tagsJSON": func.tags or [],
        "scriptId": func.script_id,
        "scriptSetId": func.script_id.split("__", 1)[0] if "__" in func.script_id else "default",
    }


def _eta(options: dict[str, Any]) -> datetime | None:
    eta, delay = options.get("eta"), options.get("delay")
    if eta not in (None, ""):
        try:
            moment = datetime.fromisoformat(str(eta).replace("Z", "+00:00"))
        except ValueError:
            raise CallError(
                400, "EClientBadRequest", "options.eta must be an ISO 8601 time"
            ) from None
        if moment.tzinfo is None:
            raise CallError(400, "EClientBadRequest", "options.eta needs its time zone")
        return moment
    if delay not in (None, ""):
        if isinstance(delay, bool) or not isinstance(delay, int | float) or delay < 1:
            raise CallError(400, "EClientBadRequest", "options.delay must be at least 1 second")
        return utcnow() + timedelta(seconds=delay)
    return None


def func_api(func_id: str):
    timing = CallTiming()
    try:
        if request.method == "GET":
            func, _code = _published(func_id)
            return _send(api_responses.envelope(_describe(func), timing))
        body = _body_object() if request.is_json or request.form else {}
        kwargs = _json_arg(body.get("kwargs"), "kwargs")
        options = _json_arg(body.get("options"), "options")
        run_at = _eta(options)
        info = http_request_info(dict(request.args), body, platform_auth=True)
        if options.get("async") or run_at is not None:
            task_id = _queue_call(
                func_id, kwargs, origin="api", origin_id=None, http_request=info, run_at=run_at
            )
            return _send(api_responses.envelope({"id": task_id}, timing))
        return _sync_call(
            func_id, kwargs, timing, origin="api", origin_id=None, http_request=info,
            unbox=options.get("unbox") is True, return_type=_return_type(options),
        )  # fmt: skip
    except CallError as exc:
        db.session.rollback()
        return _error(exc, timing)


def func_many():
    timing = CallTiming()
    try:
        calls = _body_object().get("calls")
        if not isinstance(calls, list) or not calls or len(calls) > 1000:
            raise CallError(400, "EClientBadRequest", "calls must be a list of 1 to 1000 calls")
        ids = []
        for index, item in enumerate(calls):
            if not isinstance(item, dict) or not isinstance(item.get("funcId"), str):
                raise CallError(400, "EClientBadRequest", f"calls[{index}].funcId is required")
            options = _json_arg(item.get("options"), f"calls[{index}].options")
            ids.append(
                _queue_call(
                    item["funcId"],
                    _json_arg(item.get("kwargs"), f"calls[{index}].kwargs"),
                    origin="api",
                    origin_id=None,
                    http_request=None,
                    run_at=_eta(options),
                )
            )
        return _send(api_responses.envelope({"ids": ids}, timing))
    except CallError as exc:
        db.session.rollback()
        return _error(exc, timing)


def func_list():
    timing = CallTiming()
    funcs = funcs_service.list_funcs(db.session)
    return _send(api_responses.envelope([_describe(f) for f in funcs], timing))


def func_tag_list():
    timing = CallTiming()
    tags = sorted({t for f in funcs_service.list_funcs(db.session) for t in f.tags or []})
    return _send(api_responses.envelope(tags, timing))


def func_api_list():
    timing = CallTiming()
    apis = db.session.scalars(select(FuncApi).order_by(FuncApi.kind, FuncApi.id)).all()
    return _send(
        api_responses.envelope([func_apis.public_view(a) for a in apis if a.show_in_docs], timing)
    )


def export_sets():
    """DataFlux Func's POST /api/v1/script-sets/do/export: the zip."""
    from webapp.services import script_set_transfer as transfer

    timing = CallTiming()
    body = _body_object()
    ids = body.get("scriptSetIds")
    if not isinstance(ids, list) or not ids or not all(isinstance(i, str) for i in ids):
        return _error(CallError(400, "EClientBadRequest", "scriptSetIds is required"), timing)
    request_ = transfer.ExportRequest(
        script_set_ids=ids,
        connector_ids=[str(i) for i in body.get("connectorIds") or []],
        env_variable_ids=[str(i) for i in body.get("envVariableIds") or []],
        include_sync_apis=bool(body.get("includeSyncAPIs") or body.get("includeAuthLinks")),
        include_async_apis=bool(body.get("includeAsyncAPIs") or body.get("includeBatches")),
        include_cron_jobs=bool(body.get("includeCronJobs") or body.get("includeCrontabConfigs")),
        note=str(body.get("note") or "")[:5000],
    )
    try:
        name, content = transfer.export_zip(
            db.session, request_, username=current_user.username, now=utcnow()
        )
    except ServiceError as exc:
        return _error(CallError(exc.status, "EClientBadRequest", exc.message), timing)
    return Response(
        content,
        mimetype="application/zip",
        headers={"Content-Disposition": f'attachment; filename="{name}"'},
    )


def import_sets():
    """DataFlux Func's POST /api/v1/script-sets/do/import (multipart ``file``, ``checkOnly``)."""
    from webapp.services import import_staging
    from webapp.services import script_set_transfer as transfer
    from webapp.views.transfer_pages import confirm_import, data_dir

    timing = CallTiming()
    upload = request.files.get("file")
    if upload is None:
        return _error(CallError(400, "EClientBadRequest", "file is required"), timing)
    try:
        bundle = transfer.read_zip(upload.read(transfer.MAX_ZIP_BYTES + 1))
        confirm_id = import_staging.stage(data_dir(), bundle, utcnow())
        answer = {
            "confirmId": confirm_id,
            "diff": transfer.diff(db.session, bundle),
            "requirements": transfer.requirements(bundle),
            "note": bundle.note,
        }
        if request.form.get("checkOnly") not in ("true", "1", "True"):
            result, restore_point = confirm_import(confirm_id)
            answer = {**answer, "restorePoint": restore_point, "skipped": result.skipped,
                      "failedScripts": result.failed_scripts}  # fmt: skip
    except ServiceError as exc:
        db.session.rollback()
        return _error(CallError(exc.status, "EClientBadRequest", exc.message), timing)
    return _send(api_responses.envelope(answer, timing))


def confirm_import_sets():
    """DataFlux Func's POST /api/v1/script-sets/do/confirm-import {confirmId}."""
    from webapp.views.transfer_pages import confirm_import

    timing = CallTiming()
    try:
        result, restore_point = confirm_import(_body_object().get("confirmId"))
    except ServiceError as exc:
        db.session.rollback()
        reason = (
            "ConfirmingImportTimeout"
            if exc.code == "ConfirmingImportTimeout"
            else "EClientBadRequest"
        )
        return _error(CallError(400, reason, exc.message), timing)
    return _send(
        api_responses.envelope(
            {"restorePoint": restore_point, "skipped": result.skipped,
             "failedScripts": result.failed_scripts},
            timing,
        )
    )  # fmt: skip


ENTITY_PREFIXES = ("sync", "al", "async", "bat")  # al and bat: DataFlux Func's older names


def _add_routes() -> None:
    """Each path in DataFlux Func's forms (once, at import: the blueprint serves every app)."""
    for view, names in ((sync_api, ("sync", "al")), (async_api, ("async", "bat"))):
        for name in names:
            base = f"/api/v1/{name}/<api_id>"
            for rule in (base, f"{base}/<fmt>", f"{base}/<fmt>/<path:rest>"):
                bp.add_url_rule(rule, f"{name}{rule.count('/')}", view, methods=["GET", "POST"])
    bp.add_url_rule("/api/v1/func/<func_id>", "func", func_api, methods=["GET", "POST"])
    bp.add_url_rule("/api/v1/func-many", "func_many", func_many, methods=["POST"])
    bp.add_url_rule("/api/v1/func-list", "func_list", func_list, methods=["GET"])
    bp.add_url_rule("/api/v1/func-tag-list", "func_tag_list", func_tag_list, methods=["GET"])
    bp.add_url_rule("/api/v1/func-api-list", "func_api_list", func_api_list, methods=["GET"])
    bp.add_url_rule("/api/v1/script-sets/do/export", "export", export_sets, methods=["POST"])
    bp.add_url_rule("/api/v1/script-sets/do/import", "import", import_sets, methods=["POST"])
    bp.add_url_rule(
        "/api/v1/script-sets/do/confirm-import", "confirm", confirm_import_sets, methods=["POST"]
    )


_add_routes()


def init_app(app: Flask) -> None:
    """Register the routes and exempt the public entity endpoints from the CSRF check: their
    callers are other programs, with their own auth."""
    for name in ENTITY_PREFIXES:
        csrf_exempt_prefix(app, f"/api/v1/{name}/")
    app.register_blueprint(bp)
