"""Running code: editor runs of the draft, calls of published functions, function extraction.

Every run goes through the one runner (``webapp.runner.pool.RunnerPool`` or anything with the same
``run(job, on_log)``) and is kept as a task record. The service decides *what* runs with which
inputs; the runner decides *how*.
"""

from __future__ import annotations

import ast
import functools
import keyword
import uuid
from collections.abc import Callable
from datetime import UTC, datetime, timedelta
from typing import Any, Protocol

from sqlalchemy import bindparam, select, update
from sqlalchemy.orm import Session
from sqlalchemy.orm.attributes import set_committed_value

from webapp.models import Func, Script, TaskRecord, WorkerHeartbeat
from webapp.models.types import utcnow
from webapp.services import code_outline, print_logs, process_identity, queues, script_imports
from webapp.services import env_vars as env_service
from webapp.services.errors import N_, ServiceError

DEBUG_TIMEOUT = 60  # editor runs, as users know them
DEFAULT_TIMEOUT = 35  # published functions without DFF.API(timeout=...)
EXTRACT_TIMEOUT = 10  # publishing runs the top level to collect @DFF.API functions
LOG_LIMIT_BYTES = 1024 * 1024
MAX_KWARGS_BYTES = 256 * 1024

# No run lasts longer than the longest DFF.API timeout and the runner's grace: past this, a
# record still "running" was left by a process that died.
MAX_RUN_SECONDS = 3600 + 60
# A `funcpad worker` beats every few seconds; one silent this long has stopped.
HEARTBEAT_STALE_SECONDS = 20
WORKER_LOST = {
    "type": "WorkerLost",
    "message": "worker lost: the process running this task stopped before it finished",
    "traceback": "",
    "line": None,
}
LogCallback = Callable[[dict[str, Any]], None]
# Plain table statements, compiled once: a run's record costs one INSERT and one UPDATE.
_RECORDS = TaskRecord.__table__
_INSERT_RECORD = _RECORDS.insert()
_UPDATE_OUTCOME = _RECORDS.update().where(_RECORDS.c.id == bindparam("record_id"))


CallCallback = Callable[[str, dict[str, Any]], Any]


class Runner(Protocol):
    def run(
        self,
        job: dict[str, Any],
        on_log: LogCallback | None = None,
        on_call: CallCallback | None = None,
    ) -> dict[str, Any]: ...


ConnectorLoader = Callable[[Session, set[str] | None], dict[str, dict[str, Any]]]


def _no_connectors(_session: Session, _ids: set[str] | None) -> dict[str, dict[str, Any]]:
    return {}


def worker_gone(
    worker: str | None,
    started_at: datetime | None,
    now: datetime,
    beats: dict[str, datetime],
    is_alive: Callable[[str | None], bool | None] = process_identity.is_alive,
) -> bool:
    """Whether the process that runs a record has stopped: on this host its pid says so;
    elsewhere a ``funcpad worker`` that stopped beating (``beats``: worker id -> last
    heartbeat) has; else a run older than any run can be was left by a process that died."""
    alive = is_alive(worker)
    if alive is not None:
        return not alive
    beat = beats.get((worker or "").split("/", 1)[0])
    if beat is not None:
        return beat < now - timedelta(seconds=HEARTBEAT_STALE_SECONDS)
    return started_at is not None and started_at < now - timedelta(seconds=MAX_RUN_SECONDS)


def heartbeats(session: Session) -> dict[str, datetime]:
    """Every worker's last heartbeat, by worker id."""
    return dict(session.execute(select(WorkerHeartbeat.id, WorkerHeartbeat.seen_at)).all())


def mark_lost(session: Session, record_ids: list[str], now: datetime) -> int:
    """``failure`` "worker lost" for those of ``record_ids`` still running."""
    if not record_ids:
        return 0
    return session.execute(
        update(TaskRecord)
        .where(TaskRecord.id.in_(record_ids), TaskRecord.status == "running")
        .values(status="failure", ended_at=now, error=WORKER_LOST)
    ).rowcount


def sweep_lost_runs(
    session: Session,
    now: datetime,
    is_alive: Callable[[str | None], bool | None] = process_identity.is_alive,
) -> int:
    """Mark ``failure`` "worker lost" every run left ``running`` by a process that is gone
    (``worker_gone``), of any origin; returns how many records were marked."""
    running = session.execute(
        select(TaskRecord.id, TaskRecord.worker, TaskRecord.started_at).where(
            TaskRecord.status == "running"
        )
    ).all()
    if not running:
        return 0
    beats = heartbeats(session)
    lost = [
        record_id
        for record_id, worker, started_at in running
        if worker_gone(worker, started_at, now, beats, is_alive)
    ]
    mark_lost(session, lost, now)
    return len(lost)


