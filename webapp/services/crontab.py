"""Cron jobs: validation against the published function, schedule preview, CRUD, last runs."""

from __future__ import annotations

import functools
import re
import uuid
import zoneinfo
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from webapp.models import CrontabConfig, Func, TaskRecord
from webapp.models.crontab import DEFAULT_KEEP_RECORDS
from webapp.schedule import cronexpr
from webapp.schedule.decide import first_run
from webapp.services import funcs as funcs_service
from webapp.services import runs as runs_service
from webapp.services.errors import N_, Msg, NotFound, ServiceError

ID_RE = re.compile(r"^[A-Za-z0-9_.-]{1,64}$")
MAX_TAGS = 20
MAX_TAG_LENGTH = 40
MAX_NOTE_LENGTH = 2000
MAX_KEEP_RECORDS = 100_000
MAX_CRONTAB_LENGTH = 200  # five or six fields; far longer than any real expression


def _cron_error(exc: cronexpr.CronError, prefix: str = "crontab") -> ServiceError:
    """The expression's error in the user's language: "minute: 61 is outside 0-59"."""
    field = "timezone" if exc.field == "timezone" else f"{prefix}.{exc.field}"
    return ServiceError(
        "invalid_crontab",
        N_("%(field)s: %(reason)s"),
        field=field,
        params={
            "field": Msg(cronexpr.FIELD_LABELS.get(exc.field, exc.field)),
            "reason": Msg(exc.template, **exc.params),
        },
    )


AREAS = (
    "Africa",
    "America",
    "Antarctica",
    "Asia",
    "Atlantic",
    "Australia",
    "Europe",
    "Indian",
    "Pacific",
)


@functools.cache
def canonical_timezones() -> list[str]:
    """UTC and the zones of tzdata's zone.tab (one per country or region, no aliases such as
    "Factory", "localtime" or "Asia/Calcutta"), sorted; without that file, Area/City names."""
    for base in zoneinfo.TZPATH:
        table = Path(base) / "zone.tab"
        if table.is_file():
            names = {
                line.split("\t")[2].strip()
                for line in table.read_text().splitlines()
                if line and not line.startswith("#") and line.count("\t") >= 2
            }
            return ["UTC", *sorted(names)]
    names = {z for z in zoneinfo.available_timezones() if z.split("/")[0] in AREAS}
    return ["UTC", *sorted(names)]


def parse_schedule(crontab: object, timezone: object) -> tuple[cronexpr.CronExpr, str]:
    if isinstance(crontab, str) and len(crontab) > MAX_CRONTAB_LENGTH:
        raise ServiceError(
            "invalid_crontab",
            N_("%(field)s must be at most %(max)s characters."),
            field="crontab",
            params={"field": "crontab", "max": MAX_CRONTAB_LENGTH},
        )
    try:
        expr = cronexpr.parse(crontab)
        zone = cronexpr.check_timezone(timezone)
    except cronexpr.CronError as exc:
        raise _cron_error(exc) from None
    return expr, zone


def preview(
    crontab: object, timezone: object, now: datetime, locale: str = "en", count: int = 5
) -> dict[str, Any]:
    expr, zone = parse_schedule(crontab, timezone)
    return {
        "crontab": expr.text,
        "description": expr.describe(locale),
        "timezone": zone,
        "next_runs": [t.isoformat() for t in expr.next_runs(now, zone, count)],
    }


def parse_time(value: object, field: str) -> datetime | None:
    if value in (None, ""):
        return None
    if isinstance(value, str):
        try:
            moment = datetime.fromisoformat(value.replace("Z", "+00:00"))
        except ValueError:
            moment = None
        if moment is not None:
            return moment if moment.tzinfo else moment.replace(tzinfo=UTC)
    raise ServiceError(
        "invalid_time",
        N_("%(field)s must be an ISO 8601 time."),
        field=field,
        params={"field": field},
    )


def _tags(value: object) -> list[str]:
    if value in (None, ""):
        return []
    if isinstance(value, str):
        value = [t.strip() for t in value.split(",") if t.strip()]
    if (
        not isinstance(value, list)
        or len(value) > MAX_TAGS
        or not all(isinstance(t, str) and 0 < len(t) <= MAX_TAG_LENGTH for t in value)
    ):
        raise ServiceError(
            "invalid_tags", N_("tags must be a list of up to 20 short strings."), field="tags"
        )
    return value


def _bool(value: object, field: str, default: bool) -> bool:
    if value is None:
        return default
    if not isinstance(value, bool):
        raise ServiceError(
            "invalid_type",
            N_("%(field)s must be true or false."),
            field=field,
            params={"field": field},
        )
    return value


def get_config(session: Session, config_id: str) -> CrontabConfig:
    config = session.get(CrontabConfig, config_id) if ID_RE.match(config_id or "") else None
    if config is None:
        raise NotFound(N_("Cron job %(id)s does not exist."), id=config_id)
    return config


