"""``DFF.CRON_JOB``, ``DFF.SYNC_API`` and ``DFF.ASYNC_API`` (§3 of the facts): a script reads,
saves, lists and calls cron jobs and Sync/Async APIs by DataFlux Func's field names, and a
cron job's schedule can be changed for a while (``set_cron_expr``) or paused.

Rows come back in DataFlux Func's shape (``funcId``, ``funcCallKwargsJSON``, ``cronExpr``,
``isDisabled``..., plus ``scriptSetTitle``, ``scriptTitle``, ``funcTitle``,
``funcExtraConfigJSON``). ``save`` goes through the same checks as the pages; ``call`` is
always asynchronous and uses the given kwargs as they are (the entity's fixed kwargs are not
merged, as in DataFlux Func).
"""

from __future__ import annotations

import fnmatch
from datetime import datetime, timedelta
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from webapp.models import CrontabConfig, Func, FuncApi, Script, ScriptSet
from webapp.services import crontab as crontab_service
from webapp.services import func_apis as func_apis_service
from webapp.services import runs as runs_service
from webapp.services.errors import ServiceError

KINDS = {"cronJob": "cron", "syncAPI": "sync", "asyncAPI": "async"}
CURRENT_ORIGINS = {"cronJob": ("crontab", "manual"), "syncAPI": ("sync",), "asyncAPI": ("async",)}


class EntityError(Exception):
    def __init__(self, kind: str, message: str) -> None:
        super().__init__(message)
        self.kind = kind
        self.message = message


def _iso(value: datetime | None) -> str | None:
    return value.isoformat() if value else None


def _titles(session: Session, func_id: str) -> dict[str, Any]:
    func = session.get(Func, func_id)
    script = session.get(Script, func.script_id) if func else None
    script_set = session.get(ScriptSet, script.set_id) if script and script.set_id else None
    return {
        "scriptSetTitle": script_set.title if script_set else None,
        "scriptTitle": script.title if script else None,
        "funcTitle": func.title if func else None,
        "funcExtraConfigJSON": (func.options or {}) if func else None,
    }


def row(session: Session, kind: str, entity: Any) -> dict[str, Any]:
    if kind == "cronJob":
        out = {
            "id": entity.id,
            "funcId": entity.func_id,
            "funcCallKwargsJSON": entity.kwargs or {},
            "cronExpr": entity.crontab,
            "crontab": entity.crontab,
            "timezone": entity.timezone,
            "tagsJSON": entity.tags or [],
            "expireTime": _iso(entity.expires_at),
            "isDisabled": not entity.enabled,
            "note": entity.note or "",
            "dynamicCronExpr": entity.dynamic_crontab,
            "pausedUntil": _iso(entity.paused_until),
        }
    else:
        out = {
            "id": entity.id,
            "funcId": entity.func_id,
            "funcCallKwargsJSON": entity.kwargs or {},
            "expireTime": _iso(entity.expires_at),
            "throttlingJSON": entity.throttling or {},
            "showInDoc": entity.show_in_docs,
            "isDisabled": entity.disabled,
            "note": entity.note or "",
            "tagsJSON": entity.tags or [],
        }
    return {**out, **_titles(session, entity.func_id)}


def _load(session: Session, kind: str, entity_id: Any) -> Any:
    if not isinstance(entity_id, str) or len(entity_id) > 64:
        return None
    if kind == "cronJob":
        return session.get(CrontabConfig, entity_id)
    found = session.get(FuncApi, entity_id)
    return found if found is not None and found.kind == KINDS[kind] else None


def current_id(kind: str, job: dict[str, Any]) -> str | None:
    """The entity that started this run, when it is one of ``kind``."""
    context = job.get("context") or {}
    if context.get("origin") in CURRENT_ORIGINS[kind]:
        return context.get("origin_id")
    return None


def get(session: Session, kind: str, entity_id: Any, job: dict[str, Any]) -> dict | None:
    entity_id = current_id(kind, job) if entity_id is None else entity_id
    entity = _load(session, kind, entity_id)
    return None if entity is None else row(session, kind, entity)


def _ours(kind: str, data: dict[str, Any]) -> dict[str, Any]:
    """DataFlux Func's column names as ours."""
    mapping = {
        "funcId": "func_id",
        "funcCallKwargsJSON": "kwargs",
        "note": "note",
        "tagsJSON": "tags",
        "expireTime": "expires_at",
        "cronExpr": "crontab",
        "crontab": "crontab",
        "timezone": "timezone",
        "throttlingJSON": "throttling",
        "showInDoc": "show_in_docs",
    }
    out = {mapping[k]: v for k, v in data.items() if k in mapping}
    if "isDisabled" in data:
        if kind == "cronJob":
            out["enabled"] = not data["isDisabled"]
        else:
            out["disabled"] = bool(data["isDisabled"])
    return out


def save(
    session: Session,
    kind: str,
    entity_id: Any,
    data: Any,
    *,
    username: str,
    now: datetime,
    default_timezone: str,
) -> None:
    if not isinstance(data, dict):
        raise EntityError("TypeError", "data must be a dict of DataFlux Func's field names")
    ours = _ours(kind, data)
    existing = _load(session, kind, entity_id)
    try:
        if kind == "cronJob":
            if existing is None:
                crontab_service.create_config(
                    session, {**ours, "id": entity_id}, username=username, now=now,
                    default_timezone=default_timezone,
                )  # fmt: skip
            else:
                crontab_service.update_config(
                    session, existing, ours, username=username, now=now,
                    default_timezone=default_timezone,
                )  # fmt: skip
        else:
            if existing is None:
                ours["id"] = entity_id
            func_apis_service.save_api(
                session, KINDS[kind], ours, api=existing, username=username, now=now
            )
    except ServiceError as exc:
        raise EntityError("ValueError", exc.message) from None


