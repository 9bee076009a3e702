"""Child side: load a script's code, call one function, report logs and the result.

Runs inside the sandbox with only the standard library, ``requests`` and ``webapp.sdk`` (copied
next to it as the ``sdk`` package). ``run_job(job, emit)`` never raises: every failure of the
script becomes a ``failure`` result with a traceback limited to the script's own frames.
"""

from __future__ import annotations

import builtins
import copy
import importlib.abc
import importlib.util
import io
import json
import linecache
import reprlib
import resource
import sys
import threading
import time
import traceback
from collections.abc import Callable
from typing import Any

try:  # inside the sandbox the SDK is a top-level package; in the app it lives in webapp.sdk
    import framing
    from sdk.conn_influxdb import InfluxDBHelper
    from sdk.conn_memcached import MemcachedHelper
    from sdk.conn_mqtt import MQTTHelper
    from sdk.conn_prometheus import PrometheusHelper
    from sdk.conn_redis import RedisHelper
    from sdk.conn_sql import ClickHouseHelper, MySQLHelper, PostgreSQLHelper
    from sdk.datakit import DataKit
    from sdk.dataway import DataWay
    from sdk.dff import DFFNamespace, close_helpers
    from sdk.dff_errors import host_error
    from sdk.dff_resp import FuncResponse
except ImportError:  # pragma: no cover - exercised by in-process tests
    from webapp.runner import framing
    from webapp.sdk.conn_influxdb import InfluxDBHelper
    from webapp.sdk.conn_memcached import MemcachedHelper
    from webapp.sdk.conn_mqtt import MQTTHelper
    from webapp.sdk.conn_prometheus import PrometheusHelper
    from webapp.sdk.conn_redis import RedisHelper
    from webapp.sdk.conn_sql import ClickHouseHelper, MySQLHelper, PostgreSQLHelper
    from webapp.sdk.datakit import DataKit
    from webapp.sdk.dataway import DataWay
    from webapp.sdk.dff import DFFNamespace, close_helpers
    from webapp.sdk.dff_errors import host_error
    from webapp.sdk.dff_resp import FuncResponse

# Connector types a script can open with DFF.SRC(id): type -> helper class.
# Their libraries are imported when a helper is made, not by the fork server ahead.
CONNECTOR_FACTORIES: dict[str, Callable[..., Any]] = {
    "datakit": DataKit,
    "mysql": MySQLHelper,
    "postgresql": PostgreSQLHelper,
    "redis": RedisHelper,
    "memcached": MemcachedHelper,
    "influxdb": InfluxDBHelper,
    "mqtt": MQTTHelper,
    "clickhouse": ClickHouseHelper,
    "prometheus": PrometheusHelper,
    "df_dataway": DataWay.from_connector,
}

MAX_RETURN_BYTES = 1024 * 1024  # the default; a job's "result_limit" overrides it
MAX_ERROR_TEXT = 64 * 1024  # an exception's message and traceback, each
_safe_repr = reprlib.Repr()
_safe_repr.maxstring = 2000
_safe_repr.maxother = 2000
_safe_repr.maxlist = _safe_repr.maxdict = _safe_repr.maxtuple = _safe_repr.maxset = 100


def script_filename(script_id: str) -> str:
    return f"<{script_id}>"


class LogWriter(io.TextIOBase):
    """``sys.stdout`` of a run: every complete line becomes a timed log entry."""

    def __init__(self, emit: Callable[[dict], None], secrets: list[str], limit: int) -> None:
        self._emit = emit
        self._secrets = sorted((s for s in secrets if s), key=len, reverse=True)
        self._buffer = ""
        self._remaining = limit
        self.truncated = False

    def writable(self) -> bool:
        return True

    def write(self, text: str) -> int:
        if not isinstance(text, str):
            raise TypeError(f"write() argument must be str, not {type(text).__name__}")
        self._buffer += text
        while "\n" in self._buffer:
            line, self._buffer = self._buffer.split("\n", 1)
            self._send(line)
        while len(self._buffer) > framing.MAX_LOG_LINE:  # a huge line without a newline
            self._send(self._buffer[: framing.MAX_LOG_LINE])
            self._buffer = self._buffer[framing.MAX_LOG_LINE :]
        return len(text)

    def flush(self) -> None:
        pass

    def close_line(self) -> None:
        if self._buffer:
            self._send(self._buffer)
            self._buffer = ""

    def _send(self, line: str) -> None:
        if self.truncated:
            return
        for secret in self._secrets:
            line = line.replace(secret, "*****")
        cost = framing.log_cost(line)
        if cost > self._remaining:  # the supervisor counts the same way and adds the marker
            self.truncated = True
            return
        self._remaining -= cost
        self._emit({"type": "log", "time": time.time(), "message": line})


