"""Environment variables: typed values validated on save, cast for scripts, passwords hidden."""

from __future__ import annotations

import json
import re
from collections.abc import Set as AbstractSet
from datetime import datetime
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from webapp.models import EnvVar
from webapp.services.errors import N_, NotFound, ServiceError

NAME_RE = re.compile(r"^[A-Za-z_][A-Za-z0-9_]{0,63}$")
TYPES = ("string", "password", "integer", "float", "boolean", "json", "commaArray")
MAX_VALUE_LENGTH = 64 * 1024
MAX_DESCRIPTION_LENGTH = 2000
# DataFlux Func's words for booleans.
TRUE_WORDS = {"true", "1", "o", "y", "yes", "ok", "on"}
FALSE_WORDS = {"false", "0", "x", "n", "no", "ng", "off"}


def cast(type_: str, raw: str) -> Any:
    """The typed value of ``raw``; raises ValueError with a readable reason."""
    if type_ in ("string", "password"):
        return raw
    if type_ == "integer":
        return int(raw.strip())
    if type_ == "float":
        value = float(raw.strip())
        if value != value or value in (float("inf"), float("-inf")):
            raise ValueError("NaN and infinity are not allowed")
        return value
    if type_ == "boolean":
        word = raw.strip().lower()
        if word in TRUE_WORDS:
            return True
        if word in FALSE_WORDS:
            return False
        raise ValueError("use true/false, yes/no, on/off or 1/0")
    if type_ == "json":
        return json.loads(raw)
    if type_ == "commaArray":  # DataFlux Func's type: text split on commas
        return [part.strip() for part in raw.split(",")] if raw.strip() else []
    raise ValueError(f"unknown type {type_}")


def _as_text(value: Any, type_: str) -> str:
    """Accept JSON-native values too (5, true, {...}) and store their text form."""
    if isinstance(value, str):
        return value
    if type_ == "json":
        return json.dumps(value, ensure_ascii=False)
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, int | float):
        return repr(value)
    raise ServiceError("invalid_value", N_("value must be text."), field="value")


def validate(name: object, type_: object, value: object) -> tuple[str, str, str]:
    if not isinstance(name, str) or not NAME_RE.match(name):
        raise ServiceError(
            "invalid_name",
            N_("A variable name is a letter or _, then up to 63 letters, digits or _."),
            field="name",
        )
    if type_ not in TYPES:
        raise ServiceError(
            "invalid_type",
            N_("type must be one of: %(types)s."),
            field="type",
            params={"types": ", ".join(TYPES)},
        )
    if value is None:
        raise ServiceError(
            "missing_field", N_("%(field)s is required."), field="value", params={"field": "value"}
        )
    text = _as_text(value, type_)
    if len(text) > MAX_VALUE_LENGTH:
        raise ServiceError("invalid_value", N_("The value is longer than 64 KiB."), field="value")
    try:
        cast(type_, text)
    except json.JSONDecodeError as exc:
        raise ServiceError(
            "invalid_value",
            N_("The value is not valid JSON (line %(line)s, column %(column)s)."),
            field="value",
            params={"line": exc.lineno, "column": exc.colno},
        ) from None
    except ValueError:
        raise ServiceError("invalid_value", INVALID_VALUE[type_], field="value") from None
    return name, type_, text


# What a value of each type looks like, in our words (not Python's "invalid literal...").
INVALID_VALUE = {
    "integer": N_("The value must be a whole number, like 3 or -12."),
    "float": N_("The value must be a finite number, like 2.5 or -0.1."),
    "boolean": N_("The value must be true or false (yes/no, on/off and 1/0 work too)."),
}


def list_vars(session: Session) -> list[EnvVar]:
    return list(session.scalars(select(EnvVar).order_by(EnvVar.name)))


def get_var(session: Session, name: str) -> EnvVar:
    var = session.get(EnvVar, name) if NAME_RE.match(name or "") else None
    if var is None:
        raise NotFound(N_("Variable %(name)s does not exist."), name=name)
    return var


def create_var(session: Session, name, type_, value, description="", *, username, now: datetime):
    name, type_, text = validate(name, type_, value)
    if session.get(EnvVar, name) is not None:
        raise ServiceError(
            "env_var_exists",
            N_("Variable %(name)s already exists."),
            status=409,
            field="name",
            params={"name": name},
        )
    var = EnvVar(
        name=name,
        type=type_,
        value=text,
        description=_description(description),
        updated_at=now,
        updated_by=username,
    )
    session.add(var)
    session.flush()
    return var


def update_var(
    session: Session, var: EnvVar, type_, value, description=None, *, username, now: datetime
) -> EnvVar:
    type_ = type_ or var.type
    if value is None and type_ == "password" and var.type == "password":
        value = var.value  # the browser never has the password: keep it unless a new one is given
    _, var.type, var.value = validate(var.name, type_, value)
    if description is not None:
        var.description = _description(description)
    var.updated_at, var.updated_by = now, username
    session.flush()
    return var


def _description(description: object) -> str:
    if description is None:
        return ""
    if not isinstance(description, str) or len(description) > MAX_DESCRIPTION_LENGTH:
        raise ServiceError(
            "invalid_description",
            N_("The description must be text of at most 2000 characters."),
            field="description",
        )
    return description


def public_view(var: EnvVar) -> dict[str, Any]:
    """What the browser and the API may see: never a password's value."""
    return {
        "name": var.name,
        "type": var.type,
        "value": None if var.type == "password" else cast(var.type, var.value),
        "has_value": bool(var.value),
        "description": var.description,
        "updated_at": var.updated_at.isoformat(),
        "updated_by": var.updated_by,
    }


def for_sandbox(session: Session, names: AbstractSet[str] | None) -> dict[str, dict[str, Any]]:
    """Typed values for a job; ``names=None`` means every variable (dynamic DFF.ENV calls)."""
    query = select(EnvVar)
    if names is not None:
        if not names:
            return {}
        query = query.where(EnvVar.name.in_(sorted(names)))
    return {
        v.name: {"type": v.type, "value": cast(v.type, v.value)} for v in session.scalars(query)
    }