# --- inputs --------------------------------------------------------------------------------


def validate_func_name(name: object) -> str:
    if (
        not isinstance(name, str)
        or not name.isidentifier()
        or keyword.iskeyword(name)
        or name.startswith("_")
    ):
        raise ServiceError(
            "invalid_func",
            N_("func must be the name of a function not starting with _."),
            field="func",
        )
    return name


def validate_kwargs(kwargs: object) -> dict[str, Any]:
    if kwargs is None:
        return {}
    if not isinstance(kwargs, dict):
        raise ServiceError("invalid_kwargs", N_("kwargs must be a JSON object."), field="kwargs")
    for key in kwargs:
        if not key.isidentifier():
            raise ServiceError(
                "invalid_kwargs",
                N_("%(key)s is not a valid argument name."),
                field="kwargs",
                params={"key": key},
            )
    if len(repr(kwargs)) > MAX_KWARGS_BYTES:
        raise ServiceError("invalid_kwargs", N_("kwargs are larger than 256 KiB."), field="kwargs")
    return kwargs


def check_kwargs_against(func: Func | code_outline.FuncOutline, kwargs: dict[str, Any]) -> None:
    """Unknown names are rejected unless the function takes ``**kwargs``; required ones needed.

    ``func`` is a published function or, for a draft run, the draft's outline of it (read with
    ``ast``), so that a wrong name is said once, as ours, before anything runs."""
    func_id = getattr(func, "id", None) or func.name
    names = {a["name"] for a in func.args}
    if not func.accepts_var_kwargs:
        unknown = sorted(set(kwargs) - names)
        if unknown:
            raise ServiceError(
                "invalid_kwargs",
                N_("%(func)s takes no argument named %(names)s."),
                field="kwargs",
                params={"func": func_id, "names": ", ".join(unknown)},
            )
    missing = [a["name"] for a in func.args if not a["has_default"] and a["name"] not in kwargs]
    if missing:
        raise ServiceError(
            "invalid_kwargs",
            N_("%(func)s needs a value for %(names)s."),
            field="kwargs",
            params={"func": func_id, "names": ", ".join(missing)},
        )


def referenced_names_in(codes: list[str]) -> tuple[set[str] | None, set[str] | None]:
    """``referenced_names`` over several scripts (the entry and what it imports)."""
    env: set[str] | None = set()
    connectors: set[str] | None = set()
    for code in codes:
        more_env, more_connectors = referenced_names(code)
        env = None if env is None or more_env is None else env | more_env
        connectors = (
            None if connectors is None or more_connectors is None else connectors | more_connectors
        )
    return env, connectors


@functools.lru_cache(maxsize=256)
def referenced_names(code: str) -> tuple[frozenset[str] | None, frozenset[str] | None]:
    """Env variable names and connector ids the code names literally (None: it computes them).

    Only what a script names is passed into its sandbox; a call with a computed argument
    (``DFF.ENV(prefix + 'x')``) gets everything, as it could ask for anything.
    """
    try:
        tree = ast.parse(code)
    except SyntaxError:
        return set(), set()
    env: set[str] | None = set()
    connectors: set[str] | None = set()
    for node in ast.walk(tree):
        if not (isinstance(node, ast.Call) and isinstance(node.func, ast.Attribute)):
            continue
        target = node.func
        if not (isinstance(target.value, ast.Name) and target.value.id == "DFF"):
            continue
        if target.attr not in ("ENV", "SRC", "CONN"):
            continue
        first = node.args[0] if node.args else None
        literal = first.value if isinstance(first, ast.Constant) else None
        if target.attr == "ENV":
            if isinstance(literal, str) and env is not None:
                env.add(literal)
            else:
                env = None
        elif isinstance(literal, str) and connectors is not None:
            connectors.add(literal)
        else:
            connectors = None
    return (
        frozenset(env) if env is not None else None,
        frozenset(connectors) if connectors is not None else None,
    )


# --- jobs and records ----------------------------------------------------------------------


SECRET_HEADERS = ("authorization", "proxy-authorization")