def _matches(value: Any, condition: Any) -> bool:
    if not isinstance(condition, dict):
        return value == condition
    for op, expected in condition.items():
        if op == "eq" and value != expected:
            return False
        if op == "ne" and value == expected:
            return False
        if op == "in" and value not in (expected or []):
            return False
        if op == "notin" and value in (expected or []):
            return False
        if op == "like" and not fnmatch.fnmatchcase(str(value), str(expected).replace("%", "*")):
            return False
        if op == "isnull" and (value is None) != bool(expected):
            return False
    return True


def query(session: Session, kind: str, fields: Any, filters: Any) -> list[dict[str, Any]]:
    if kind == "cronJob":
        entities = session.scalars(select(CrontabConfig).order_by(CrontabConfig.id)).all()
    else:
        entities = func_apis_service.list_apis(session, KINDS[kind])
    filters = dict(filters or {}) if isinstance(filters, dict) else {}
    if kind == "cronJob" and "crontab" in filters:
        filters["cronExpr"] = filters.pop("crontab")
    rows = [row(session, kind, e) for e in entities]
    rows = [r for r in rows if all(_matches(r.get(k), c) for k, c in filters.items())]
    if isinstance(fields, list) and fields:
        names = ["cronExpr" if f == "crontab" and kind == "cronJob" else f for f in fields]
        rows = [{f: r.get(f) for f in names} for r in rows]
    return rows


def _in(name: str, value: Any, low: int, high: int) -> None:
    if value is None:
        return
    if isinstance(value, bool) or not isinstance(value, int) or not low <= value <= high:
        raise EntityError("BadEntityCall", f"{name} must be {low}-{high}")


def call(
    session: Session,
    kind: str,
    entity_id: Any,
    args: dict[str, Any],
    job: dict[str, Any],
    now: datetime,
) -> str:
    """Queue a run of the entity's function with ``kwargs`` as given; the task id."""
    _in("queue", args.get("queue"), 1, 9)
    _in("timeout", args.get("timeout"), 1, 3600)
    _in("expires", args.get("expires"), 1, 86400)
    entity = _load(session, kind, entity_id)
    if entity is None:
        raise EntityError("EntityNotFound", f"{kind} not found: `{entity_id}`")
    func = session.get(Func, entity.func_id)
    if func is None:
        raise EntityError("EntityNotFound", f"Func not found: `{entity.func_id}`")
    try:
        kwargs = runs_service.validate_kwargs(args.get("kwargs"))
        runs_service.check_kwargs_against(func, kwargs)
    except ServiceError as exc:
        raise EntityError("TypeError", exc.message) from None
    origin = {"cronJob": "manual", "syncAPI": "sync", "asyncAPI": "async"}[kind]
    expires = args.get("expires") or 900
    record = runs_service.new_queued_record(
        session,
        origin=origin,
        func=func,
        kwargs=kwargs,
        username=(job.get("context") or {}).get("triggered_by"),
        now=now,
        expires_at=now + timedelta(seconds=expires),
        origin_id=None if kind == "cronJob" else entity.id,
        root_task_id=job.get("id"),
        queue=args.get("queue"),
    )
    if kind == "cronJob":
        record.crontab_config_id = entity.id
    return record.id


# --- a cron job's schedule for a while ------------------------------------------------------


def _cron_job(session: Session, entity_id: Any, job: dict[str, Any]) -> CrontabConfig:
    entity_id = current_id("cronJob", job) if entity_id is None else entity_id
    entity = _load(session, "cronJob", entity_id)
    if entity is None:
        raise EntityError("EntityNotFound", f"cronJob not found: `{entity_id}`")
    return entity


def set_cron_expr(
    session: Session, entity_id: Any, cron_expr: Any, expires: Any, job: dict, now: datetime
) -> None:
    config = _cron_job(session, entity_id, job)
    try:
        expr, _timezone = crontab_service.parse_schedule(cron_expr, config.timezone)
    except ServiceError as exc:
        raise EntityError("ValueError", exc.message) from None
    if expires is not None:
        _in("expires", expires, 1, 10 * 365 * 86400)
    config.dynamic_crontab = expr.text
    config.dynamic_expires_at = now + timedelta(seconds=expires) if expires else None
    crontab_service.reschedule(config, expr.text, now)


def clear_cron_expr(session: Session, entity_id: Any, job: dict, now: datetime) -> None:
    config = _cron_job(session, entity_id, job)
    config.dynamic_crontab = config.dynamic_expires_at = None
    crontab_service.reschedule(config, config.crontab, now)


def get_cron_expr(session: Session, entity_id: Any, job: dict, now: datetime) -> str | None:
    config = _cron_job(session, entity_id, job)
    if config.dynamic_crontab and (
        config.dynamic_expires_at is None or config.dynamic_expires_at > now
    ):
        return config.dynamic_crontab
    return None


def all_cron_exprs(session: Session, now: datetime) -> dict[str, str]:
    out = {}
    for config in session.scalars(
        select(CrontabConfig).where(CrontabConfig.dynamic_crontab.is_not(None))
    ):
        if config.dynamic_expires_at is None or config.dynamic_expires_at > now:
            out[config.id] = config.dynamic_crontab
    return out


def pause(session: Session, entity_id: Any, expires: Any, job: dict, now: datetime) -> None:
    if expires is None:
        raise EntityError("TypeError", "pause() needs expires, in seconds")
    _in("expires", expires, 1, 10 * 365 * 86400)
    _cron_job(session, entity_id, job).paused_until = now + timedelta(seconds=expires)
