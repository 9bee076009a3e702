"""The ``DFF`` object scripts written for DataFlux Func use: ``API``, ``SRC``/``CONN``, ``ENV``."""

from __future__ import annotations

import contextlib
import inspect
import json
from collections.abc import Callable
from typing import Any

try:  # inside the sandbox the SDK is a top-level package; in the app it lives in webapp.sdk
    from sdk import (
        datakit,
        dataway,
        dff_cache,
        dff_entities,
        dff_helpers,
        dff_resp,
        dff_store,
        dff_thread,
        dff_toolkit,
    )
except ImportError:
    from webapp.sdk import (
        datakit,
        dataway,
        dff_cache,
        dff_entities,
        dff_helpers,
        dff_resp,
        dff_store,
        dff_thread,
        dff_toolkit,
    )

DataKit = datakit.DataKit
EnvReader = dff_helpers.EnvReader
InvalidAPIOption = dff_helpers.InvalidAPIOption
RunContext = dff_helpers.RunContext
Unavailable = dff_helpers.Unavailable
api_options = dff_helpers.api_options
format_sql = dff_helpers.format_sql
var_line = dff_helpers.var_line

PASSWORD_MASK = "*****"
MIN_TIMEOUT, MAX_TIMEOUT = 1, 3600


# The variables every script sees besides DFF (documented on the Script API page).
BUILTIN_VARIABLES = {
    "_DFF_DEBUG": "True in an editor run (the draft), else False.",
    "_DFF_TASK_ID": "The id of this run's task record.",
    "_DFF_ROOT_TASK_ID": "The task that started this one; ROOT for a run nobody else started.",
    "_DFF_SCRIPT_SET_ID": "The script set of the entry script.",
    "_DFF_SCRIPT_ID": "The entry script's id.",
    "_DFF_FUNC_ID": "The id of the function being run, <script_id>.<name>; None at the top level.",
    "_DFF_FUNC_NAME": "The name of the function being run; None at the top level.",
    "_DFF_FUNC_CHAIN": "The functions from the first one to this one (a list of ids).",
    "_DFF_ORIGIN": "Why the code runs, in DataFlux Func's words: direct, cronJob or script.",
    "_DFF_ORIGIN_ID": "The cron job's id for a cron run, else direct.",
    "_DFF_TRIGGER_TIME": "When the run was due, in Unix seconds (for cron: the tick).",
    "_DFF_TRIGGER_TIME_MS": "The same in milliseconds.",
    "_DFF_START_TIME": "When the run started, in Unix seconds.",
    "_DFF_START_TIME_MS": "The same in milliseconds.",
    "_DFF_ETA": "When a call with an eta or delay was meant to run (ISO 8601), else None.",
    "_DFF_DELAY": "Seconds such a call was delayed by, else 0.",
    "_DFF_CRON_EXPR": "The cron expression of the job that started the run, or None.",
    "_DFF_CRON_JOB_DELAY": "The delayed_cron_job offset of this run, in seconds.",
    "_DFF_CRON_JOB_EXEC_MODE": "cronJob for a scheduled run, manual for Run now, else None.",
    "_DFF_QUEUE": "DataFlux Func's queue for the origin: 1 calls, 2 cron, 3 Async APIs, 5 editor.",
    "_DFF_HTTP_REQUEST": "The HTTP request of a call over HTTP, as a dict; {} otherwise.",
    "_DFF_CRONTAB": "The older name of _DFF_CRON_EXPR.",
    "_DFF_CRONTAB_DELAY": "The older name of _DFF_CRON_JOB_DELAY.",
    "_DFF_CRONTAB_EXEC_MODE": "The older name of _DFF_CRON_JOB_EXEC_MODE.",
}

# DataFlux Func members this version does not offer, with why (they fail clearly when used).
UNAVAILABLE_MEMBERS = {
    "BLUEPRINT": "there are no blueprints here",
    "RSRC": "there is no resource directory here",
    "GUANCE_OPENAPI": "it needs a Guance account; not in this version",
    "EXTRA_GUANCE_DATA": "task records are not sent to Guance here",
    "SYS_DB": "scripts cannot reach the platform's database here",
    "SYS_CACHE_DB": "scripts cannot reach the platform's cache here",
}