def stored_http_request(http_request: dict[str, Any] | None) -> dict[str, Any] | None:
    """The request as a task record keeps it: credentials masked (records are read by every
    user of the platform; the run itself may still get them, see ``prepare_call``)."""
    if not http_request:
        return http_request
    headers = {
        k: ("*****" if k in SECRET_HEADERS else v)
        for k, v in (http_request.get("headers") or {}).items()
    }
    return {**http_request, "headers": headers}


def new_record(
    session: Session,
    *,
    origin: str,
    func_id: str,
    script_id: str,
    version: int | None,
    kwargs: dict[str, Any],
    username: str | None,
    now: datetime,
    crontab_config_id: str | None = None,
    scheduled_for: datetime | None = None,
    origin_id: str | None = None,
    http_request: dict[str, Any] | None = None,
) -> TaskRecord:
    """Insert a ``running`` record (one INSERT) and return an object mirroring the row.

    Runs are the hot path: a plain INSERT here and an UPDATE in ``finish`` cost a fraction of
    the ORM's unit of work. The returned object is not attached to the session.
    """
    values = {
        "id": uuid.uuid4().hex,
        "origin": origin,
        "func_id": func_id,
        "script_id": script_id,
        "script_version": version,
        "crontab_config_id": crontab_config_id,
        "kwargs": kwargs,
        "status": "running",
        "created_at": now,
        "scheduled_for": scheduled_for,
        "started_at": now,
        "ended_at": None,
        "duration_ms": None,
        "peak_memory_kb": None,
        "logs": [],
        "log_truncated": False,
        "return_value": None,
        "error": None,
        "triggered_by": username,
        "worker": process_identity.process_id(),
        "origin_id": origin_id,
        "http_request": stored_http_request(http_request),
    }
    session.execute(_INSERT_RECORD, values)
    return TaskRecord(**values)


def new_queued_record(
    session: Session,
    *,
    origin: str,
    func: Func,
    kwargs: dict[str, Any],
    username: str | None,
    now: datetime,
    expires_at: datetime | None,
    origin_id: str | None = None,
    http_request: dict[str, Any] | None = None,
    scheduled_for: datetime | None = None,
    root_task_id: str | None = None,
    call_chain: list[str] | None = None,
    queue: int | None = None,
) -> TaskRecord:
    """A ``queued`` record (kwargs already checked) that the scheduler's queue runs once its
    ``scheduled_for`` has come, unless ``expires_at`` passes first; ``queue`` is the caller's
    explicit worker queue (``queues.queue_for``)."""
    record = TaskRecord(
        id=uuid.uuid4().hex,
        origin=origin,
        func_id=func.id,
        script_id=func.script_id,
        kwargs=kwargs,
        status="queued",
        created_at=now,
        scheduled_for=scheduled_for,
        logs=[],
        triggered_by=username,
        origin_id=origin_id,
        http_request=stored_http_request(http_request),
        root_task_id=root_task_id,
        call_chain=call_chain,
        expires_at=expires_at,
        queue=queues.queue_for(origin, func.options, queue),
    )
    session.add(record)
    session.flush()
    return record


def build_job(
    session: Session,
    record: TaskRecord,
    code: str,
    func: str,
    timeout: int,
    load_connectors: ConnectorLoader,
    cron_expr: str | None = None,
    dff_origin: str | None = None,
    files: list[dict[str, Any]] | None = None,
) -> dict[str, Any]:
    """The job of one run; ``dff_origin`` overrides the origin scripts see (an auth function's
    ``apiAuth``), ``files`` are uploads the sandbox writes before the function runs."""
    modules = script_imports.modules_for(session, record.script_id or "", code)
    env_names, connector_ids = referenced_names_in([code, *modules.values()])
    delay = record.cron_delay or 0
    trigger = (record.scheduled_for or record.created_at) - timedelta(seconds=delay)
    return {
        "id": record.id,
        "mode": "run",
        "code": code,
        "modules": modules,
        "script_id": record.script_id,
        "func": func,
        "kwargs": record.kwargs,
        "timeout": timeout,
        "log_limit": LOG_LIMIT_BYTES,
        "env": env_service.for_sandbox(session, env_names),
        "connectors": load_connectors(session, connector_ids),
        "context": {
            "func_id": record.func_id,
            "origin": record.origin,
            "origin_id": record.crontab_config_id or record.origin_id,
            "trigger_time": int(trigger.timestamp()),
            "cron_expr": cron_expr,
            "cron_job_delay": delay,
            "queue": record.queue,
            # An asynchronous call with an eta or delay (not a cron tick): when it was meant to run.
            "eta": record.scheduled_for.isoformat()
            if record.scheduled_for and record.origin == "api"
            else None,
            "delay": max(round((record.scheduled_for - record.created_at).total_seconds()), 0)
            if record.scheduled_for and record.origin == "api" and record.created_at
            else 0,
            "root_task_id": record.root_task_id,
            "call_chain": record.call_chain or [record.func_id],
            "dff_origin": dff_origin or _first_origin(session, record),
            "triggered_by": record.triggered_by,
            "http_request": record.http_request,
        },
        "files": files or [],
    }


