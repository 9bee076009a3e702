"""Members of ``DFF`` beyond API/SRC/ENV, as DataFlux Func scripts use them: ``SQL`` (DFF's
``format_sql``), ``CTX`` (the run's shared dict), ``ENV``'s reader, ``VAR``'s line format and
the ``@DFF.API`` option checks. Standard library only: this runs inside the sandbox."""

from __future__ import annotations

import copy
import json
import re
import sys
from collections.abc import Callable, Mapping
from typing import Any

# --- SQL / format_sql -----------------------------------------------------------------------

_ESCAPES = {
    "\0": "\\0",
    "\b": "\\b",
    "\t": "\\t",
    "\n": "\\n",
    "\r": "\\r",
    "\x1a": "\\Z",
    '"': '\\"',
    "'": "\\'",
    "\\": "\\\\",
}


def sql_literal(value: Any) -> str:
    """One value as SQL: NULL, TRUE/FALSE, a number, or a quoted, escaped string."""
    if value is None:
        return "NULL"
    if isinstance(value, bool):
        return "TRUE" if value else "FALSE"
    if isinstance(value, int | float):
        return repr(value)
    text = value if isinstance(value, str) else str(value)
    return "'" + "".join(_ESCAPES.get(c, c) for c in text) + "'"


def _sql_value(value: Any, pretty: bool, literal: Callable[[Any], str] = sql_literal) -> str:
    joiner = ",\n  " if pretty else ", "
    if isinstance(value, Mapping):
        return joiner.join(f"{k} = {literal(v)}" for k, v in value.items())
    if isinstance(value, list | tuple | set):
        parts = []
        for item in value:
            if isinstance(item, list | tuple | set):
                parts.append("(" + ", ".join(literal(x) for x in item) + ")")
            else:
                parts.append(literal(item))
        return joiner.join(parts)
    return literal(value)


_PLACEHOLDER = re.compile(r"\?+")


def format_sql(
    sql: str,
    sql_params: Any = None,
    pretty: bool = False,
    sql_escape=None,
    literal: Callable[[Any], str] = sql_literal,
) -> str:
    """DataFlux Func's ``DFF.SQL``: fill ``?`` (an escaped value: a list becomes ``a, b``,
    nested lists ``(x, y), (…)``, a dict ``k = v, …``) and ``??`` (inserted as is, for
    identifiers) from ``sql_params`` left to right; ``???`` and longer stay as they are.

    Example:
        DFF.SQL("SELECT * FROM t WHERE id IN (?) AND ?? = ?", [[1, 2], "name", "o'k"])
    """
    if sql_params is None:
        return sql.strip()
    params = list(sql_params) if isinstance(sql_params, list) else [sql_params]
    escape = sql_escape or (lambda value: _sql_value(value, pretty, literal))

    def fill(match: re.Match) -> str:
        marks = match.group(0)
        if len(marks) > 2 or not params:
            return marks
        value = params.pop(0)
        return str(value) if len(marks) == 2 else escape(value)

    return _PLACEHOLDER.sub(fill, sql).strip()


# --- CTX ----------------------------------------------------------------------------------------


class RunContext:
    """``DFF.CTX``: a dict shared by every script of one run (gone with the run).

    ``CTX(key)`` is ``CTX.get(key)``; values come back as copies."""

    def __init__(self) -> None:
        self._data: dict[str, Any] = {}

    def __call__(self, key: str) -> Any:
        return self.get(key)

    def has(self, key: str) -> bool:
        return key in self._data

    def get(self, key: str) -> Any:
        return copy.deepcopy(self._data.get(key))

    def get_all(self) -> dict[str, Any]:
        return copy.deepcopy(self._data)

    def set(self, key: str, value: Any) -> None:
        self._data[key] = value

    def delete(self, key: str) -> Any:
        return self._data.pop(key, None)

    def clear(self) -> None:
        self._data.clear()


# --- ENV --------------------------------------------------------------------------------------


class EnvReader:
    """``DFF.ENV``: ``ENV(name)`` and ``ENV.get(name)`` give the typed value (None when there
    is no such variable); ``ENV.keys()`` the names this run can read."""

    def __init__(self, env: dict[str, dict[str, Any]]) -> None:
        self._env = env

    def __call__(self, name: str) -> Any:
        entry = self._env.get(name)
        return None if entry is None else copy.deepcopy(entry.get("value"))

    get = __call__

    def keys(self) -> list[str]:
        return sorted(self._env)


# --- members not available here ---------------------------------------------------------------


class NotAvailableHere(NotImplementedError):
    """A DFF member this platform does not offer (yet): used, it says so by name."""


class Unavailable:
    """Stands in for a DataFlux Func member that is not here, so that a script using it fails
    with a sentence naming it instead of ``'NoneType' object has no attribute ...``."""

    def __init__(self, name: str, reason: str) -> None:
        self._name = name
        self._reason = reason

    def _refuse(self, *_args: Any, **_kwargs: Any) -> Any:
        raise NotAvailableHere(f"DFF.{self._name} is not available in Funcpad: {self._reason}")

    __call__ = _refuse

    def __getattr__(self, attribute: str) -> Any:
        if attribute.startswith("__"):
            raise AttributeError(attribute)
        return self._refuse

    def __bool__(self) -> bool:
        return False  # "if DFF.STORE:" reads as absent

    def __repr__(self) -> str:
        return f"<DFF.{self._name}: not available>"


