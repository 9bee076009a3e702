"""Reading JSON request bodies: a clear 400 naming the field instead of a KeyError or a 500."""

from __future__ import annotations

from typing import Any

from flask import request

from webapp.services.errors import N_, ServiceError

_MISSING = object()


def json_object() -> dict[str, Any]:
    """The request body as a JSON object, or a 400 explaining what is wrong with it."""
    data = request.get_json(silent=True, force=True) if request.data else None
    if data is None and request.data:
        raise ServiceError("invalid_json", N_("The request body is not valid JSON."))
    if data is None:
        return {}
    if not isinstance(data, dict):
        raise ServiceError("invalid_json", N_("The request body must be a JSON object."))
    return data


def required(data: dict[str, Any], name: str, kind: type | tuple[type, ...] = str) -> Any:
    value = data.get(name, _MISSING)
    if value is _MISSING or value is None:
        raise ServiceError(
            "missing_field", N_("%(field)s is required."), field=name, params={"field": name}
        )
    return typed(name, value, kind)


def optional(data: dict[str, Any], name: str, kind: type | tuple[type, ...] = str) -> Any:
    value = data.get(name)
    return None if value is None else typed(name, value, kind)


def typed(name: str, value: Any, kind: type | tuple[type, ...]) -> Any:
    # bool is an int in Python; JSON true is never a valid number here.
    if not isinstance(value, kind) or (isinstance(value, bool) and kind is not bool):
        expected = kind.__name__ if isinstance(kind, type) else "/".join(k.__name__ for k in kind)
        raise ServiceError(
            "invalid_type",
            N_("%(field)s must be of type %(expected)s."),
            field=name,
            params={"field": name, "expected": _json_type_name(expected)},
        )
    return value


def _json_type_name(python_name: str) -> str:
    return {"str": "string", "int": "integer", "dict": "object", "list": "array"}.get(
        python_name, python_name
    )
