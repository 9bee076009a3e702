"""Declaring an /api/v1 operation: what it reads, what it answers, its place in the document.

``@operation(...)`` sits under the route decorator. Before the view runs, it validates the path
parameters, the query string and the JSON body against the declared models (built from
``fields``) and passes them in as ``query=`` and ``body=``; a value that does not fit is a 400
naming the field, in our own translated words. The declaration stays on the view, where
``openapi.document()`` reads it and where the response check (on in tests) finds what the view
promised to answer.
"""

from __future__ import annotations

import functools
import typing
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

from flask import request
from flask_babel import lazy_gettext
from pydantic import BaseModel, ConfigDict, TypeAdapter, ValidationError

from webapp.services.errors import N_, NotFound, ServiceError
from webapp.views.api.payload import json_object


class Body(BaseModel):
    """A request body: JSON types are not coerced ("5" is not a number); unknown keys are
    ignored, as clients of a v1 API expect when fields are added."""

    model_config = ConfigDict(strict=True, extra="ignore")


class Query(BaseModel):
    """Query-string arguments: text by nature, so numbers and flags are read from text."""

    model_config = ConfigDict(extra="ignore")


@dataclass(frozen=True)
class Operation:
    summary: str
    tag: str
    responses: dict[int, Any]  # status → a model, list[model], or None for no content
    body: type[Body] | None = None
    query: type[Query] | None = None
    path: dict[str, Any] = field(default_factory=dict)
    streams: bool = False  # answers text/event-stream when the client asks for it
    description: str | None = None


def operation(
    summary: str,
    *,
    tag: str,
    responses: dict[int, Any],
    body: type[Body] | None = None,
    query: type[Query] | None = None,
    path: dict[str, Any] | None = None,
    streams: bool = False,
    description: str | None = None,
) -> Callable[[Callable], Callable]:
    spec = Operation(summary, tag, responses, body, query, path or {}, streams, description)
    path_adapters = {name: TypeAdapter(kind) for name, kind in spec.path.items()}
    # An id in the path that cannot exist is "nothing here" (404), like one that does not;
    # a number that is not one (a version) is bad input naming it (400).
    text_params = {name for name, kind in spec.path.items() if _is_text(_base_type(kind))}

    def decorate(view: Callable) -> Callable:
        @functools.wraps(view)
        def run(**url_values: Any) -> Any:
            for name, adapter in path_adapters.items():
                if name in text_params:
                    try:
                        adapter.validate_python(url_values[name])
                    except ValidationError:
                        raise NotFound(N_("There is nothing at this address.")) from None
                else:
                    url_values[name] = _validated(
                        adapter.validate_python, url_values[name], (name,)
                    )
            if query is not None:
                url_values["query"] = _validated(
                    query.model_validate, _query_args(query), (), query
                )
            if body is not None:
                url_values["body"] = _validated(body.model_validate, json_object(), (), body)
            return view(**url_values)

        run.operation = spec
        return run

    return decorate


def _query_args(model: type[Query]) -> dict[str, Any]:
    args: dict[str, Any] = {}
    for name, info in model.model_fields.items():
        key = info.alias or name
        if _is_list(info.annotation):
            values = request.args.getlist(key)
            if values:
                args[key] = values
        elif request.args.get(key) not in (None, ""):
            args[key] = request.args[key]
    return args


def _base_type(annotation: Any) -> Any:
    while typing.get_origin(annotation) is typing.Annotated:
        annotation = typing.get_args(annotation)[0]
    return annotation


def _is_text(annotation: Any) -> bool:
    """str, or a Literal of strings (a path segment that names one of a few things)."""
    if typing.get_origin(annotation) is typing.Literal:
        return all(isinstance(v, str) for v in typing.get_args(annotation))
    return annotation is str


def _is_list(annotation: Any) -> bool:
    if typing.get_origin(annotation) is typing.Annotated:
        annotation = typing.get_args(annotation)[0]
    return typing.get_origin(annotation) is list


def _validated(
    validate: Callable[[Any], Any], value: Any, prefix: tuple, model: type[BaseModel] | None = None
) -> Any:
    try:
        return validate(value)
    except ValidationError as exc:
        error = exc.errors(include_url=False)[0]
        raise field_error(error, prefix, _rule(model, error["loc"])) from None


def _rule(model: type[BaseModel] | None, loc: tuple) -> str | None:
    """The description of the top-level field at fault: what a valid value looks like."""
    if model is None or len(loc) != 1:
        return None
    for name, info in model.model_fields.items():
        if loc[0] in (name, info.alias):
            return info.description
    return None


TYPE_ERRORS = {
    "string_type": "string",
    "int_type": "integer",
    "int_parsing": "integer",
    "int_from_float": "integer",
    "float_type": "number",
    "float_parsing": "number",
    "bool_type": "boolean",
    "bool_parsing": "boolean",
    "dict_type": "object",
    "model_type": "object",
    "model_attributes_type": "object",
    "list_type": "array",
}


def field_path(loc: tuple) -> str:
    """``("config", "url")`` → ``config.url``; ``("tags", 0)`` → ``tags[0]``."""
    path = ""
    for part in loc:
        if isinstance(part, int):
            path += f"[{part}]"
        else:
            path = f"{path}.{part}" if path else str(part)
    return path or "body"


def field_error(error: dict[str, Any], prefix: tuple = (), rule: str | None = None) -> ServiceError:
    """One pydantic error as our 400: a machine code, our sentence, the field's path."""
    name = field_path((*prefix, *error["loc"]))
    kind, ctx = error["type"], error.get("ctx") or {}
    params: dict[str, Any] = {"field": name}
    if kind == "missing":
        code, message = "missing_field", N_("%(field)s is required.")
    elif kind in TYPE_ERRORS:
        code, message = "invalid_type", N_("%(field)s must be of type %(expected)s.")
        params["expected"] = TYPE_ERRORS[kind]
    elif kind == "string_too_long":
        code, message = "too_long", N_("%(field)s must be at most %(max)s characters.")
        params["max"] = ctx.get("max_length")
    elif kind == "string_too_short":
        code, message = "too_short", N_("%(field)s must not be empty.")
    elif kind == "too_long":
        code, message = "too_many", N_("%(field)s must have at most %(max)s items.")
        params["max"] = ctx.get("max_length")
    elif kind == "string_pattern_mismatch" and rule:
        code, message = "invalid_format", N_("%(field)s: %(rule)s")
        params["rule"] = lazy_gettext(rule)
    elif kind == "string_pattern_mismatch":
        code, message = "invalid_format", N_("%(field)s does not have the expected form.")
    elif kind in ("greater_than_equal", "greater_than"):
        code, message = "out_of_range", N_("%(field)s must be at least %(limit)s.")
        params["limit"] = ctx.get("ge", ctx.get("gt"))
    elif kind in ("less_than_equal", "less_than"):
        code, message = "out_of_range", N_("%(field)s must be at most %(limit)s.")
        params["limit"] = ctx.get("le", ctx.get("lt"))
    elif kind in ("literal_error", "enum"):
        code, message = "invalid_choice", N_("%(field)s must be one of: %(choices)s.")
        params["choices"] = ctx.get("expected", "")
    else:
        code, message = "invalid_value", N_("%(field)s is not valid.")
    return ServiceError(code, message, field=name, params=params)
