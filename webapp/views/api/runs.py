"""Running code: editor runs (JSON or a live event stream), function calls, task records."""

from __future__ import annotations

import json
import queue
import threading
import time
from typing import Any, Literal

from flask import Response, current_app, jsonify, request, stream_with_context
from flask_login import current_user
from pydantic import Field
from sqlalchemy import select

from webapp.executor import get_executor
from webapp.extensions import db
from webapp.host import load_for_job
from webapp.models import TaskRecord
from webapp.models.types import utcnow
from webapp.services import funcs as funcs_service
from webapp.services import result_cache
from webapp.services import runs as runs_service
from webapp.services import scripts as scripts_service
from webapp.services.errors import N_, NotFound, ServiceError
from webapp.views.api import api, fields, shapes
from webapp.views.api.operation import Body, Query, operation

STREAM_NOTE = N_(
    "With `Accept: text/event-stream` the answer is a stream of server-sent events: `start`, "
    "one `log` per printed line as it happens, then `result` (the task record)."
)


class DraftRun(Body):
    func: fields.NameArg | None = Field(
        None, description=N_("The function to call; none runs the top level only.")
    )
    kwargs: fields.Kwargs | None = None


class Call(Body):
    kwargs: fields.Kwargs | None = None


class FuncsQuery(Query):
    include_hidden: bool = Field(False, description=N_("Also list functions marked is_hidden."))


class TaskRecordsQuery(Query):
    origin: (
        Literal["debug", "api", "crontab", "manual", "func", "sync", "async", "integration"] | None
    ) = None
    func_id: fields.QueryText | None = None
    status: fields.QueryText | None = None
    crontab_config_id: fields.QueryText | None = None
    script_id: fields.QueryText | None = None
    limit: fields.integer(1, 1000, N_("How many records, newest first.")) = 50


HEARTBEAT_SECONDS = 0.5


def _wants_stream() -> bool:
    return "text/event-stream" in request.headers.get("Accept", "")


def _respond(record: TaskRecord, job: dict[str, Any]):
    """Run the job now: a JSON answer at the end, or server-sent events while it runs."""
    executor = get_executor()
    if not _wants_stream():
        executor.execute(record, job)
        body = runs_service.record_json(record)  # before commit: no reload of what we just set
        db.session.commit()
        return jsonify(body)
    db.session.commit()
    start = {
        "task_id": record.id,
        "func_id": record.func_id,
        "kwargs": record.kwargs,
        "started_at": record.started_at.isoformat(),
    }
    return Response(
        stream_with_context(_stream(executor, record, start, job)),
        mimetype="text/event-stream",
        headers={"Cache-Control": "no-cache", "X-Accel-Buffering": "no"},
    )


def _event(name: str, data: Any) -> str:
    return f"event: {name}\ndata: {json.dumps(data, ensure_ascii=False)}\n\n"


def _stream(executor, record: TaskRecord, start: dict[str, Any], job: dict[str, Any]):
    """Server-sent events: ``start``, then ``log`` per line as it happens, then ``result``.

    The run executes in a thread of its own (with its own app context and session); this
    generator forwards its lines as they come.
    """
    app = current_app._get_current_object()
    events: queue.Queue = queue.Queue()
    outcome: dict[str, Any] = {}

    def work() -> None:
        try:
            with app.app_context():
                try:
                    executor.execute(record, job, events.put)
                    db.session.commit()
                    outcome["body"] = runs_service.record_json(record)
                finally:
                    db.session.remove()
        finally:
            events.put(None)

    worker = threading.Thread(target=work, name=f"run-{record.id}", daemon=True)
    yield _event("start", start)
    worker.start()
    try:
        while True:
            try:
                entry = events.get(timeout=HEARTBEAT_SECONDS)
            except queue.Empty:
                yield ": keep-alive\n\n"  # a closed connection shows up here as an error
                continue
            if entry is None:
                break
            yield _event("log", entry)
    except GeneratorExit:  # the browser went away (Stop, or closed the tab)
        executor.cancel(record.id)
        worker.join(10)
        raise
    worker.join()
    yield _event("result", outcome.get("body") or _stored(record.id))


def _stored(record_id: str) -> dict[str, Any]:
    """The record as stored (the run's thread failed before it could answer)."""
    db.session.commit()
    record = db.session.get(TaskRecord, record_id)
    return runs_service.record_json(record) if record is not None else {"task_id": record_id}