def _first_origin(session: Session, record: TaskRecord) -> str | None:
    """A run started by DFF.FUNC has the origin of the run that started the chain (as in
    DataFlux Func); None for any other run (the harness maps its own origin)."""
    seen = 0
    while record is not None and record.origin == "func" and seen <= 5:
        record = session.get(TaskRecord, record.root_task_id) if record.root_task_id else None
        seen += 1
    if record is None or record.origin == "func":
        return None
    return record.origin


def log_entry(message: dict[str, Any]) -> dict[str, Any]:
    """One printed line as streamed and stored (cut at 3,000 characters, as in DataFlux Func)."""
    when = message.get("time")
    stamp = datetime.fromtimestamp(when, UTC) if isinstance(when, int | float) else utcnow()
    return {
        "time": stamp.isoformat(),
        "message": print_logs.cut_line(str(message.get("message", ""))),
    }


def finish(
    session: Session,
    record: TaskRecord,
    result: dict[str, Any],
    logs: list[dict[str, Any]],
    now: datetime,
) -> TaskRecord:
    """Store a run's outcome (one UPDATE) and set the same values on ``record``.

    The duration is the record's own ``ended_at - started_at``: the clock its log lines count
    ``[total ms]`` on, so that no line says more time passed than the run took.
    """
    logs, trimmed = print_logs.kept(logs)
    duration = result.get("duration_ms")
    if record.started_at is not None:
        duration = round((now - record.started_at).total_seconds() * 1000, 3)
    outcome = {
        "status": result.get("status", "failure"),
        "return_value": result.get("return_value"),
        "error": result.get("error"),
        "logs": logs,
        "log_truncated": bool(result.get("log_truncated")) or trimmed,
        "peak_memory_kb": result.get("peak_memory_kb"),
        "ended_at": now,
        "duration_ms": duration,
        "response_control": result.get("response_control"),
    }
    session.execute(_UPDATE_OUTCOME, {"record_id": record.id, **outcome})
    for name, value in outcome.items():
        set_committed_value(record, name, value)  # already stored: nothing left to flush
    return record


def execute(
    session: Session,
    runner: Runner,
    record: TaskRecord,
    job: dict[str, Any],
    on_log: LogCallback | None = None,
    on_call: CallCallback | None = None,
) -> TaskRecord:
    """Run ``job`` for ``record`` (already committed as running) and store the outcome;
    ``on_call`` answers the script's host calls (``services.host_calls``)."""
    logs: list[dict[str, Any]] = []

    def collect(message: dict[str, Any]) -> None:
        entry = log_entry(message)
        logs.append(entry)
        if on_log is not None:
            on_log(entry)

    result = runner.run(job, collect, on_call)
    return finish(session, record, result, logs, utcnow())


def prepare_draft_run(
    session: Session,
    script: Script,
    func: object,
    kwargs: object,
    *,
    username: str | None,
    load_connectors: ConnectorLoader = _no_connectors,
    now: datetime,
) -> tuple[TaskRecord, dict[str, Any]]:
    """A task record (origin ``debug``) and the job running the draft's ``func(**kwargs)``."""
    func = validate_func_name(func)
    kwargs = validate_kwargs(kwargs)
    if func:
        try:
            declared = {f.name: f for f in code_outline.outline(script.draft_code)}
        except SyntaxError:
            declared = {}  # the run itself reports the syntax error, with its line
        if func in declared:  # a function defined dynamically is left to Python to check
            check_kwargs_against(declared[func], kwargs)
    record = new_record(
        session,
        origin="debug",
        func_id=f"{script.id}.{func}",
        script_id=script.id,
        version=None,
        kwargs=kwargs,
        username=username,
        now=now,
    )
    return record, build_job(
        session, record, script.draft_code, func, DEBUG_TIMEOUT, load_connectors
    )