def json_safe(value: Any, limit: int = MAX_RETURN_BYTES) -> Any:
    """The value itself when JSON can carry it (within ``limit`` bytes), else a bounded repr."""
    try:
        encoded = json.dumps(value, ensure_ascii=False, allow_nan=False)
    except (TypeError, ValueError, RecursionError, OverflowError):
        try:
            return _safe_repr.repr(value)
        except Exception as exc:  # a __repr__ that raises
            return f"<unrepresentable {type(value).__name__}: {exc.__class__.__name__}>"
    if len(encoded.encode("utf-8", "replace")) > limit:
        return _safe_repr.repr(value) + f"  [return value truncated: {len(encoded)} bytes as JSON]"
    return value


def describe_error(
    exc: BaseException, filename: str, others: frozenset[str] = frozenset()
) -> dict[str, Any]:
    """Type, message, a traceback of the scripts' frames only (the entry script's and those of
    the scripts it imported, ``others``, each named by its id), and the entry line at fault."""
    scripts = others | {filename}
    frames = [f for f in traceback.extract_tb(exc.__traceback__) if f.filename in scripts]
    entry = [f for f in frames if f.filename == filename]
    line = entry[-1].lineno if entry else None
    if isinstance(exc, SyntaxError) and exc.filename == filename:
        line = exc.lineno
    lines = ["Traceback (most recent call last):\n"] if frames else []
    lines += traceback.format_list(frames)
    lines += traceback.format_exception_only(type(exc), exc)
    return {
        "type": type(exc).__name__[:200],
        "message": _bounded(str(exc)),
        "traceback": _bounded("".join(lines)),
        "line": line,
    }


def _bounded(text: str) -> str:
    if len(text) <= MAX_ERROR_TEXT:
        return text
    return text[:MAX_ERROR_TEXT] + f"\n[truncated: {len(text)} characters in all]"


def peak_memory_kb() -> int:
    return int(resource.getrusage(resource.RUSAGE_SELF).ru_maxrss)


class HostChannel:
    """The script's calls to the platform (STORE, CACHE, FUNC...): one request frame out on
    the frames pipe, one answer frame back on the job pipe, a call at a time (a lock keeps
    threads of the script from mixing their answers). ``HostChannel(op, args)`` returns the
    answer's value or raises the error the platform named (``sdk.dff_errors``)."""

    def __init__(self, emit: Callable[[dict], None], source) -> None:
        self._emit = emit
        self._source = source
        self._lock = threading.Lock()
        self._next_id = 0

    def __call__(self, op: str, args: dict[str, Any]) -> Any:
        with self._lock:
            self._next_id += 1
            call_id = self._next_id
            self._emit({"type": "call", "id": call_id, "op": op, "args": args})
            answer = framing.read_frame(self._source)
        if not isinstance(answer, dict) or answer.get("id") != call_id:
            raise RuntimeError("the platform did not answer the call")
        if answer.get("error") is not None:
            raise host_error(answer["error"])
        return answer.get("value")