RUN_RESPONSES = {200: shapes.TaskRecord, 404: shapes.Error}


@api.post("/scripts/<script_id>/run")
@operation(
    N_("Run the draft (a debug run)"),
    tag="runs",
    path={"script_id": fields.ScriptId},
    body=DraftRun,
    responses=RUN_RESPONSES,
    streams=True,
    description=STREAM_NOTE,
)
def run_draft(script_id: str, body: DraftRun):
    script = scripts_service.get_script(db.session, script_id)
    record, job = runs_service.prepare_draft_run(
        db.session,
        script,
        body.func,
        body.kwargs,
        username=current_user.username,
        now=utcnow(),
        load_connectors=load_for_job,
    )
    return _respond(record, job)


@api.get("/funcs")
@operation(
    N_("Published functions"),
    tag="funcs",
    query=FuncsQuery,
    responses={200: list[shapes.Func]},
)
def list_funcs(query: FuncsQuery):
    """Published functions; those declared ``is_hidden`` only with ``?include_hidden=1``."""
    funcs = funcs_service.list_funcs(db.session, include_hidden=query.include_hidden)
    return jsonify([funcs_service.to_json(f) for f in funcs])


@api.get("/funcs/<func_id>")
@operation(
    N_("One published function"),
    tag="funcs",
    path={"func_id": fields.FuncId},
    responses={200: shapes.Func, 404: shapes.Error},
)
def get_func(func_id: str):
    return jsonify(funcs_service.to_json(funcs_service.get_func(db.session, func_id)))


@api.post("/funcs/<func_id>/call")
@operation(
    N_("Call a published function"),
    tag="funcs",
    path={"func_id": fields.FuncId},
    body=Call,
    responses={200: shapes.CallResult, 404: shapes.Error},
    streams=True,
    description=STREAM_NOTE,
)
def call_func(func_id: str, body: Call):
    func, code = funcs_service.get_func_and_code(db.session, func_id)
    seconds = result_cache.cache_seconds(func.options)
    if seconds and not _wants_stream():
        key = result_cache.results.key(func.id, func.version, body.kwargs or {})
        cached = result_cache.results.get(key, time.time())
        if cached is not None:
            return jsonify({**cached, "cached": True})
    record, job = runs_service.prepare_call(
        db.session,
        func,
        code,
        body.kwargs,
        origin="api",
        username=current_user.username,
        now=utcnow(),
        load_connectors=load_for_job,
    )
    response = _respond(record, job)
    if seconds and response.is_json:
        result_cache.results.put(key, response.get_json(), seconds, time.time())
    return response


@api.get("/task-records")
@operation(
    N_("Task records, newest first"),
    tag="task-records",
    query=TaskRecordsQuery,
    responses={200: list[shapes.TaskRecord]},
)
def list_task_records(query: TaskRecordsQuery):
    select_records = select(TaskRecord).order_by(TaskRecord.created_at.desc())
    for name in ("origin", "func_id", "status", "crontab_config_id", "script_id"):
        value = getattr(query, name)
        if value:
            select_records = select_records.where(getattr(TaskRecord, name) == value)
    records = db.session.scalars(select_records.limit(query.limit)).all()
    return jsonify([runs_service.record_json(r, with_print_logs=False) for r in records])


@api.get("/task-records/<task_id>")
@operation(
    N_("One task record"),
    tag="task-records",
    path={"task_id": fields.TaskId},
    responses={200: shapes.TaskRecord, 404: shapes.Error},
)
def get_task_record(task_id: str):
    record = db.session.get(TaskRecord, task_id)
    if record is None:
        raise NotFound(N_("Task record %(id)s does not exist."), id=task_id)
    return jsonify(runs_service.record_json(record))


@api.post("/task-records/<task_id>/stop")
@operation(
    N_("Stop a running task"),
    tag="task-records",
    path={"task_id": fields.TaskId},
    responses={200: shapes.Stopped, 404: shapes.Error, 409: shapes.Error},
)
def stop_task(task_id: str):
    record = db.session.get(TaskRecord, task_id)
    if record is None:
        raise NotFound(N_("Task record %(id)s does not exist."), id=task_id)
    if record.status != "running":
        raise ServiceError("not_running", N_("The task is not running."), status=409)
    stopped = get_executor().cancel(task_id)
    return jsonify(stopped=stopped)
