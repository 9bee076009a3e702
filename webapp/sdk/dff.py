"""The ``DFF`` object scripts written for DataFlux Func use: ``API``, ``SRC``/``CONN``, ``ENV``."""

from __future__ import annotations

import inspect
import json
from collections.abc import Callable
from typing import Any

PASSWORD_MASK = "*****"
MIN_TIMEOUT, MAX_TIMEOUT = 1, 3600

# The options DataFlux Func documents for DFF.API; any other keyword is kept but ignored, so a
# script written for a newer platform version still loads.
KNOWN_API_OPTIONS = (
    "category",
    "tags",
    "timeout",
    "cache_result",
    "fixed_crontab",
    "delayed_crontab",
    "api_timeout",
    "expires",
    "queue",
    "integration",
    "is_hidden",
)


# The variables every script sees besides DFF (documented on the Script API page).
BUILTIN_VARIABLES = {
    "_DFF_FUNC_ID": "The id of the function being run, <script_id>.<name>; None at the top level.",
    "_DFF_ORIGIN": "Why the code runs: debug (the editor), api, crontab, manual or publish.",
    "_DFF_TRIGGER_TIME": "The time the run was due, as a Unix timestamp (cron jobs).",
    "_DFF_CRON_EXPR": "The cron expression of the job that started the run, or None.",
}

# DFFNamespace's members that are for the platform, not for scripts.
INTERNAL_MEMBERS = ("exported", "password_values")


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


class DFFNamespace:
    """``DFF`` inside a script. One instance per run, built from what the job passed in."""

    def __init__(
        self,
        env: dict[str, dict[str, Any]] | None = None,
        connectors: dict[str, dict[str, Any]] | None = None,
        connector_factories: dict[str, Callable[..., Any]] | None = None,
    ) -> None:
        self._env = env or {}
        self._connectors = connectors or {}
        self._factories = connector_factories or {}
        self.exported: dict[str, dict[str, Any]] = {}

    # --- @DFF.API -------------------------------------------------------------------------

    def API(
        self,
        title: str | None = None,
        category: str = "general",
        tags=None,
        timeout: int | None = None,
        **options: Any,
    ) -> Callable[[Callable], Callable]:
        """Publish the function below it: an id of its own, callable over HTTP and by cron jobs.

        Only functions with this decorator are published; the others stay helpers of the script.
        Their arguments become the call's kwargs (defaults are shown in the editor and cron form).

        Args:
            title: What the function does, shown in lists (required).
            category: A group name for lists; "general" when left out.
            tags: A list of short strings.
            timeout: Seconds a run may take, 1-3600 (default 30 for calls and cron jobs).
            options: DataFlux Func's other options are accepted (cache_result, fixed_crontab,
                is_hidden, ...); unknown ones are kept and ignored.
        Returns:
            The function itself, unchanged.
        Raises:
            TypeError: No title, or tags that are not a list.
            ValueError: A timeout outside 1-3600.
        Example:
            @DFF.API("Collect disk usage", category="ops", timeout=60)
            def collect(path="/"):
                return {"path": path}
        """
        if not isinstance(title, str) or not title.strip():
            raise TypeError("DFF.API needs a title, e.g. @DFF.API('Collect disk usage')")
        if timeout is not None and (
            isinstance(timeout, bool)
            or not isinstance(timeout, int)
            or not MIN_TIMEOUT <= timeout <= MAX_TIMEOUT
        ):
            raise ValueError(
                f"DFF.API timeout must be an integer from 1 to 3600 s, got {timeout!r}"
            )
        if tags is not None and not isinstance(tags, list | tuple):
            raise TypeError("DFF.API tags must be a list of strings")

        def register(func: Callable) -> Callable:
            args, var_kwargs = describe_signature(func)
            meta = {
                "name": func.__name__,
                "title": title.strip(),
                "category": str(category or "general"),
                "tags": [str(t) for t in (tags or [])],
                "timeout": timeout,
                "args": args,
                "accepts_var_kwargs": var_kwargs,
                "doc": inspect.getdoc(func),
                "line": getattr(getattr(func, "__code__", None), "co_firstlineno", None),
                "options": {k: _json_safe(v) for k, v in options.items() if k in KNOWN_API_OPTIONS},
            }
            self.exported[func.__name__] = meta
            func.__dff_api__ = meta
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
        return factory(**{**config.get("config", {}), **overrides})

    CONN = SRC

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
        """
        entry = self._env.get(name)
        return None if entry is None else entry.get("value")

    def password_values(self) -> list[str]:
        """Values to mask in the log (password-type variables)."""
        return [
            str(e["value"])
            for e in self._env.values()
            if e.get("type") == "password" and e.get("value") not in (None, "")
        ]