# DFFNamespace's members that are for the platform, not for scripts.
INTERNAL_MEMBERS = ("exported", "password_values", "clean_up")
# DFF.print_var is DFF.VAR (also a builtin of scripts).
ALIASES = {"print_var": "VAR"}


# The run's database helpers, by (connector id, overrides): see DFFNamespace.SRC.
_OPEN_HELPERS: dict[tuple[str, str], Any] = {}


def close_helpers() -> None:
    """Close every connector helper the run opened (their connections)."""
    while _OPEN_HELPERS:
        _key, helper = _OPEN_HELPERS.popitem()
        close = getattr(helper, "close", None)
        if close is not None:
            with contextlib.suppress(Exception):  # a connection the server already dropped
                close()


class ConnectorNotFound(LookupError):
    """DFF.SRC was given an id that no connector has, or a type scripts cannot open."""


def _json_safe(value: Any) -> Any:
    try:
        json.dumps(value)
        return value
    except (TypeError, ValueError):
        return repr(value)


def describe_signature(func: Callable) -> tuple[list[dict[str, Any]], bool]:
    """(args, accepts_var_kwargs) of a function, defaults made JSON-safe."""
    args = []
    var_kwargs = False
    for param in inspect.signature(func).parameters.values():
        if param.kind is param.VAR_KEYWORD:
            var_kwargs = True
            continue
        if param.kind is param.VAR_POSITIONAL:
            continue
        has_default = param.default is not param.empty
        args.append(
            {
                "name": param.name,
                "has_default": has_default,
                "default": _json_safe(param.default) if has_default else None,
            }
        )
    return args, var_kwargs


class Connectors:
    """DFF.CONN (and DFF.SRC): CONN(id) opens a connector; save, delete and query manage them."""

    def __init__(self, dff: DFFNamespace) -> None:
        self._dff = dff

    def __call__(self, connector_id: str, **overrides: Any) -> Any:
        return DFFNamespace.SRC(self._dff, connector_id, **overrides)

    def get(self, connector_id: str, **overrides: Any) -> Any:
        """The connector's helper object: DFF.CONN.get(id) is DFF.CONN(id).

        Example:
            datakit = DFF.CONN.get("datakit")
        """
        return self(connector_id, **overrides)

    def _call(self, op: str, args: dict[str, Any]) -> Any:
        if self._dff._host is None:
            raise dff_helpers.NotAvailableHere(dff_store.NOT_HERE.format(member="DFF.CONN"))
        return self._dff._host(op, args)

    def save(
        self,
        connector_id: str,
        connector_type: str,
        config: dict,
        title: str | None = None,
        description: str | None = None,
    ) -> None:
        """Create or replace a connector (usable from the next run).

        A connector saved by a script does not open the sandbox's network to its address
        until someone saves it on the Connectors page.

        Example:
            DFF.CONN.save("agent2", "datakit", {"url": "http://10.0.0.8:9529"})
        """
        self._call(
            "conn.save",
            {
                "connector_id": connector_id,
                "connector_type": connector_type,
                "config": config,
                "title": title,
                "description": description,
            },
        )

    def delete(self, connector_id: str) -> None:
        """Delete a connector that a script saved (the others are deleted on their page).

        Example:
            DFF.CONN.delete("agent2")
        """
        self._call("conn.delete", {"connector_id": connector_id})

    def query(self, connector_type: str | list | None = None) -> list[dict[str, Any]]:
        """The connectors as [{id, title, type}], of one type (or a list of types) if given.

        Example:
            DFF.CONN.query("datakit")
        """
        return self._call("conn.query", {"connector_type": connector_type})

    def reload_config_md5(self, connector_id: str) -> None:
        """Nothing to do here (DataFlux Func refreshes a cache); kept for scripts that call it.

        Example:
            DFF.CONN.reload_config_md5("agent2")
        """