class ScriptImporter(importlib.abc.MetaPathFinder, importlib.abc.Loader):
    """Serves ``import <set>__<script>`` from the published code sent with the job.

    First on ``sys.meta_path``, so a script id wins over an installed package of the same name
    (as in DataFlux Func); ``script_import`` (the scripts' ``__import__``) adds the same-set form
    ``import __utils`` and names an import cycle instead of recursing. Each script runs at most
    once per run; its module gets the importing run's DFF, ``_DFF_*`` variables and log.
    """

    def __init__(self, modules: dict[str, str], make_globals: Callable[[str], dict]) -> None:
        self.modules = modules
        self.make_globals = make_globals
        self.loading: list[str] = []
        self.filenames = frozenset(script_filename(name) for name in modules)
        for name, code in modules.items():
            filename = script_filename(name)
            linecache.cache[filename] = (len(code), None, code.splitlines(True), filename)

    def find_spec(self, name, path=None, target=None):
        if name in self.modules:
            return importlib.util.spec_from_loader(name, self)
        return None

    def create_module(self, spec):
        return None  # the default module object

    def exec_module(self, module) -> None:
        name = module.__name__
        self.loading.append(name)
        try:
            module.__dict__.update(self.make_globals(name))
            code = compile(self.modules[name], script_filename(name), "exec", dont_inherit=True)
            exec(code, module.__dict__)
        finally:
            self.loading.pop()

    def script_import(self, name, globals=None, locals=None, fromlist=(), level=0):
        if level == 0 and name.startswith("__") and not name.endswith("__"):
            importer = str((globals or {}).get("__name__", ""))
            if "__" not in importer.strip("_"):
                raise ModuleNotFoundError(
                    f"import {name}: the same-set form needs the importing script to be in a "
                    f"set (<set>__<name>); {importer!r} is not",
                    name=name,
                )
            name = importer.split("__", 1)[0] + name
        top = name.split(".", 1)[0]
        if level == 0 and top in self.loading:
            cycle = [*self.loading[self.loading.index(top) :], top]
            raise ImportError(f"circular import between scripts: {' -> '.join(cycle)}", name=top)
        try:
            return _real_import(name, globals, locals, fromlist, level)
        except ModuleNotFoundError as exc:
            if level == 0 and exc.name == top and "__" in top.strip("_"):
                raise ModuleNotFoundError(
                    f"No module or published script named {top!r} (a script is imported by "
                    "its id, <set>__<name>, once it has been published; an import written "
                    "as a computed name cannot be sent with the run)",
                    name=top,
                ) from None
            raise


_real_import = builtins.__import__


def build_globals(
    job: dict[str, Any],
    dff: DFFNamespace,
    filename: str,
    script_builtins: dict[str, Any] | None = None,
    name: str | None = None,
    variables: dict[str, Any] | None = None,
) -> dict[str, Any]:
    """A script's module globals; ``variables`` are the run's _DFF_* values (computed once and
    copied into every script it imports, as in DataFlux Func)."""
    return {
        "__name__": name or job.get("script_id", "script"),
        "__file__": filename,
        "__builtins__": script_builtins if script_builtins is not None else builtins,
        "DFF": dff,
        **copy.deepcopy(variables if variables is not None else dff_variables(job)),
    }


# DataFlux Func's default queue of each origin (one queue here; scripts may read it).
DFF_QUEUES = {"debug": 5, "crontab": 2, "manual": 2, "async": 3}

# Our origins in DataFlux Func's words (what scripts compare _DFF_ORIGIN with).
DFF_ORIGINS = {
    "debug": "direct",
    "api": "direct",
    "crontab": "cronJob",
    "manual": "cronJob",
    "publish": "script",
    "sync": "syncAPI",
    "async": "asyncAPI",
    "integration": "integration",
}


