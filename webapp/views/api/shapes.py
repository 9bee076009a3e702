"""What /api/v1 answers, field by field: the response half of the OpenAPI document.

Every model forbids keys it does not list, so a field added to a response without adding it
here fails the response check that the test suite runs on every API call it makes.
"""

from __future__ import annotations

from datetime import datetime
from typing import Any, Literal

from pydantic import BaseModel, ConfigDict, Field

from webapp.services.errors import N_


class Shape(BaseModel):
    model_config = ConfigDict(extra="forbid", strict=True)


class Error(BaseModel):
    """Every 4xx/5xx: a machine code, a sentence, and the field at fault when there is one;
    some errors add their own keys (``current_md5`` on a draft conflict, ``line``...)."""

    model_config = ConfigDict(extra="allow", strict=True)
    error: str
    message: str
    field: str | None = None


# --- scripts ---------------------------------------------------------------------------------


class ScriptSet(Shape):
    id: str
    title: str
    description: str
    requirements: str = Field(description=N_("Packages the set needs, one per line."))
    scripts: int | None = Field(description=N_("How many scripts it holds."))
    updated_at: datetime


class ScriptSummary(Shape):
    id: str
    set_id: str = Field(description=N_("The script set: the part of the id before __."))
    title: str
    description: str
    published_version: int | None
    draft_md5: str
    has_unpublished_changes: bool
    updated_at: datetime


class Script(ScriptSummary):
    draft_code: str
    draft_updated_at: datetime
    draft_updated_by: str | None
    published_code: str | None
    published_md5: str | None
    published_at: datetime | None
    created_at: datetime
    created_by: str | None


class ExamplesInstalled(Shape):
    created: list[str] = Field(description=N_("The scripts made now (existing ones are kept)."))
    scripts: list[str]
    open: str = Field(description=N_("The script the guided first run opens."))


class DraftSaved(Shape):
    draft_md5: str
    draft_updated_at: datetime


class Restored(Shape):
    draft_md5: str
    draft_code: str


class Revision(Shape):
    version: int
    md5: str
    note: str | None
    published_at: datetime
    published_by: str | None


class RevisionWithCode(Revision):
    code: str


class FuncArg(Shape):
    name: str
    has_default: bool
    default: Any = Field(description=N_("The default as a JSON value, or its source text."))


class FuncOutline(Shape):
    name: str
    line: int
    args: list[FuncArg]
    accepts_var_kwargs: bool
    doc: str | None
    is_api: bool
    title: str | None


class PublishedFunc(FuncOutline):
    id: str
    category: str | None = None
    tags: list[str] = []
    timeout: float | None = None
    options: dict[str, Any] = {}


class Published(Revision):
    funcs: list[dict[str, Any]] = Field(description=N_("The functions this version publishes."))


class Diff(Shape):
    from_: str = Field(alias="from")
    to: str
    from_code: str
    to_code: str
    diff: str


class SyntaxErrorAt(Shape):
    line: int | None
    message: str


class Outline(Shape):
    funcs: list[FuncOutline]
    syntax_error: SyntaxErrorAt | None


class Diagnostic(Shape):
    line: int
    column: int
    end_line: int | None
    end_column: int | None
    severity: Literal["error", "warning"]
    message: str


class CodeCheck(Shape):
    diagnostics: list[Diagnostic]
    funcs: list[FuncOutline] | None


# --- runs and task records -------------------------------------------------------------------


class LogLine(Shape):
    time: datetime
    message: str


class RunError(Shape):
    type: str
    message: str
    traceback: str
    line: int | None


class TaskRecord(Shape):
    id: str
    task_id: str
    origin: Literal["debug", "api", "crontab", "manual", "func", "sync", "async", "integration"]
    func_id: str | None
    script_id: str | None
    script_version: int | None
    crontab_config_id: str | None
    kwargs: dict[str, Any] | None
    status: Literal["queued", "running", "success", "failure", "timeout", "skipped", "expired"]
    scheduled_for: datetime | None
    created_at: datetime | None
    started_at: datetime | None
    ended_at: datetime | None
    duration_ms: float | None
    peak_memory_kb: int | None
    logs: list[LogLine] | None
    log_truncated: bool | None
    return_value: Any = Field(description=N_("What the function returned, as JSON."))
    error: RunError | None
    triggered_by: str | None
    root_task_id: str | None = Field(
        None, description=N_("The run that started this one with DFF.FUNC.")
    )
    call_chain: list[str] | None = Field(
        None, description=N_("DFF.FUNC: the functions from the first run to this one.")
    )
    origin_id: str | None = Field(None, description=N_("The Sync or Async API that started it."))
    print_logs: list[str] | None = Field(
        None, description=N_("The log as DataFlux Func prints it: [time] [+Δms] [total ms] line.")
    )