def prepare_call(
    session: Session,
    func: Func,
    code: str,
    kwargs: object,
    *,
    origin: str,
    username: str | None,
    load_connectors: ConnectorLoader = _no_connectors,
    now: datetime,
    crontab_config_id: str | None = None,
    scheduled_for: datetime | None = None,
    cron_expr: str | None = None,
    origin_id: str | None = None,
    http_request: dict[str, Any] | None = None,
    dff_origin: str | None = None,
    files: list[dict[str, Any]] | None = None,
) -> tuple[TaskRecord, dict[str, Any]]:
    """A task record and the job calling a published function with checked kwargs."""
    kwargs = validate_kwargs(kwargs)
    check_kwargs_against(func, kwargs)
    record = new_record(
        session,
        origin=origin,
        func_id=func.id,
        script_id=func.script_id,
        version=func.version,
        kwargs=kwargs,
        username=username,
        now=now,
        crontab_config_id=crontab_config_id,
        scheduled_for=scheduled_for,
        origin_id=origin_id,
        http_request=http_request,
    )
    job = build_job(
        session,
        record,
        code,
        func.name,
        func.timeout or DEFAULT_TIMEOUT,
        load_connectors,
        cron_expr,
        dff_origin,
        files,
    )
    if http_request is not None:  # the run gets the request as it came (the record: masked)
        job["context"]["http_request"] = http_request
    return record, job


def extract_funcs(
    runner: Runner, code: str, script_id: str, modules: dict[str, str] | None = None
) -> list[dict[str, Any]]:
    """Run the top level in the sandbox and return its ``@DFF.API`` functions.

    ``modules`` are the published scripts the code imports (``script_imports.modules_for``).
    A failure or a timeout rejects the publish: a 400 naming the line when there is one.
    """
    job = {
        "mode": "extract",
        "code": code,
        "modules": modules or {},
        "script_id": script_id,
        "func": None,
        "kwargs": {},
        "timeout": EXTRACT_TIMEOUT,
        "log_limit": 64 * 1024,
        "env": {},
        "connectors": {},
        "context": {"origin": "publish"},
    }
    result = runner.run(job)
    if result.get("status") != "success":
        error = result.get("error") or {}
        if result.get("status") == "timeout":
            message = N_("The top level of the script ran longer than %(n)s s while publishing.")
            raise ServiceError(
                "publish_timeout",
                message,
                field="code",
                params={"n": EXTRACT_TIMEOUT},
                extra={"line": error.get("line")},
            )
        raise ServiceError(
            "publish_failed",
            N_("The script failed while loading: %(type)s: %(detail)s"),
            field="code",
            params={"type": error.get("type", "Error"), "detail": error.get("message", "")},
            extra={"line": error.get("line"), "traceback": error.get("traceback")},
        )
    return list(result.get("funcs") or [])


def record_json(record: TaskRecord, with_print_logs: bool = True) -> dict[str, Any]:
    """A record as the API answers it; ``print_logs`` (each line formatted) only when asked:
    a list of records would format every line of every run."""

    def iso(value: datetime | None) -> str | None:
        return value.isoformat() if value else None

    return {
        "id": record.id,
        "task_id": record.id,
        "origin": record.origin,
        "func_id": record.func_id,
        "script_id": record.script_id,
        "script_version": record.script_version,
        "crontab_config_id": record.crontab_config_id,
        "kwargs": record.kwargs,
        "status": record.status,
        "scheduled_for": iso(record.scheduled_for),
        "created_at": iso(record.created_at),
        "started_at": iso(record.started_at),
        "ended_at": iso(record.ended_at),
        "duration_ms": record.duration_ms,
        "peak_memory_kb": record.peak_memory_kb,
        "logs": record.logs,
        "log_truncated": record.log_truncated,
        "return_value": record.return_value,
        "error": record.error,
        "triggered_by": record.triggered_by,
        "root_task_id": record.root_task_id,
        "call_chain": record.call_chain,
        "origin_id": record.origin_id,
        # DataFlux Func's printLogs: each line with its [time] [+Δms] [total ms] prefix.
        "print_logs": print_logs.formatted(record.logs or [], record.started_at)
        if with_print_logs
        else None,
    }
