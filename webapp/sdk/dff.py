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


class ConnectorNotFound(LookupError):
    pass


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
        """Mark a function as published: ``@DFF.API('Title', category=..., timeout=...)``."""
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
        """The helper object of a connector configured in the UI (``overrides`` win)."""
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
        """An environment variable configured in the UI, already type-cast; None when missing."""
        entry = self._env.get(name)
        return None if entry is None else entry.get("value")

    def password_values(self) -> list[str]:
        """Values to mask in the log (password-type variables)."""
        return [
            str(e["value"])
            for e in self._env.values()
            if e.get("type") == "password" and e.get("value") not in (None, "")
        ]