# --- VAR --------------------------------------------------------------------------------------


def var_line(value: Any, name: str | None = None) -> str:
    """One ``DFF.VAR`` line: ``[VAR] type=`int`, value=`3`, obj_size=`28```."""
    text = (
        f"[VAR] type=`{type(value).__name__}`, value=`{value}`, obj_size=`{sys.getsizeof(value)}`"
    )
    return f"{name}: {text}" if name else text


# --- @DFF.API options -------------------------------------------------------------------------


class InvalidAPIOption(ValueError):
    """An ``@DFF.API`` option with a wrong type or value (the publish fails, naming it)."""


_INTEGRATIONS = {
    "signin": "signIn",
    "sign_in": "signIn",
    "login": "signIn",
    "log_in": "signIn",
    "autorun": "autoRun",
    "auto_run": "autoRun",
}
_INTEGRATION_KEYS = {
    "cronexpr": "cronExpr",
    "cron_expr": "cronExpr",
    "crontab": "cronExpr",
    "onsystemlaunch": "onSystemLaunch",
    "on_system_launch": "onSystemLaunch",
    "onlaunch": "onSystemLaunch",
    "on_launch": "onSystemLaunch",
    "onscriptpublish": "onScriptPublish",
    "on_script_publish": "onScriptPublish",
    "onpublish": "onScriptPublish",
    "on_publish": "onScriptPublish",
}


def _int_in(name: str, value: Any, low: int, high: int) -> int:
    if isinstance(value, bool) or not isinstance(value, int) or not low <= value <= high:
        raise InvalidAPIOption(
            f"DFF.API {name} must be an integer from {low} to {high}, got {value!r}"
        )
    return value


def api_options(
    *,
    title: Any,
    category: Any,
    tags: Any,
    timeout: Any,
    api_timeout: Any,
    expires: Any,
    cache_result: Any,
    queue: Any,
    fixed_cron_expr: Any,
    delayed_cron_job: Any,
    integration: Any,
    integration_config: Any,
    is_hidden: Any,
) -> dict[str, Any]:
    """The checked, normalised options of one ``@DFF.API`` (DFF's rules, §2 of the facts)."""
    if title is not None and not isinstance(title, str):
        raise InvalidAPIOption(f"DFF.API title must be text, got {title!r}")
    if tags is not None and not isinstance(tags, list | tuple):
        raise InvalidAPIOption("DFF.API tags must be a list of strings")
    if timeout is None:
        timeout = api_timeout
    options: dict[str, Any] = {
        "title": title.strip() if isinstance(title, str) and title.strip() else None,
        "category": str(category) if category else "general",
        "tags": sorted({str(t) for t in tags or []}),
        "timeout": None if timeout is None else _int_in("timeout", timeout, 1, 3600),
    }
    extra: dict[str, Any] = {}
    if expires is not None:
        extra["expires"] = _int_in("expires", expires, 1, 86400)
    if cache_result is not None:
        if (
            isinstance(cache_result, bool)
            or not isinstance(cache_result, int | float)
            or cache_result < 0
        ):
            raise InvalidAPIOption(
                f"DFF.API cache_result must be a number of seconds, got {cache_result!r}"
            )
        if cache_result:
            extra["cache_result"] = cache_result
    if queue is not None:
        if queue == 0:
            raise InvalidAPIOption("DFF.API queue 0 is the system queue; use 1 to 15")
        extra["queue"] = _int_in("queue", queue, 1, 15)
    if fixed_cron_expr is not None:
        if not isinstance(fixed_cron_expr, str) or len(fixed_cron_expr.split()) != 5:
            raise InvalidAPIOption(
                f"DFF.API fixed_cron_expr must have 5 cron fields, got {fixed_cron_expr!r}"
            )
        extra["fixed_cron_expr"] = extra["fixed_crontab"] = fixed_cron_expr
    if delayed_cron_job is not None:
        delays = (
            delayed_cron_job if isinstance(delayed_cron_job, list | tuple) else [delayed_cron_job]
        )
        if not all(isinstance(d, int) and not isinstance(d, bool) and d >= 0 for d in delays):
            raise InvalidAPIOption(
                "DFF.API delayed_cron_job must be seconds: an int or a list of ints"
            )
        extra["delayed_cron_job"] = sorted(set(delays))
    if integration is not None:
        key = str(integration).lower()
        normal = _INTEGRATIONS.get(key) or {"signin": "signIn", "autorun": "autoRun"}.get(key)
        if normal is None:
            raise InvalidAPIOption(
                f"DFF.API integration must be signIn or autoRun, got {integration!r}"
            )
        extra["integration"] = normal
    if integration_config is not None:
        if not isinstance(integration_config, Mapping):
            raise InvalidAPIOption("DFF.API integration_config must be a dict")
        config = {}
        for key, value in integration_config.items():
            normal = _INTEGRATION_KEYS.get(str(key).lower())
            if normal is None:
                raise InvalidAPIOption(f"DFF.API integration_config has an unknown key {key!r}")
            config[normal] = value
        extra["integration_config"] = config
    if is_hidden:
        extra["is_hidden"] = True
    options["options"] = json.loads(json.dumps(extra, default=repr))
    return options