def dff_variables(job: dict[str, Any]) -> dict[str, Any]:
    """DataFlux Func's _DFF_* variables of this run (the same in every script it imports)."""
    context = job.get("context") or {}
    script_id = str(job.get("script_id") or "")
    origin = context.get("origin")
    trigger = context.get("trigger_time")
    start_ms = int(time.time() * 1000)
    cron_expr = context.get("cron_expr")
    exec_mode = {"crontab": "cronJob", "manual": "manual"}.get(origin)
    func_id = context.get("func_id")
    chain = context.get("call_chain") or ([func_id] if func_id else [])
    dff_origin = DFF_ORIGINS.get(context.get("dff_origin") or origin, origin or "UNKNOWN")
    return {
        "_DFF_DEBUG": origin == "debug",
        "_DFF_TASK_ID": job.get("id"),
        "_DFF_ROOT_TASK_ID": context.get("root_task_id") or "ROOT",
        "_DFF_SCRIPT_SET_ID": script_id.split("__", 1)[0] if "__" in script_id else "default",
        "_DFF_SCRIPT_ID": script_id,
        "_DFF_FUNC_ID": func_id,
        "_DFF_FUNC_NAME": job.get("func"),
        "_DFF_FUNC_CHAIN": list(chain),
        "_DFF_ORIGIN": dff_origin,
        "_DFF_ORIGIN_ID": context.get("origin_id") or "direct",
        "_DFF_TRIGGER_TIME": trigger,
        "_DFF_TRIGGER_TIME_MS": None if trigger is None else int(trigger) * 1000,
        "_DFF_START_TIME": start_ms // 1000,
        "_DFF_START_TIME_MS": start_ms,
        "_DFF_ETA": context.get("eta"),
        "_DFF_DELAY": int(context.get("delay") or 0),
        "_DFF_CRON_EXPR": cron_expr,
        "_DFF_CRON_JOB_DELAY": int(context.get("cron_job_delay") or 0),
        "_DFF_CRON_JOB_EXEC_MODE": exec_mode,
        "_DFF_QUEUE": context.get("queue") or DFF_QUEUES.get(origin, 1),
        "_DFF_HTTP_REQUEST": context.get("http_request") or {},
        "_DFF_CRONTAB": cron_expr,
        "_DFF_CRONTAB_DELAY": int(context.get("cron_job_delay") or 0),
        "_DFF_CRONTAB_EXEC_MODE": exec_mode,
    }


class TaskInfo:
    """DFF.TASK: what the run is (read-only facts from the job)."""

    def __init__(self, **facts: Any) -> None:
        self.__dict__.update(facts)

    def __repr__(self) -> str:
        return f"<Task {self.__dict__.get('task_id')} {self.__dict__.get('func_id')}>"


def task_info(job: dict[str, Any], variables: dict[str, Any]) -> TaskInfo:
    return TaskInfo(
        task_id=variables["_DFF_TASK_ID"],
        func_id=variables["_DFF_FUNC_ID"],
        script_id=variables["_DFF_SCRIPT_ID"],
        func_name=variables["_DFF_FUNC_NAME"],
        origin=variables["_DFF_ORIGIN"],
        origin_id=variables["_DFF_ORIGIN_ID"],
        kwargs=copy.deepcopy(job.get("kwargs") or {}),
        root_task_id=variables["_DFF_ROOT_TASK_ID"],
        call_chain=list(variables["_DFF_FUNC_CHAIN"]),
        timeout=job.get("timeout"),
    )