class ConfigReader:
    """DFF.CONFIG: the platform's settings scripts may read, asked from the platform."""

    def __init__(self, host) -> None:
        self._host = host

    def _call(self, args: dict[str, Any]) -> Any:
        if self._host is None:
            raise dff_helpers.NotAvailableHere(dff_store.NOT_HERE.format(member="DFF.CONFIG"))
        return self._host("config.query", args)

    def __call__(self, key: str, default: Any = None, unmask: bool = False) -> Any:
        return self.get(key, default, unmask)

    def get(self, key: str, default: Any = None, unmask: bool = False) -> Any:
        """One setting, or default.

        Example:
            DFF.CONFIG.get("TIMEZONE")
        """
        found = self._call({"all_configs": True, "unmask": unmask, "key": key})
        return found.get(key, default) if isinstance(found, dict) else default

    def query(
        self, all_configs: bool = False, unmask: bool = False, list_output: bool = False
    ) -> Any:
        """The CUSTOM_* settings as a dict (every setting with all_configs; [{key, value}] with
        list_output).

        Example:
            DFF.CONFIG.query()
        """
        found = self._call({"all_configs": all_configs, "unmask": unmask})
        if list_output:
            return [{"key": k, "value": v} for k, v in found.items()]
        return found


class DFFNamespace:
    """``DFF`` inside a script. One instance per run, built from what the job passed in."""

    def __init__(
        self,
        env: dict[str, dict[str, Any]] | None = None,
        connectors: dict[str, dict[str, Any]] | None = None,
        connector_factories: dict[str, Callable[..., Any]] | None = None,
        script_id: str = "script",
        context: RunContext | None = None,
        host: Callable[[str, dict[str, Any]], Any] | None = None,
        thread_pool: dff_thread.ThreadPool | None = None,
        task: Any = None,
    ) -> None:
        self._env = env or {}
        self._connectors = connectors or {}
        self._factories = connector_factories or {}
        self._script_id = script_id
        self.exported: dict[str, dict[str, Any]] = {}
        # Members with more than a call (ENV.get, ENV.keys(), CTX.set...): instances that
        # stand in for the methods below, which carry the docs.
        self.ENV = EnvReader(self._env)
        self.CTX = context if context is not None else RunContext()
        self._host = host  # the platform, for what the sandbox itself does not hold
        self.STORE = dff_store.Store(host, script_id)
        self.CACHE = dff_cache.Cache(host, script_id)
        self.CONN = self.SRC = Connectors(self)
        self.CONFIG = ConfigReader(host)
        self.THREAD = thread_pool if thread_pool is not None else dff_thread.ThreadPool()
        self.TASK = task
        self.TOOLKIT = dff_toolkit.Toolkit
        self.CRON_JOB = self.CRONTAB_CONFIG = dff_entities.CronJobHelper(host, "cronJob")
        self.SYNC_API = self.AUTH_LINK = dff_entities.EntityHelper(host, "syncAPI")
        self.ASYNC_API = self.BATCH = dff_entities.EntityHelper(host, "asyncAPI")
        self.ASYNC_API.member = "DFF.ASYNC_API"
        for member, reason in UNAVAILABLE_MEMBERS.items():
            setattr(self, member, Unavailable(member, reason))
        self.DATAKIT = DataKit  # the class itself, as in DataFlux Func (DATAKIT.convert_to_ns)
        self.DATAWAY = dataway.DataWay

    def __getattr__(self, name: str) -> Any:
        """Any other member is None, as in DataFlux Func; every member has a lower-case alias
        (``DFF.env``, ``DFF.log``)."""
        if name.startswith("__"):
            raise AttributeError(name)
        upper = name.upper()
        if upper != name and (upper in type(self).__dict__ or upper in self.__dict__):
            return getattr(self, upper)
        return None

    # --- logging and evaluation -----------------------------------------------------------

    def LOG(self, *args: Any, sep: str = " ", **_ignored: Any) -> None:
        """Print one log line, like print (end, file and flush are ignored, as in DataFlux Func).

        Args:
            args: The values, turned into text with str().
            sep: What goes between them; a space when empty.
        Example:
            DFF.LOG("disk", 91, "%")
        """
        print(*(str(a) for a in args), sep=sep or " ")

    def VAR(self, *values: Any, **named: Any) -> None:
        """Log each value with its type and size: [VAR] type=`int`, value=`3`, obj_size=`28`.

        print_var is the same function.

        Args:
            values: The values to show.
            named: Values shown with their name first.
        Example:
            DFF.VAR(rows, total=len(rows))
        """
        for value in values:
            print(var_line(value))
        for name, value in named.items():
            print(var_line(value, name))

    def EVAL(self, *args: Any, **kwargs: Any) -> Any:
        """Python's eval.

        Example:
            DFF.EVAL("1 + 2")
        """
        return eval(*args, **kwargs)

    def EXEC(self, *args: Any, **kwargs: Any) -> None:
        """Python's exec.

        Example:
            DFF.EXEC("x = 1", {})
        """
        exec(*args, **kwargs)

    def SQL(self, sql: str, sql_params=None, pretty: bool = False, sql_escape=None) -> str:
        """DataFlux Func's format_sql: ? takes an escaped value, ?? a raw one (identifiers).

        A list becomes a, b, c (nested lists (x, y), (...) for VALUES ?), a dict k = v, ...
        for SET ?; None is NULL, booleans TRUE/FALSE, strings quoted and escaped. format_sql
        is the same function.

        Args:
            sql: The statement with ? and ?? placeholders.
            sql_params: A list of values, left to right (one value may be given alone).
            pretty: Put each item of a list or dict on its own line.
        Returns:
            The statement with the values filled in.
        Example:
            DFF.SQL("SELECT * FROM hosts WHERE id IN (?) AND ?? = ?", [[1, 2], "name", "web"])
        """
        return format_sql(sql, sql_params, pretty, sql_escape)

    format_sql = SQL

    def DATAKIT(self, url: str | None = None, **options: Any) -> Any:  # the class, see __init__
        """The DataKit helper class, for an agent that is not a connector: DFF.DATAKIT(url=...).

        Takes the same options as the connector's helper (host, port, protocol, source,
        token, timeout, dry_run, debug, split_size, ...); what the sandbox's network policy
        blocks stays blocked.

        Args:
            url: The agent, e.g. "http://127.0.0.1:9529".
            options: The helper's options.
        Returns:
            A DataKit helper.
        Example:
            datakit = DFF.DATAKIT(url="http://127.0.0.1:9529", source="my_collector")
            datakit.write_metric("cpu", fields={"usage": 1.5})
        """
        return DataKit(url=url, **options)

    def DATAWAY(self, url: str | None = None, **options: Any) -> Any:  # the class, see __init__
        """The DataWay helper class: DFF.DATAWAY(url=..., token=..., access_key=...).

        The DataKit helper's writes and queries, sent to a DataWay (default port 9528) with
        the workspace token on every request (a token in the url is used too) and, with an
        AccessKey, DataWay's DWAY signature as DataFlux Func computes it.

        Args:
            url: The DataWay, e.g. "https://openway.guance.com?token=tkn_...".
            options: token, access_key, secret_key and the DataKit helper's options.
        Returns:
            A DataWay helper.
        Example:
            dataway = DFF.DATAWAY(url="http://127.0.0.1:9528", token="tkn_demo")
            dataway.write_logging("app", tags={"host": "web1"}, fields={"message": "ok"})
        """
        return dataway.DataWay(url=url, **options)

    def CTX(self, key: str) -> Any:  # documents the RunContext set in __init__
        """A dict shared by every script of one run: set a value in one, read it in another.

        CTX(key) is CTX.get(key); also has(key), get_all(), set(key, value), delete(key) and
        clear(). Values come back as copies; everything is gone when the run ends.

        Args:
            key: The name of the value.
        Returns:
            A copy of the value, or None.
        Example:
            DFF.CTX.set("started", time.time())
            started = DFF.CTX.get("started")
        """
        return self.CTX.get(key)

    def STORE(self, key: str, scope: str | None = None) -> Any:  # documents the Store
        """Values a script keeps between runs, in the platform's database (JSON values).

        STORE(key) is STORE.get(key); also set(key, value, expires=None, not_exists=False),
        mset, mget, getall, keys(pattern), get_pattern, delete and delete_pattern. Keys are
        kept per script (the scope is the script's id) unless a call gives scope=; at most
        256 characters each, values at most 1 MiB. See the DFF.STORE section for each method.

        Args:
            key: The key.
            scope: Another script's scope (any string) to share keys.
        Returns:
            The value, or None.
        Example:
            seen = DFF.STORE.get("seen_ids") or []
            DFF.STORE.set("seen_ids", seen + [new_id], expires=86400)
        """
        return self.STORE.get(key, scope=scope)

    def CACHE(self, key: str, scope: str | None = None) -> Any:  # documents the Cache
        """A Redis-style cache: strings, hashes, lists, sets and sorted sets with expiry.

        Kept in the platform's database, or in Redis when the platform is set up with one;
        scoped per script like STORE. Values are stored as strings and read back as strings.
        See the DFF.CACHE section for each method.

        Args:
            key: A string key (CACHE(key) is CACHE.get(key)).
            scope: Another scope than the script's id.
        Returns:
            The string, or None.
        Example:
            if DFF.CACHE.set("lock", "1", expires=60, not_exists=True):
                hits = DFF.CACHE.incr("hits")
        """
        return self.CACHE.get(key, scope=scope)

    # --- @DFF.API -------------------------------------------------------------------------

    def API(
        self,
        title: str | None = None,
        category: str | None = None,
        tags=None,
        timeout: int | None = None,
        *,
        fixed_cron_expr: str | None = None,
        delayed_cron_job=None,
        expires: int | None = None,
        cache_result=None,
        queue: int | None = None,
        integration: str | None = None,
        integration_config=None,
        is_hidden: bool = False,
        fixed_crontab: str | None = None,
        delayed_crontab=None,
        api_timeout: int | None = None,
    ) -> Callable[[Callable], Callable]:
        """Publish the function below it: an id of its own, callable over HTTP and by cron jobs.

        Only functions with this decorator are published; the others stay helpers of the script.
        Their arguments become the call's kwargs (defaults are shown in the editor and cron form).
        The function gets DataFlux Func's _DFF_FUNC_ID, _DFF_FUNC_NAME, _DFF_FUNC_TITLE, ...
        attributes; an option DataFlux Func does not know is a TypeError, as there.

        Args:
            title: What the function does, shown in lists (optional).
            category: A group name for lists; "general" when left out.
            tags: A list of short strings.
            timeout: Seconds a run may take, 1-3600 (api_timeout is the older name).
            fixed_cron_expr: A 5-field cron expression every cron job of the function uses
                (fixed_crontab is the older name).
            delayed_cron_job: Seconds (an int or a list) each cron run is delayed by.
            expires: Seconds a queued run may wait before it is dropped, 1-86400.
            cache_result: Seconds an identical call gets the earlier result.
            queue: The worker queue, 1-15: which `funcpad worker`s run it.
            integration: "signIn" or "autoRun" (with integration_config: cronExpr, onPublish,
                onLaunch).
            is_hidden: Leave the function out of lists and docs.
        Returns:
            The function itself, unchanged.
        Raises:
            TypeError: An option DataFlux Func does not have.
            InvalidAPIOption: An option of the wrong type or range (the publish fails).
        Example:
            @DFF.API("Collect disk usage", category="ops", timeout=60, cache_result=30)
            def collect(path="/"):
                return {"path": path}
        """
        checked = api_options(
            title=title,
            category=category,
            tags=tags,
            timeout=timeout,
            api_timeout=api_timeout,
            expires=expires,
            cache_result=cache_result,
            queue=queue,
            fixed_cron_expr=fixed_cron_expr if fixed_cron_expr is not None else fixed_crontab,
            delayed_cron_job=delayed_cron_job if delayed_cron_job is not None else delayed_crontab,
            integration=integration,
            integration_config=integration_config,
            is_hidden=is_hidden,
        )

        def register(func: Callable) -> Callable:
            name = func.__name__
            if checked["options"].get("integration") == "signIn":
                print(
                    f"[DFF.API] {name}: integration='signIn' (a login function) has no "
                    "counterpart here; it is published as an ordinary function"
                )
            if name in self.exported:
                raise InvalidAPIOption(f"two functions named {name!r} are published by @DFF.API")
            args, var_kwargs = describe_signature(func)
            doc = inspect.getdoc(func)
            meta = {
                "name": name,
                "title": checked["title"] or name,
                "category": checked["category"],
                "tags": checked["tags"],
                "timeout": checked["timeout"],
                "args": args,
                "accepts_var_kwargs": var_kwargs,
                "doc": doc,
                "line": getattr(getattr(func, "__code__", None), "co_firstlineno", None),
                "options": checked["options"],
            }
            self.exported[name] = meta
            func.__dff_api__ = meta
            definition = f"{name}{inspect.signature(func)}"
            for attribute, value in {
                "_DFF_FUNC_ID": f"{self._script_id}.{name}",
                "_DFF_FUNC_NAME": name,
                "_DFF_FUNC_TITLE": checked["title"],
                "_DFF_FUNC_DESCRIPTION": doc,
                "_DFF_FUNC_DEFINITION": definition,
                "_DFF_FUNC_CATEGORY": checked["category"],
                "_DFF_FUNC_TAGS": checked["tags"],
                "_DFF_FUNC_ARGS": [a["name"] for a in args],
                "_DFF_FUNC_KWARGS": {
                    a["name"]: ({"default": a["default"]} if a["has_default"] else {}) for a in args
                },
            }.items():
                setattr(func, attribute, value)
            return func

        return register

    # --- DFF.SRC / DFF.CONN ---------------------------------------------------------------

    def SRC(self, connector_id: str, **overrides: Any) -> Any:
        """The helper object of a connector configured on the Connectors page.

        For a DataKit connector, a DataKit helper (below) set up with the connector's address,
        token and source. Keyword arguments override the connector's settings for this call.
        DFF.CONN is the same function.

        Args:
            connector_id: The connector's id, e.g. "datakit".
            overrides: Settings to use instead of the connector's, e.g. timeout=30.
        Returns:
            The helper object.
        Raises:
            ConnectorNotFound: No connector has that id, or its type cannot be used here.
        Example:
            datakit = DFF.SRC("datakit")
            status, data = datakit.get("/v1/ping")
        """
        config = self._connectors.get(connector_id)
        if config is None:
            raise ConnectorNotFound(f"connector not found: {connector_id!r}")
        factory = self._factories.get(config.get("type", ""))
        if factory is None:
            raise ConnectorNotFound(
                f"connector {connector_id!r} has type {config.get('type')!r}, which this "
                "platform cannot open from a script"
            )
        settings = {**config.get("config", {}), **overrides}
        if config.get("type") == "datakit":
            return factory(**settings)
        # Database helpers hold a pool: one per connector (and settings) for the whole run,
        # shared by every script of it, closed when the run ends (DataFlux Func pools per
        # connector too). Nothing outlives the run: each run is its own process.
        key = (connector_id, json.dumps(overrides, sort_keys=True, default=repr))
        helper = _OPEN_HELPERS.get(key)
        if helper is None:
            if config.get("type") == "mysql":
                settings["timezone"] = lambda: self.CONFIG.get("TIMEZONE")
            helper = _OPEN_HELPERS[key] = factory(**settings)
        return helper

    CONN = SRC  # the instance's CONN (a Connectors) also has save, delete and query

    # --- DFF.ENV --------------------------------------------------------------------------

    def ENV(self, name: str) -> Any:
        """An environment variable from the Env variables page, already converted to its type.

        integer, float and boolean variables come back as int, float and bool, json ones as
        the parsed value; password values are masked as ***** in run logs.

        Args:
            name: The variable's name.
        Returns:
            The value, or None when there is no such variable.
        Example:
            url = DFF.ENV("EXAMPLE_URL")
            retries = DFF.ENV("RETRIES") or 3
            names = DFF.ENV.keys()
        """
        entry = self._env.get(name)
        return None if entry is None else entry.get("value")

    # --- DFF.RESP and friends: the HTTP answer of a Sync API or function call -----------

    def RESP(
        self,
        data: Any,
        status_code: int | None = None,
        content_type: str | None = None,
        headers: dict | None = None,
        allow_304: bool = False,
        download: bool | str = False,
    ) -> Any:
        """Return this to choose the HTTP answer: status, content type, headers, download.

        data must be JSON-serialisable. content_type is an extension or a MIME type ("html",
        "json", "txt", "text/xml"...); with one, data is sent as it is. download=True sends
        an attachment named api-resp.json or api-resp.txt; a string names the file. Answers
        are served in a sandboxed origin (Content-Security-Policy: sandbox), so a page a
        function returns cannot act as a signed-in user of the platform.

        Args:
            data: The value (the body).
            status_code: The HTTP status, e.g. 201.
            content_type: An extension or a MIME type.
            headers: Extra response headers (Set-Cookie and security headers are not
                accepted).
            allow_304: Let clients cache the answer (no Last-Modified: now).
            download: Send as an attachment (True or a file name).
        Returns:
            A response object to return from the function.
        Raises:
            TypeError: data cannot be serialised as JSON.
        Example:
            @DFF.API("Report")
            def report():
                return DFF.RESP("<h1>OK</h1>", content_type="html", headers={"X-Report": "1"})
        """
        return dff_resp.FuncResponse(data, status_code, content_type, headers, allow_304, download)

    def RESP_FILE(
        self,
        file_path: str,
        status_code: int | None = None,
        headers: dict | None = None,
        allow_304: bool = False,
        auto_delete: bool = False,
        download: bool | str = True,
    ) -> Any:
        """Answer with a file the run wrote (in its working directory): an attachment named
        after it, or inline with download=False (the type from its extension).

        Args:
            file_path: The file, e.g. "report.csv".
            download: True (its name), a name, or False (inline).
            auto_delete: Remove the file once it is read.
        Returns:
            A response object to return from the function.
        Raises:
            FileNotFoundError: There is no such file.
        Example:
            with open("report.csv", "w") as f:
                f.writelines(["host,cpu", "web1,12"])
            return DFF.RESP_FILE("report.csv")
        """
        return dff_resp.FuncResponseFile(
            file_path, status_code, headers, allow_304, auto_delete, download
        )

    def RESP_LARGE_DATA(self, data: Any, content_type: str | None = None) -> Any:
        """Answer with a large body: JSON for a dict or list, else text.

        Args:
            data: The value; anything but a string is sent as JSON.
            content_type: An extension or MIME type (json or txt by default).
        Returns:
            A response object to return from the function.
        Example:
            return DFF.RESP_LARGE_DATA(rows)
        """
        return dff_resp.FuncResponseLargeData(data, content_type)

    def REDIRECT(self, url: str) -> Any:
        """Answer with a redirect (302) to url.

        Args:
            url: Where to send the caller (non-ASCII characters are percent-encoded).
        Returns:
            A response object to return from the function.
        Raises:
            TypeError: url is not a str.
        Example:
            return DFF.REDIRECT("https://example.com/dashboard")
        """
        return dff_resp.FuncRedirect(url)

    # --- DFF.FUNC, CONFIG, SIGN, THREAD, TASK, TOOLKIT ------------------------------------

    def FUNC(self, func_id: str, kwargs: dict | None = None, queue: int | None = None) -> None:
        """Start another published function in the background; returns None at once.

        The new run gets its own task record (origin DFF.FUNC) with this run as its root and
        the call chain extended. A chain may be five functions long and may not call a
        function that is already in it, as in DataFlux Func.

        Args:
            func_id: The function, <script_id>.<name>.
            kwargs: Its arguments.
            queue: A worker queue, 1-15 (default: the function's, else this run's).
        Raises:
            EntityNotFound: No published function has that id.
            FuncCallChainTooLong: The chain has five functions already.
            FuncCircularCall: The function is already in the chain.
        Example:
            for host in hosts:
                DFF.FUNC("collectors__ping.check", kwargs={"host": host})
        """
        if self._host is None:
            raise dff_helpers.NotAvailableHere(dff_store.NOT_HERE.format(member="DFF.FUNC"))
        self._host("func.call", {"func_id": func_id, "kwargs": kwargs, "queue": queue})

    def CONFIG(self, key: str, default: Any = None, unmask: bool = False) -> Any:
        """The platform's settings a script may read: TIMEZONE, APP_NAME and CUSTOM_* keys.

        CONFIG.get(key, default=None, unmask=False) is the same; CONFIG.query(all_configs=False,
        unmask=False, list_output=False) lists the CUSTOM_* keys (all of them with
        all_configs). Custom keys come from FUNCPAD_CUSTOM_<NAME> (or DFF_CUSTOM_<NAME>)
        environment variables; a key with secret or password in its name reads as *****
        unless unmask=True (custom keys only).

        Args:
            key: The setting's name.
            default: What to return when there is no such setting.
        Returns:
            The value.
        Example:
            region = DFF.CONFIG.get("CUSTOM_REGION", "cn-hangzhou")
        """
        return self.CONFIG.get(key, default, unmask)

    def SIGN(self, *args: Any) -> str:
        """An md5 signature of the values with the platform's secret (not readable by scripts).

        Args:
            args: The values to sign (each turned into text).
        Returns:
            The hex signature: the same values always give the same one on this platform.
        Example:
            token = DFF.SIGN(user_id, expires_at)
        """
        if self._host is None:
            raise dff_helpers.NotAvailableHere(dff_store.NOT_HERE.format(member="DFF.SIGN"))
        return self._host("sign", {"values": [str(a) for a in args]})

    def THREAD(self) -> Any:  # documents the ThreadPool set in __init__
        """A pool of threads for the run (5 unless set_pool_size says otherwise).

        submit(fn, *args, **kwargs) returns a key; get_result(key), get_all_results(),
        pop_result() and wait_all_finished() collect the results (an exception inside a
        thread is in the result's error, not raised). The run waits for its threads before
        it ends.

        Example:
            keys = [DFF.THREAD.submit(fetch, host) for host in hosts]
            results = [DFF.THREAD.get_result(k).value for k in keys]
        """
        return self.THREAD

    def TASK(self) -> Any:  # documents the task information set in __init__
        """What this run is: task_id, func_id, script_id, origin, kwargs, root_task_id, ...

        Example:
            print(DFF.TASK.task_id, DFF.TASK.origin)
        """
        return self.TASK

    def CRON_JOB(self) -> Any:  # documents the CronJobHelper set in __init__
        """The cron jobs by DataFlux Func's field names: get, save, query, call, and a job's
        schedule for a while (set_cron_expr, clear_cron_expr, pause). CRONTAB_CONFIG is the
        older name.

        Example:
            DFF.CRON_JOB.set_cron_expr("*/1 * * * *", expires=3600)
        """
        return self.CRON_JOB

    def SYNC_API(self) -> Any:  # documents the EntityHelper set in __init__
        """The Sync APIs by DataFlux Func's field names: get, save, query, call (AUTH_LINK is
        the older name). ASYNC_API (BATCH) is the same for Async APIs.

        Example:
            me = DFF.SYNC_API.get()  # the Sync API that started this run
        """
        return self.SYNC_API

    def TOOLKIT(self) -> Any:  # documents the Toolkit class set in __init__
        """DataFlux Func's helper functions: gen_uuid, json_find, get_md5, get_base64, ...

        See the DFF.TOOLKIT section for each function.

        Example:
            DFF.TOOLKIT.get_md5("text")
        """
        return self.TOOLKIT

    def clean_up(self) -> None:
        """The end of the run: wait for DFF.THREAD's threads."""
        pool = self.__dict__.get("THREAD")
        if isinstance(pool, dff_thread.ThreadPool):
            pool.clean_up()
        close_helpers()

    def password_values(self) -> list[str]:
        """Values to mask in the log: password-type variables, connectors' secrets."""
        values = [
            str(e["value"])
            for e in self._env.values()
            if e.get("type") == "password" and e.get("value") not in (None, "")
        ]
        for connector in self._connectors.values():
            config = connector.get("config") or {}
            values += [
                str(config[name])
                for name in connector.get("secrets") or ()
                if config.get(name) not in (None, "")
            ]
        return values
