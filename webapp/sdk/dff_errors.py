"""The errors scripts see from members that ask the platform (STORE, CACHE, FUNC, CONN...).

The platform answers a refused call with a type name and a message; ``host_error`` turns that
into an exception a DataFlux Func script can catch by the same name: Python's own types stay
Python's, DataFlux Func's (``EntityNotFound``, ``FuncCircularCall``...) are classes here.
"""

from __future__ import annotations

import builtins


class DFFError(Exception):
    """A DataFlux Func error: the base of EntityNotFound, FuncCallChainTooLong and the rest."""


class EntityNotFound(DFFError):
    """No function, connector or other entity has the id a script gave."""


class FuncCallChainTooLong(DFFError):
    """DFF.FUNC was called by a chain of five functions already."""


class FuncCircularCall(DFFError):
    """DFF.FUNC would call a function that is already in the call chain."""


class ConnectorNotSupport(DFFError):
    """DFF.CONN.save was given a connector type this platform does not have."""


class InvalidConnectorConfig(DFFError):
    """DFF.CONN.save was given a config that is not a dict (or misses a field)."""


class BadEntityCall(DFFError):
    """A call of a cron job or API with an option out of range (queue, timeout, expires)."""


class ResponseError(DFFError):
    """The cache refused an operation, as Redis does (a wrong type, not an integer...)."""


class LimitExceeded(DFFError):
    """A run made more calls to the platform than one run may."""


_BUILTIN_TYPES = (
    "ValueError",
    "TypeError",
    "KeyError",
    "LookupError",
    "PermissionError",
    "TimeoutError",
    "RuntimeError",
    "ConnectionError",
    "NotImplementedError",
)
_DFF_TYPES = {
    cls.__name__: cls
    for cls in (
        EntityNotFound,
        FuncCallChainTooLong,
        FuncCircularCall,
        ConnectorNotSupport,
        InvalidConnectorConfig,
        BadEntityCall,
        ResponseError,
        LimitExceeded,
    )
}


def host_error(error: object) -> Exception:
    """The exception for the platform's ``{"type", "message"}`` answer."""
    error = error if isinstance(error, dict) else {}
    kind, message = str(error.get("type") or "RuntimeError"), str(error.get("message") or "")
    if kind in _BUILTIN_TYPES:
        return getattr(builtins, kind)(message)
    return _DFF_TYPES.get(kind, DFFError)(message)
