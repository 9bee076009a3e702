"""``DFF.STORE``: a script's persistent JSON key/value store, kept in the app's database.

The rules are DataFlux Func's (``dff-script-api-facts.md`` §3): rows keyed by (scope, key) with
the id ``fnst-`` + md5(key + '-' + scope); key and scope at most 256 characters; values are
JSON (sent already encoded by the script's side, stored as that text); ``expires`` in seconds;
``not_exists`` leaves an existing key alone; expired rows count as missing on every read and
are purged by ``purge_expired`` (the scheduler's hourly clean-up) or when written again;
``keys`` patterns use ``*`` and ``?``.

What DataFlux Func leaves unbounded is bounded here: one value is at most ``MAX_VALUE_BYTES``,
and all values together at most the quota the app configures (``FUNCPAD_STORE_MAX_MB``).
"""

from __future__ import annotations

import hashlib
import json
from datetime import datetime, timedelta
from typing import Any

from sqlalchemy import delete, func, select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from webapp.models import FuncStoreEntry

MAX_KEY_LENGTH = 256
MAX_VALUE_BYTES = 1024 * 1024


class StoreError(ValueError):
    """A STORE call the script got wrong (the message says which argument)."""


def entry_id(key: str, scope: str) -> str:
    return "fnst-" + hashlib.md5(f"{key}-{scope}".encode()).hexdigest()


def check_name(what: str, value: Any) -> str:
    if not isinstance(value, str):
        raise StoreError(f"{what} must be a string, not {type(value).__name__}")
    if len(value) > MAX_KEY_LENGTH:
        raise StoreError(f"{what} is longer than {MAX_KEY_LENGTH} characters")
    return value


def check_expires(expires: Any) -> int | None:
    if expires is None:
        return None
    if isinstance(expires, bool) or not isinstance(expires, int | float):
        raise StoreError("expires must be a number of seconds")
    return max(int(expires), 1)


def like_pattern(pattern: Any) -> str:
    """``*`` and ``?`` as SQL LIKE's ``%`` and ``_`` (everything else literal, ``\\`` escapes)."""
    pattern = check_name("pattern", "*" if pattern is None else pattern)
    escaped = pattern.replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_")
    return escaped.replace("*", "%").replace("?", "_")


def _live(now: datetime):
    return (FuncStoreEntry.expire_at.is_(None)) | (FuncStoreEntry.expire_at > now)


def used_bytes(session: Session) -> int:
    return int(session.scalar(select(func.coalesce(func.sum(FuncStoreEntry.size), 0))) or 0)


def set_values(
    session: Session,
    scope: str,
    items: dict[str, str],
    *,
    expires: Any = None,
    not_exists: bool = False,
    now: datetime,
    quota_bytes: int,
) -> None:
    """Write ``items`` ({key: value as JSON text}) in one transaction of the caller's."""
    scope = check_name("scope", scope)
    seconds = check_expires(expires)
    expire_at = now + timedelta(seconds=seconds) if seconds is not None else None
    checked: dict[str, str] = {}
    for key, value_json in items.items():
        check_name("key", key)
        if not isinstance(value_json, str):
            raise StoreError("the value must be sent as JSON text")
        json.loads(value_json)  # the script's side encoded it; refuse anything else
        if len(value_json.encode("utf-8")) > MAX_VALUE_BYTES:
            raise StoreError(f"the value of {key!r} is larger than {MAX_VALUE_BYTES // 1024} KiB")
        checked[key] = value_json
    added = sum(len(v.encode("utf-8")) for v in checked.values())
    if used_bytes(session) + added > quota_bytes:
        raise StoreError(
            f"the store is full ({quota_bytes // (1024 * 1024)} MiB, FUNCPAD_STORE_MAX_MB): "
            "delete keys or give them an expiry"
        )
    for key, value_json in checked.items():
        row_id = entry_id(key, scope)
        row = session.get(FuncStoreEntry, row_id, with_for_update=True)
        if row is not None and row.expire_at is not None and row.expire_at <= now:
            session.delete(row)
            session.flush()
            row = None
        if row is not None:
            if not_exists:
                continue
            row.value_json, row.size = value_json, len(value_json.encode("utf-8"))
            row.expire_at, row.updated_at = expire_at, now
            continue
        try:
            with session.begin_nested():
                session.add(
                    FuncStoreEntry(
                        id=row_id,
                        scope=scope,
                        key=key,
                        value_json=value_json,
                        size=len(value_json.encode("utf-8")),
                        expire_at=expire_at,
                        created_at=now,
                        updated_at=now,
                    )
                )
        except IntegrityError:  # another run wrote it meanwhile: theirs counts as existing
            if not not_exists:
                row = session.get(FuncStoreEntry, row_id, populate_existing=True)
                if row is not None:
                    row.value_json, row.size = value_json, len(value_json.encode("utf-8"))
                    row.expire_at, row.updated_at = expire_at, now


def get_values(session: Session, scope: str, keys: list[str], now: datetime) -> dict[str, Any]:
    """{key: JSON text or None} for each of ``keys``."""
    scope = check_name("scope", scope)
    for key in keys:
        check_name("key", key)
    ids = {entry_id(k, scope): k for k in keys}
    found = dict(
        session.execute(
            select(FuncStoreEntry.id, FuncStoreEntry.value_json).where(
                FuncStoreEntry.id.in_(list(ids)), _live(now)
            )
        ).all()
    )
    return {key: found.get(row_id) for row_id, key in ids.items()}


def matching(
    session: Session, scope: str, pattern: Any, now: datetime, with_values: bool
) -> list[str] | dict[str, str]:
    """The live keys of ``scope`` matching ``pattern`` (with their JSON text when asked)."""
    scope = check_name("scope", scope)
    columns = (FuncStoreEntry.key, FuncStoreEntry.value_json)
    rows = session.execute(
        select(*columns)
        .where(
            FuncStoreEntry.scope == scope,
            FuncStoreEntry.key.like(like_pattern(pattern), escape="\\"),
            _live(now),
        )
        .order_by(FuncStoreEntry.key)
    ).all()
    if with_values:
        return {key: value for key, value in rows}
    return [key for key, _ in rows]


def delete_keys(session: Session, scope: str, keys: list[str]) -> None:
    scope = check_name("scope", scope)
    ids = [entry_id(check_name("key", k), scope) for k in keys]
    session.execute(delete(FuncStoreEntry).where(FuncStoreEntry.id.in_(ids)))


def delete_matching(session: Session, scope: str, pattern: Any) -> None:
    """Every key of ``scope`` matching ``pattern``, expired or not (as in DataFlux Func)."""
    scope = check_name("scope", scope)
    session.execute(
        delete(FuncStoreEntry).where(
            FuncStoreEntry.scope == scope,
            FuncStoreEntry.key.like(like_pattern(pattern), escape="\\"),
        )
    )


def purge_expired(session: Session, now: datetime) -> int:
    return session.execute(delete(FuncStoreEntry).where(FuncStoreEntry.expire_at <= now)).rowcount