def run_job(
    job: dict[str, Any],
    emit: Callable[[dict], None],
    connector_factories: dict[str, Callable[..., Any]] | None = None,
    host: Callable[[str, dict[str, Any]], Any] | None = None,
) -> dict[str, Any]:
    """Execute ``job`` (mode ``run``: call ``func(**kwargs)``; ``extract``: list DFF.API funcs).

    ``host`` carries the calls of STORE, CACHE, FUNC... to the platform (``HostChannel``);
    without it those members say they are not available in this run."""
    started = time.perf_counter()
    filename = script_filename(job.get("script_id", "script"))
    code = job["code"]
    linecache.cache[filename] = (len(code), None, code.splitlines(True), filename)
    factories = connector_factories or CONNECTOR_FACTORIES
    variables = dff_variables(job)
    task = task_info(job, variables)
    dff = DFFNamespace(
        job.get("env"),
        job.get("connectors"),
        factories,
        job.get("script_id", "script"),
        host=host,
        task=task,
    )

    def module_dff(name: str) -> DFFNamespace:
        # Each imported script has a DFF of its own (its DFF.API functions are its own, its
        # STORE and CACHE scope is its id), with the run's variables, connectors, CTX, thread
        # pool and task.
        return DFFNamespace(
            job.get("env"),
            job.get("connectors"),
            factories,
            name,
            dff.CTX,
            host=host,
            thread_pool=dff.THREAD,
            task=task,
        )

    log = LogWriter(emit, dff.password_values(), int(job.get("log_limit", 1024 * 1024)))
    saved_streams = sys.stdout, sys.stderr
    sys.stdout = sys.stderr = log
    result: dict[str, Any] = {"status": "success", "return_value": None, "error": None}
    importer = ScriptImporter(
        dict(job.get("modules") or {}),
        lambda name: build_globals(
            job, module_dff(name), script_filename(name), script_builtins, name, variables
        ),
    )
    script_builtins = {
        **vars(builtins),
        "__import__": importer.script_import,
        "print_var": dff.VAR,
    }
    sys.meta_path.insert(0, importer)
    try:
        write_uploads(job)
        module_globals = build_globals(job, dff, filename, script_builtins, variables=variables)
        exec(compile(code, filename, "exec", dont_inherit=True), module_globals)
        if job.get("mode") == "check":  # a connector's Test button: its helper's check()
            try:
                result["return_value"] = json_safe(dff.SRC(job["connector_id"]).check())
            finally:
                dff.clean_up()
        elif job.get("mode") == "extract":
            result["funcs"] = list(dff.exported.values())
        else:
            limit = int(job.get("result_limit", MAX_RETURN_BYTES))
            try:
                value = _call(module_globals, job)
            finally:
                dff.clean_up()  # DFF.THREAD's threads finish before the run does
            if isinstance(value, FuncResponse):  # DFF.RESP...: the HTTP answer's own shape
                result["response_control"] = value.control()
                value = value.data
            result["return_value"] = json_safe(value, limit)
    except BaseException as exc:
        # A Warning raised by the script means "skip this run", as in DataFlux Func.
        result["status"] = "skipped" if isinstance(exc, Warning) else "failure"
        try:
            result["error"] = describe_error(exc, filename, importer.filenames)
        except Exception:  # an exception whose __str__ or __repr__ raises
            result["error"] = {"type": "Exception", "message": "", "traceback": "", "line": None}
    finally:
        sys.meta_path.remove(importer)
        close_helpers()  # also when the script failed before its function ran
        log.close_line()
        sys.stdout, sys.stderr = saved_streams
    result["duration_ms"] = round((time.perf_counter() - started) * 1000, 3)
    result["peak_memory_kb"] = peak_memory_kb()
    result["log_truncated"] = log.truncated
    return result


def write_uploads(job: dict[str, Any]) -> None:
    """Files sent to a Sync API: written into the run's own directory, their paths set in the
    ``files`` kwarg (DataFlux Func's filePath)."""
    uploads = job.get("files") or []
    if not uploads:
        return
    import base64
    import os

    os.makedirs("uploads", exist_ok=True)
    described = (job.get("kwargs") or {}).get("files") or []
    for index, upload in enumerate(uploads):
        name = os.path.basename(str(upload.get("name") or "upload")) or "upload"
        path = os.path.abspath(os.path.join("uploads", f"{index}-{name}"))
        with open(path, "wb") as target:
            target.write(base64.b64decode(upload.get("content_base64") or ""))
        if index < len(described) and isinstance(described[index], dict):
            described[index]["filePath"] = path


WARM_UP_JOB = {
    "mode": "run",
    "code": "def warm_up(n=1):\n    return {'n': n}\n",
    "script_id": "__warm_up__",
    "func": "warm_up",
    "kwargs": {"n": 1},
}


def warm_up() -> None:
    """Run a throw-away job through the steps a real one takes, discarding its output.

    A freshly forked process copies each memory page it first writes (copy-on-write), and
    Python writes to every object it touches (reference counts). A spare process waiting for
    its job does most of that copying now, while idle, instead of while a user waits.
    """
    run_job(dict(WARM_UP_JOB), lambda _message: None)
    linecache.cache.pop(script_filename(WARM_UP_JOB["script_id"]), None)


def _call(module_globals: dict[str, Any], job: dict[str, Any]) -> Any:
    name = job.get("func")
    func = module_globals.get(name) if isinstance(name, str) else None
    if not callable(func) or name.startswith("_"):
        raise LookupError(f"the script has no function named {name!r}")
    kwargs = job.get("kwargs") or {}
    return func(**kwargs)
