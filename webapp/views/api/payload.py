"""Reading request input: a clear 400 naming the field instead of a KeyError or a 500.

``json_object()`` is the one place where a request's JSON is parsed, for every endpoint: the
body must be an object, nested at most ``MAX_DEPTH`` deep, with every string valid text (no
lone surrogate, which no database or encoder accepts, and no NUL, which PostgreSQL refuses) and
every integer within 64 bits; NaN and Infinity are not JSON. ``int_arg()`` does the same for
numbers in query strings.
"""

from __future__ import annotations

import json
import re
from typing import Any

from flask import request

from webapp.services.errors import N_, ServiceError

_MISSING = object()
MAX_DEPTH = 64
INT64 = (-(2**63), 2**63 - 1)
_BAD_TEXT = re.compile("[\x00\ud800-\udfff]")


def _not_json(_constant: str) -> Any:
    raise ValueError("NaN and Infinity are not JSON")


def json_object() -> dict[str, Any]:
    """The request body as a JSON object, or a 400 explaining what is wrong with it."""
    raw = request.get_data(cache=True)
    if not raw:
        return {}
    try:
        data = json.loads(raw, parse_constant=_not_json)
    except RecursionError:
        raise _too_deep() from None
    except ValueError:  # bad JSON, bad UTF-8, or an integer of thousands of digits
        raise ServiceError("invalid_json", N_("The request body is not valid JSON.")) from None
    if not isinstance(data, dict):
        raise ServiceError("invalid_json", N_("The request body must be a JSON object."))
    check_json_value(data)
    return data


def check_json_value(value: Any) -> None:
    """Depth, text and integer bounds of a parsed JSON value (iteratively: no recursion)."""
    stack: list[tuple[Any, str, int]] = [(value, "", 0)]
    while stack:
        item, path, depth = stack.pop()
        if depth > MAX_DEPTH:
            raise _too_deep()
        if isinstance(item, dict):
            for key, child in item.items():
                name = f"{path}.{key}" if path else key
                _check_text(key, name)
                stack.append((child, name, depth + 1))
        elif isinstance(item, list):
            stack.extend((child, f"{path}[{i}]", depth + 1) for i, child in enumerate(item))
        elif isinstance(item, str):
            _check_text(item, path)
        elif isinstance(item, int) and not INT64[0] <= item <= INT64[1]:
            raise ServiceError(
                "out_of_range",
                N_("%(field)s is out of range."),
                field=path,
                params={"field": path},
            )


def _check_text(text: str, path: str) -> None:
    if _BAD_TEXT.search(text):
        raise ServiceError(
            "invalid_text",
            N_("%(field)s contains a character that is not valid text (NUL or a lone surrogate)."),
            field=path or "body",
            params={"field": path or "body"},
        )


def _too_deep() -> ServiceError:
    return ServiceError(
        "invalid_json",
        N_("The request body is nested more than %(depth)s levels deep."),
        params={"depth": MAX_DEPTH},
    )


def int_arg(name: str, default: int | None, minimum: int = 0, maximum: int = INT64[1]) -> Any:
    """An integer query-string argument within [minimum, maximum], or a 400 naming it."""
    raw = request.args.get(name)
    if raw is None or raw == "":
        return default
    text = raw.strip()
    digits = text.removeprefix("-")
    if not (digits.isascii() and digits.isdigit()) or len(text) > 20:
        raise ServiceError(
            "invalid_type",
            N_("%(field)s must be of type %(expected)s."),
            field=name,
            params={"field": name, "expected": "integer"},
        )
    value = int(text)
    if not minimum <= value <= maximum:
        raise ServiceError(
            "out_of_range",
            N_("%(field)s must be between %(minimum)s and %(maximum)s."),
            field=name,
            params={"field": name, "minimum": minimum, "maximum": maximum},
        )
    return value


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
