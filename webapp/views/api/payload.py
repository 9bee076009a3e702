"""Reading request input: a clear 400 naming the field instead of a KeyError or a 500.

``json_object()`` is the one place where a request's JSON is parsed, for every endpoint: the
body must be an object, nested at most ``MAX_DEPTH`` deep, with every string valid text (no
lone surrogate, which no database or encoder accepts, and no NUL, which PostgreSQL refuses) and
every integer within 64 bits; NaN and Infinity are not JSON. What the fields of the object
must be is declared per operation (``operation.py``, with the types of ``fields.py``).
"""

from __future__ import annotations

import json
import re
from typing import Any

from flask import request

from webapp.services.errors import N_, ServiceError

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
        # The path may hold the bad character itself (a key): never echo it back, since a
        # lone surrogate makes the error response itself invalid JSON text.
        name = _BAD_TEXT.sub("\ufffd", path) or "body"
        raise ServiceError(
            "invalid_text",
            N_("%(field)s contains a character that is not valid text (NUL or a lone surrogate)."),
            field=name,
            params={"field": name},
        )


def _too_deep() -> ServiceError:
    return ServiceError(
        "invalid_json",
        N_("The request body is nested more than %(depth)s levels deep."),
        params={"depth": MAX_DEPTH},
    )