def _apply(
    session: Session,
    config: CrontabConfig,
    data: dict[str, Any],
    now: datetime,
    default_timezone: str,
) -> None:
    func_id = data.get("func_id", config.func_id)
    func_row: Func = funcs_service.get_func(session, func_id) if func_id else None
    if func_row is None:
        raise ServiceError(
            "missing_field",
            N_("%(field)s is required."),
            field="func_id",
            params={"field": "func_id"},
        )
    kwargs = runs_service.validate_kwargs(data.get("kwargs", config.kwargs or {}))
    runs_service.check_kwargs_against(func_row, kwargs)
    fixed = func_row.options.get("fixed_crontab")
    crontab = fixed if isinstance(fixed, str) and fixed else data.get("crontab", config.crontab)
    timezone = data.get("timezone", config.timezone or default_timezone) or default_timezone
    expr, timezone = parse_schedule(crontab, timezone)
    config.func_id = func_row.id
    config.kwargs = kwargs
    config.crontab = expr.text
    config.timezone = timezone
    config.enabled = _bool(
        data.get("enabled"), "enabled", config.enabled if config.enabled is not None else True
    )
    config.allow_overlap = _bool(
        data.get("allow_overlap"), "allow_overlap", bool(config.allow_overlap)
    )
    if "expires_at" in data:
        config.expires_at = parse_time(data.get("expires_at"), "expires_at")
    if "note" in data:
        note = data.get("note") or ""
        if not isinstance(note, str) or len(note) > MAX_NOTE_LENGTH:
            raise ServiceError(
                "invalid_note",
                N_("The note must be text of at most 2000 characters."),
                field="note",
            )
        config.note = note
    if "tags" in data:
        config.tags = _tags(data.get("tags"))
    keep = data.get("keep_records", config.keep_records or DEFAULT_KEEP_RECORDS)
    if isinstance(keep, bool) or not isinstance(keep, int) or not 1 <= keep <= MAX_KEEP_RECORDS:
        raise ServiceError(
            "invalid_number",
            N_("%(field)s must be %(low)s-%(high)s."),
            field="keep_records",
            params={"field": "keep_records", "low": 1, "high": MAX_KEEP_RECORDS},
        )
    config.keep_records = keep
    config.next_run_at = (
        first_run(expr, timezone, now, config.expires_at) if config.enabled else None
    )
    config.updated_at = now


def reschedule(config: CrontabConfig, crontab: str, now: datetime) -> None:
    """The job's next run by ``crontab`` (an enabled job), e.g. after CRON_JOB.set_cron_expr."""
    if config.enabled:
        expr, _ = parse_schedule(crontab, config.timezone)
        config.next_run_at = first_run(expr, config.timezone, now, config.expires_at)


def create_config(
    session: Session,
    data: dict[str, Any],
    *,
    username: str | None,
    now: datetime,
    default_timezone: str,
) -> CrontabConfig:
    config_id = data.get("id") or f"cron-{uuid.uuid4().hex[:10]}"
    if not isinstance(config_id, str) or not ID_RE.match(config_id):
        raise ServiceError(
            "invalid_id", N_("A cron job id is 1-64 letters, digits, _ . or -."), field="id"
        )
    if session.get(CrontabConfig, config_id) is not None:
        raise ServiceError(
            "crontab_exists",
            N_("Cron job %(id)s already exists."),
            status=409,
            field="id",
            params={"id": config_id},
        )
    config = CrontabConfig(
        id=config_id,
        created_at=now,
        updated_by=username,
        kwargs={},
        note="",
        tags=[],
        keep_records=DEFAULT_KEEP_RECORDS,
    )
    config.enabled = True
    _apply(session, config, data, now, default_timezone)
    session.add(config)
    session.flush()
    return config


def update_config(
    session: Session,
    config: CrontabConfig,
    data: dict[str, Any],
    *,
    username: str | None,
    now: datetime,
    default_timezone: str,
) -> CrontabConfig:
    _apply(session, config, data, now, default_timezone)
    config.updated_by = username
    session.flush()
    return config


def last_runs(session: Session, ids: list[str]) -> dict[str, TaskRecord]:
    """The newest record of each job, in one query."""
    if not ids:
        return {}
    newest = (
        select(TaskRecord.crontab_config_id, func.max(TaskRecord.created_at).label("at"))
        .where(TaskRecord.crontab_config_id.in_(ids))
        .group_by(TaskRecord.crontab_config_id)
        .subquery()
    )
    rows = session.scalars(
        select(TaskRecord).join(
            newest,
            (TaskRecord.crontab_config_id == newest.c.crontab_config_id)
            & (TaskRecord.created_at == newest.c.at),
        )
    )
    return {r.crontab_config_id: r for r in rows}


def to_json(config: CrontabConfig, last: TaskRecord | None, locale: str = "en") -> dict:
    def iso(value):
        return value.isoformat() if value else None

    try:
        description = cronexpr.parse(config.crontab).describe(locale)
    except cronexpr.CronError:
        description = config.crontab
    return {
        "id": config.id,
        "func_id": config.func_id,
        "kwargs": config.kwargs,
        "crontab": config.crontab,
        "crontab_description": description,
        "timezone": config.timezone,
        "enabled": config.enabled,
        "allow_overlap": config.allow_overlap,
        "expires_at": iso(config.expires_at),
        "note": config.note,
        "tags": config.tags,
        "keep_records": config.keep_records,
        "next_run_at": iso(config.next_run_at),
        "last_run": {
            "task_id": last.id,
            "status": last.status,
            "at": iso(last.scheduled_for or last.created_at),
        }
        if last
        else None,
        "created_at": iso(config.created_at),
        "updated_at": iso(config.updated_at),
        "updated_by": config.updated_by,
    }