class CallResult(TaskRecord):
    cached: bool = Field(
        False, description=N_("true when the answer comes from the function's result cache.")
    )


class Stopped(Shape):
    stopped: bool


class Func(Shape):
    id: str
    script_id: str
    name: str
    title: str | None
    category: str | None
    tags: list[str]
    args: list[FuncArg]
    accepts_var_kwargs: bool
    doc: str | None
    timeout: float | None
    options: dict[str, Any]
    version: int
    is_hidden: bool


# --- connectors and env vars -----------------------------------------------------------------


class Connector(Shape):
    id: str
    type: str
    title: str
    config: dict[str, Any] = Field(
        description=N_("The config; a secret that is set (password, token) shows as *****.")
    )
    secrets_unreadable: bool = Field(
        description=N_("The stored secrets cannot be read with this instance's key.")
    )
    url: str
    updated_at: datetime
    updated_by: str | None


class ConnectorField(Shape):
    name: str
    kind: str
    default: Any = None
    required: bool
    aliases: list[str]


class ConnectorTypeInfo(Shape):
    type: str
    title: str
    library: str
    available: bool
    why_not: str | None
    fields: list[ConnectorField]


class ConnectionTest(Shape):
    ok: bool
    latency_ms: float | None
    version: str | None
    detail: str


class EnvVar(Shape):
    name: str
    type: str
    value: Any = Field(description=N_("The typed value; always null for a password."))
    has_value: bool
    description: str | None
    updated_at: datetime
    updated_by: str | None


# --- cron jobs -------------------------------------------------------------------------------


class LastRun(Shape):
    task_id: str
    status: str
    at: datetime | None


class CronJob(Shape):
    id: str
    func_id: str
    kwargs: dict[str, Any]
    crontab: str
    crontab_description: str
    timezone: str
    enabled: bool
    allow_overlap: bool
    expires_at: datetime | None
    note: str
    tags: list[str]
    keep_records: int
    next_run_at: datetime | None
    last_run: LastRun | None
    created_at: datetime | None
    updated_at: datetime | None
    updated_by: str | None


class FuncApi(Shape):
    id: str
    kind: Literal["sync", "async"]
    func_id: str
    kwargs: dict[str, Any]
    auth: dict[str, Any] = Field(description=N_("Passwords and field values read *****."))
    throttling: dict[str, int]
    expires_at: datetime | None
    disabled: bool
    show_in_docs: bool
    note: str
    tags: list[str]
    updated_at: datetime | None
    updated_by: str | None


class CronPreview(Shape):
    crontab: str
    description: str
    timezone: str
    next_runs: list[datetime]


class BulkChanged(Shape):
    changed: list[str]


class Pause(Shape):
    paused: bool
    until: datetime | None


# --- metrics and logs ------------------------------------------------------------------------


class Measurement(Shape):
    measurement: str
    fields: list[str]
    tag_keys: list[str]
    last_time: datetime


class Series(Shape):
    field: str
    tags: dict[str, str]
    points: list[tuple[datetime, float | int | None]]


class MetricQuery(Shape):
    series: list[Series]
    from_: datetime = Field(alias="from")
    to: datetime


class LogEntry(Shape):
    id: int
    time: datetime
    source: str
    status: str
    message: str
    tags: dict[str, Any]
    fields: dict[str, Any]


class LogPage(Shape):
    logs: list[LogEntry]
    next_before_id: int | None


# --- packages ----------------------------------------------------------------------------------


class Package(Shape):
    name: str
    version: str


class PackageJob(Shape):
    id: str
    action: Literal["install", "uninstall"]
    requested: list[str]
    status: Literal["running", "success", "failure"]
    summary: str = Field(description=N_("How it ended, in a line (empty while it runs)."))
    started_by: str | None
    started_at: str = Field(description=N_("ISO 8601, UTC."))
    finished_at: str | None
    output: str = Field(description=N_("pip's output from the offset asked for."))
    output_length: int = Field(description=N_("All output so far: the next offset to ask for."))


class Packages(Shape):
    folder: str | None = Field(description=N_("Where installed packages go (None: turned off)."))
    installed: list[Package]
    runtime: list[Package] = Field(
        description=N_("The sandbox runtime's own packages: they win on a conflict.")
    )
    running_job: str | None
    recent_jobs: list[PackageJob]
