"""Script sets in and out in DataFlux Func's export format (§9 of the facts).

``export_zip`` writes ``META.yaml`` (version 2, with the older key names as duplicates), the
published code under ``script-sets/<set>/<name>.py`` and ``NOTE.txt``; secrets are blanked
(connector tokens emptied, password variables exported as empty strings). ``read_zip`` reads
that layout, a zip with a wrapping folder, the older layout of one YAML file per kind, and
version 1 (code inside the YAML). ``diff`` says what an import adds and replaces, ``apply``
does it: replace by id, no merge.

Where DataFlux Func deletes a replaced script with its history, an existing script here gets
the imported code as a new published revision (its history stays); scripts of a replaced set
that the import does not have are deleted. Sync/Async APIs come in **disabled** when they had
an API-Auth in the export (the auth and its secrets do not travel): a protected address never
becomes public by an import. The caller makes a restore point (an export of everything that
will be replaced) before ``apply``.
"""

from __future__ import annotations

import io
import json
import re
import zipfile
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from functools import partial
from typing import Any

import yaml
from sqlalchemy import select
from sqlalchemy.orm import Session

from webapp.models import (
    Connector,
    CrontabConfig,
    EnvVar,
    Func,
    FuncApi,
    Script,
    ScriptSet,
)
from webapp.services import connector_types
from webapp.services import connectors as connectors_service
from webapp.services import crontab as crontab_service
from webapp.services import env_vars as env_service
from webapp.services import func_apis as func_apis_service
from webapp.services import script_sets as sets_service
from webapp.services import scripts as scripts_service
from webapp.services.connector_types import SECRET_MASK
from webapp.services.errors import N_, ServiceError

MAX_ZIP_BYTES = 200 * 1024 * 1024
MAX_MEMBER_BYTES = 64 * 1024 * 1024  # one file inside the zip, uncompressed
MAX_TOTAL_BYTES = 256 * 1024 * 1024  # everything inside, uncompressed (zip bombs stop here)
KINDS = ("scriptSets", "connectors", "envVariables", "syncAPIs", "asyncAPIs", "cronJobs")
OLD_NAMES = {"syncAPIs": "authLinks", "asyncAPIs": "batches", "cronJobs": "crontabConfigs"}
CHINA_OFFSET = timedelta(hours=8)  # DataFlux Func names export files in UTC+8


def _bad(message: str, **params: Any) -> ServiceError:
    return ServiceError("invalid_import", message, field="file", params=params)


def _iso(value: datetime | None) -> str | None:
    return value.isoformat() if value else None


# --- export --------------------------------------------------------------------------------


@dataclass
class ExportRequest:
    script_set_ids: list[str]
    connector_ids: list[str] = field(default_factory=list)
    env_variable_ids: list[str] = field(default_factory=list)
    include_sync_apis: bool = False
    include_async_apis: bool = False
    include_cron_jobs: bool = False
    note: str = ""


def _func_entry(func: Func, order: int) -> dict[str, Any]:
    return {
        "id": func.id,
        "name": func.name,
        "title": func.title,
        "description": func.doc or "",
        "definition": f"{func.name}({', '.join(a['name'] for a in func.args)})",
        "argsJSON": [a["name"] for a in func.args],
        "kwargsJSON": {
            a["name"]: ({"default": a["default"]} if a["has_default"] else {}) for a in func.args
        },
        "extraConfigJSON": func.options or {},
        "category": func.category,
        "integration": (func.options or {}).get("integration"),
        "tagsJSON": func.tags or [],
        "defOrder": order,
    }


def export_meta(
    session: Session,
    request: ExportRequest,
    *,
    username: str | None,
    now: datetime,
    allow_empty: bool = False,
) -> tuple[dict[str, Any], dict[str, str]]:
    """(META.yaml's content, {path in the zip: code}) for the request."""
    if not request.script_set_ids and not allow_empty:
        raise ServiceError(
            "invalid_export", N_("Choose at least one script set."), field="script_set_ids"
        )
    sets = []
    files: dict[str, str] = {}
    func_ids: set[str] = set()
    for set_id in request.script_set_ids:
        script_set = sets_service.get_set(session, set_id)
        scripts = []
        for script in session.scalars(
            select(Script).where(Script.set_id == set_id).order_by(Script.id)
        ):
            revision = scripts_service.latest_revision(session, script.id)
            if revision is None:
                continue  # never published: drafts are not exported
            funcs = session.scalars(
                select(Func).where(Func.script_id == script.id).order_by(Func.line, Func.name)
            ).all()
            func_ids.update(f.id for f in funcs)
            name = script.id.split("__", 1)[1] if "__" in script.id else script.id
            files[f"script-sets/{set_id}/{name}.py"] = revision.code
            scripts.append(
                {
                    "id": script.id,
                    "title": script.title,
                    "description": script.description or "",
                    "publishVersion": revision.version,
                    "type": "python",
                    "codeMD5": revision.md5,
                    "updateTime": _iso(revision.published_at),
                    "funcs": [_func_entry(f, i) for i, f in enumerate(funcs)],
                }
            )
        sets.append(
            {
                "id": script_set.id,
                "title": script_set.title,
                "description": script_set.description or "",
                "requirements": script_set.requirements or "",
                "origin": "user",
                "originId": username,
                "originMD5": None,
                "scripts": scripts,
            }
        )
    connectors = []
    for connector_id in request.connector_ids:
        connector = connectors_service.get_connector(session, connector_id)
        config = dict(connector.config)
        config.update(dict.fromkeys(connectors_service.secrets_of(connector), ""))
        config.pop("$unreadable", None)  # secrets stay here: blank in the export
        connectors.append(
            {
                "id": connector.id,
                "title": connector.title,
                "description": "",
                "type": connector.type,
                "configJSON": config,
            }
        )
    env_variables = []
    for name in request.env_variable_ids:
        var = env_service.get_var(session, name)
        secret = var.type == "password"
        env_variables.append(
            {
                "id": var.name,
                "title": var.name,
                "description": var.description or "",
                "autoTypeCasting": "string" if secret else var.type,
                "valueTEXT": "" if secret else var.value,
            }
        )
    meta: dict[str, Any] = {
        "version": 2,
        "scriptSets": sets,
        "connectors": connectors,
        "envVariables": env_variables,
    }
    for kind, include in (
        ("sync", request.include_sync_apis),
        ("async", request.include_async_apis),
    ):
        key = "syncAPIs" if kind == "sync" else "asyncAPIs"
        entries = []
        if include:
            for api in func_apis_service.list_apis(session, kind):
                if api.func_id not in func_ids:
                    continue
                entries.append(
                    {
                        "id": api.id,
                        "funcId": api.func_id,
                        "funcCallKwargsJSON": api.kwargs or {},
                        "expireTime": _iso(api.expires_at),
                        "throttlingJSON": api.throttling or {},
                        "origin": "user",
                        "originId": username,
                        "showInDoc": api.show_in_docs,
                        "isDisabled": api.disabled,
                        "note": api.note or "",
                        "tagsJSON": api.tags or [],
                        # Which kind of auth it had (never its secrets): an import keeps it off.
                        "apiAuthId": None if api.auth.get("type") == "none" else api.auth["type"],
                    }
                )
        meta[key] = entries
    cron_jobs = []
    if request.include_cron_jobs:
        for config in session.scalars(select(CrontabConfig).order_by(CrontabConfig.id)):
            if config.func_id not in func_ids:
                continue
            cron_jobs.append(
                {
                    "id": config.id,
                    "funcId": config.func_id,
                    "funcCallKwargsJSON": config.kwargs or {},
                    "cronExpr": config.crontab,
                    "timezone": config.timezone,
                    "tagsJSON": config.tags or [],
                    "scope": "GLOBAL",
                    "expireTime": _iso(config.expires_at),
                    "origin": "user",
                    "originId": username,
                    "isDisabled": not config.enabled,
                    "note": config.note or "",
                }
            )
    meta["cronJobs"] = cron_jobs
    for new, old in OLD_NAMES.items():
        meta[old] = meta[new]
    meta["extra"] = {"exportUser": username, "exportTime": now.isoformat(), "note": request.note}
    return meta, files


def export_zip(
    session: Session,
    request: ExportRequest,
    *,
    username: str | None,
    now: datetime,
    allow_empty: bool = False,
) -> tuple[str, bytes]:
    """(file name, zip bytes) in DataFlux Func's layout."""
    meta, files = export_meta(session, request, username=username, now=now, allow_empty=allow_empty)
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w", zipfile.ZIP_DEFLATED) as archive:
        archive.writestr("META.yaml", yaml.safe_dump(meta, allow_unicode=True, sort_keys=False))
        for path, code in files.items():
            archive.writestr(path, code)
        archive.writestr("NOTE.txt", request.note or "")
    stamp = (now.astimezone(UTC) + CHINA_OFFSET).strftime("%Y%m%d_%H%M%S")
    return f"dataflux-func-{stamp}.zip", buffer.getvalue()


# --- import: reading -----------------------------------------------------------------------


@dataclass
class Bundle:
    """An import, normalised: entries of each kind and each script's code."""

    script_sets: list[dict[str, Any]] = field(default_factory=list)
    connectors: list[dict[str, Any]] = field(default_factory=list)
    env_variables: list[dict[str, Any]] = field(default_factory=list)
    sync_apis: list[dict[str, Any]] = field(default_factory=list)
    async_apis: list[dict[str, Any]] = field(default_factory=list)
    cron_jobs: list[dict[str, Any]] = field(default_factory=list)
    note: str = ""

    def to_json(self) -> dict[str, Any]:
        return dict(self.__dict__)

    @classmethod
    def from_json(cls, data: dict[str, Any]) -> Bundle:
        return cls(**data)


def _read_members(data: bytes) -> dict[str, bytes]:
    if len(data) > MAX_ZIP_BYTES:
        raise _bad(N_("The file is larger than 200 MB."))
    try:
        archive = zipfile.ZipFile(io.BytesIO(data))
    except zipfile.BadZipFile:
        raise _bad(N_("The file is not a zip archive.")) from None
    members: dict[str, bytes] = {}
    total = 0
    with archive:
        for info in archive.infolist():
            if info.is_dir():
                continue
            if info.file_size > MAX_MEMBER_BYTES:
                raise _bad(N_("%(name)s in the zip is too large."), name=info.filename)
            total += info.file_size
            if total > MAX_TOTAL_BYTES:
                raise _bad(N_("The zip holds more than 256 MB once unpacked."))
            with archive.open(info) as member:
                content = member.read(MAX_MEMBER_BYTES + 1)
            if len(content) > MAX_MEMBER_BYTES:
                raise _bad(N_("%(name)s in the zip is too large."), name=info.filename)
            members[info.filename.replace("\\", "/")] = content
    return members


def _yaml(content: bytes, name: str) -> Any:
    try:
        return yaml.safe_load(content.decode("utf-8")) or {}
    except (yaml.YAMLError, UnicodeDecodeError):
        raise _bad(N_("%(name)s is not valid YAML."), name=name) from None


def _list(meta: dict[str, Any], key: str) -> list[dict[str, Any]]:
    value = meta.get(key)
    if value is None and key in OLD_NAMES:
        value = meta.get(OLD_NAMES[key])
    if value is None:
        return []
    if not isinstance(value, list) or not all(isinstance(v, dict) for v in value):
        raise _bad(N_("%(name)s in META.yaml must be a list."), name=key)
    return value


def read_zip(data: bytes) -> Bundle:
    """The import in ``data``: META.yaml (v2 or v1, maybe in a wrapping folder) or the older
    layout of one YAML file per kind."""
    members = _read_members(data)
    metas = sorted((p for p in members if p.split("/")[-1] == "META.yaml"), key=len)
    if metas:
        root = metas[0][: -len("META.yaml")]
        meta = _yaml(members[metas[0]], "META.yaml")
    else:
        olds = sorted((p for p in members if p.split("/")[-1] == "scriptSets.yaml"), key=len)
        if not olds:
            raise _bad(N_("The zip has no META.yaml: it is not a DataFlux Func export."))
        root = olds[0][: -len("scriptSets.yaml")]
        meta = {}
        for kind in (*KINDS, *OLD_NAMES.values()):
            path = f"{root}{kind}.yaml"
            if path in members:
                meta[kind] = _yaml(members[path], f"{kind}.yaml")
    if not isinstance(meta, dict):
        raise _bad(N_("META.yaml must be a mapping."))
    bundle = Bundle(note=str((meta.get("extra") or {}).get("note") or ""))
    if f"{root}NOTE.txt" in members and not bundle.note:
        bundle.note = members[f"{root}NOTE.txt"].decode("utf-8", "replace")
    for entry in _list(meta, "scriptSets"):
        set_id = str(entry.get("id") or "")
        scripts = []
        for script in entry.get("scripts") or []:
            if not isinstance(script, dict) or not script.get("id"):
                continue
            script_id = str(script["id"])
            name = script_id.split("__", 1)[1] if "__" in script_id else script_id
            code = script.get("code")  # version 1 keeps the code in the YAML
            if code is None:
                for extension in ("py", "md"):
                    path = f"{root}script-sets/{set_id}/{name}.{extension}"
                    if path in members:
                        code = members[path].decode("utf-8", "replace")
                        break
            if code is None or script.get("type", "python") != "python":
                continue  # markdown notes and scripts without code are not scripts here
            scripts.append(
                {
                    "id": script_id,
                    "title": str(script.get("title") or name),
                    "description": str(script.get("description") or ""),
                    "code": code,
                }
            )
        bundle.script_sets.append(
            {
                "id": set_id,
                "title": str(entry.get("title") or set_id),
                "description": str(entry.get("description") or ""),
                "requirements": str(entry.get("requirements") or ""),
                "scripts": scripts,
            }
        )
    bundle.connectors = _list(meta, "connectors")
    bundle.env_variables = _list(meta, "envVariables")
    bundle.sync_apis = _list(meta, "syncAPIs")
    bundle.async_apis = _list(meta, "asyncAPIs")
    bundle.cron_jobs = _list(meta, "cronJobs")
    # YAML may hold dates: everything staged is plain JSON.
    return Bundle.from_json(json.loads(json.dumps(bundle.to_json(), default=str)))


def requirements(bundle: Bundle) -> dict[str, str | None]:
    """{package: version or None} from the sets' requirements texts (nothing is installed)."""
    found: dict[str, str | None] = {}
    for entry in bundle.script_sets:
        for line in entry.get("requirements", "").replace(",", "\n").splitlines():
            line = line.split("#", 1)[0].strip()
            match = re.match(r"^([A-Za-z0-9_.\-\[\]]+)\s*(?:==\s*([^\s;]+))?", line)
            if match:
                found[match.group(1)] = match.group(2)
    return found


# --- import: diff and apply ----------------------------------------------------------------


def diff(session: Session, bundle: Bundle) -> dict[str, list[dict[str, Any]]]:
    """What the import would do, per kind: each entry's id, title and add or replace."""

    def state(model, key) -> str:
        return "replace" if session.get(model, key) is not None else "add"

    out: dict[str, list[dict[str, Any]]] = {kind: [] for kind in KINDS}
    for entry in bundle.script_sets:
        out["scriptSets"].append(
            {
                "id": entry["id"],
                "title": entry["title"],
                "diffType": state(ScriptSet, entry["id"]),
                "scripts": len(entry["scripts"]),
            }
        )
    # (kind, entries, model, the label DataFlux Func's diff shows next to the id)
    others = (
        ("connectors", bundle.connectors, Connector, "title"),
        ("envVariables", bundle.env_variables, EnvVar, "title"),
        ("syncAPIs", bundle.sync_apis, FuncApi, "funcId"),
        ("asyncAPIs", bundle.async_apis, FuncApi, "funcId"),
        ("cronJobs", bundle.cron_jobs, CrontabConfig, "funcId"),
    )
    for kind, entries, model, label in others:
        for entry in entries:
            out[kind].append(
                {
                    "id": entry.get("id"),
                    label: entry.get(label),
                    "diffType": state(model, str(entry.get("id"))),
                }
            )
    return out


@dataclass
class ImportResult:
    added: int = 0
    replaced: int = 0
    skipped: list[str] = field(default_factory=list)  # what could not be imported, and why
    failed_scripts: list[str] = field(default_factory=list)

    def count(self, added: bool) -> None:
        if added:
            self.added += 1
        else:
            self.replaced += 1


def _upsert(
    session: Session,
    result: ImportResult,
    what: str,
    model: Any,
    key: str,
    *,
    create: Callable[[], Any],
    update: Callable[[Any], Any],
) -> None:
    """Create or update one entity in a savepoint of its own; one the services refuse is
    skipped with their reason (the rest of the import goes on), and counted only if it went in."""
    try:
        with session.begin_nested():
            existing = session.get(model, key)
            if existing is None:
                create()
            else:
                update(existing)
    except ServiceError as exc:
        result.skipped.append(f"{what}: {exc.message}")
        return
    result.count(existing is None)


def _json_field(value: Any) -> Any:
    """DataFlux Func's *JSON columns may arrive as JSON text."""
    if isinstance(value, str):
        try:
            return json.loads(value)
        except ValueError:
            return value
    return value


def apply(
    session: Session,
    bundle: Bundle,
    *,
    publish: Callable[[Script], None],
    username: str | None,
    now: datetime,
    default_timezone: str,
) -> ImportResult:
    """Import ``bundle`` (in the caller's transaction). ``publish(script)`` publishes a
    script's draft (in the sandbox); scripts are published until no more succeed, so a
    script that imports another one goes after it."""
    result = ImportResult()
    to_publish: list[Script] = []
    for entry in bundle.script_sets:
        set_id = sets_service.validate_set_id(entry["id"])
        script_set = session.get(ScriptSet, set_id)
        if script_set is None:
            script_set = sets_service.create_set(
                session, set_id, entry["title"], entry["description"], username=username, now=now
            )
            result.added += 1
        else:
            script_set.title = entry["title"][:200] or set_id
            script_set.description = entry["description"]
            script_set.updated_at = now
            result.replaced += 1
        script_set.requirements = str(entry.get("requirements") or "")[:20_000]
        imported = {s["id"] for s in entry["scripts"]}
        for existing in session.scalars(select(Script).where(Script.set_id == set_id)).all():
            if existing.id not in imported:
                scripts_service.delete_script(session, existing)
        for item in entry["scripts"]:
            script = session.get(Script, item["id"])
            if script is None:
                script = scripts_service.create_script(
                    session, item["id"], item["title"], description=item["description"],
                    code=item["code"], username=username, now=now,
                )  # fmt: skip
            else:
                scripts_service.update_script(
                    session, script, title=item["title"], description=item["description"], now=now
                )
                script.draft_code = scripts_service.validate_code(item["code"])
                script.draft_md5 = scripts_service.code_md5(script.draft_code)
                script.draft_updated_at, script.draft_updated_by = now, username
            to_publish.append(script)
    session.flush()
    pending = to_publish
    while pending:
        failed = []
        for script in pending:
            try:
                with session.begin_nested():
                    publish(script)
            except ServiceError:
                failed.append(script)
        if len(failed) == len(pending):
            result.failed_scripts = [s.id for s in failed]
            break
        pending = failed
    who = {"username": username, "now": now}
    for entry in bundle.connectors:
        connector_id, kind = str(entry.get("id")), entry.get("type")
        if kind not in connectors_service.TYPES:
            result.skipped.append(f"connector {connector_id}: type {kind} is not available here")
            continue
        config = _json_field(entry.get("configJSON")) or {}
        # An export's secrets are blank: they keep what this instance has stored.
        secret_names = {*connector_types.TYPES[kind].secret_fields, "token"}
        config = {
            k: (SECRET_MASK if k in secret_names and v in ("", None) else v)
            for k, v in config.items()
        }
        title = entry.get("title")
        _upsert(
            session, result, f"connector {connector_id}", Connector, connector_id,
            create=partial(
                connectors_service.create_connector, session, connector_id, kind, title, config,
                **who,
            ),
            update=lambda c, title=title, config=config: connectors_service.update_connector(
                session, c, title, config, **who
            ),
        )  # fmt: skip
    for entry in bundle.env_variables:
        name = str(entry.get("id"))
        kind = entry.get("autoTypeCasting") or "string"
        value = "" if entry.get("valueTEXT") is None else str(entry.get("valueTEXT"))
        description = entry.get("description")
        _upsert(
            session, result, f"env variable {name}", EnvVar, name,
            create=partial(
                env_service.create_var, session, name, kind, value, description or "", **who
            ),
            update=lambda v, k=kind, value=value, d=description: env_service.update_var(
                session, v, k, value, d, **who
            ),
        )  # fmt: skip
    for kind, entries in (("sync", bundle.sync_apis), ("async", bundle.async_apis)):
        for entry in entries:
            api_id = str(entry.get("id"))
            protected = bool(entry.get("apiAuthId"))
            data = {
                "func_id": entry.get("funcId"),
                "kwargs": _json_field(entry.get("funcCallKwargsJSON")) or {},
                "expires_at": entry.get("expireTime") or None,
                "disabled": bool(entry.get("isDisabled")) or protected,
                "show_in_docs": bool(entry.get("showInDoc")),
                "note": str(entry.get("note") or "")
                + ("\nImported without its API auth: set it, then enable." if protected else ""),
                "tags": _json_field(entry.get("tagsJSON")) or [],
            }
            if kind == "sync":
                data["throttling"] = _json_field(entry.get("throttlingJSON")) or {}

            def replace_api(existing: FuncApi, kind=kind, data=data, api_id=api_id) -> None:
                if existing.kind != kind:  # the same id as the other kind: that one goes
                    session.delete(existing)
                    session.flush()
                    func_apis_service.save_api(
                        session, kind, {**data, "id": api_id}, api=None, **who
                    )
                else:
                    func_apis_service.save_api(session, kind, data, api=existing, **who)

            _upsert(
                session, result, f"{kind} API {api_id}", FuncApi, api_id,
                create=lambda kind=kind, data=data, api_id=api_id: func_apis_service.save_api(
                    session, kind, {**data, "id": api_id}, api=None, **who
                ),
                update=replace_api,
            )  # fmt: skip
    for entry in bundle.cron_jobs:
        job_id = str(entry.get("id"))
        data = {
            "func_id": entry.get("funcId"),
            "kwargs": _json_field(entry.get("funcCallKwargsJSON")) or {},
            "crontab": entry.get("cronExpr") or entry.get("crontab"),
            "timezone": entry.get("timezone") or default_timezone,
            "enabled": not entry.get("isDisabled"),
            "expires_at": entry.get("expireTime") or None,
            "note": str(entry.get("note") or ""),
            "tags": _json_field(entry.get("tagsJSON")) or [],
        }
        _upsert(
            session, result, f"cron job {job_id}", CrontabConfig, job_id,
            create=lambda data=data, job_id=job_id: crontab_service.create_config(
                session, {**data, "id": job_id}, default_timezone=default_timezone, **who
            ),
            update=lambda c, data=data: crontab_service.update_config(
                session, c, data, default_timezone=default_timezone, **who
            ),
        )  # fmt: skip
    return result


def restore_request(bundle: Bundle, session: Session) -> ExportRequest:
    """The export that keeps everything ``bundle`` would replace (a restore point)."""
    return ExportRequest(
        script_set_ids=[s["id"] for s in bundle.script_sets if session.get(ScriptSet, s["id"])],
        connector_ids=[
            str(c.get("id")) for c in bundle.connectors if session.get(Connector, str(c.get("id")))
        ],
        env_variable_ids=[
            str(v.get("id")) for v in bundle.env_variables if session.get(EnvVar, str(v.get("id")))
        ],
        include_sync_apis=True,
        include_async_apis=True,
        include_cron_jobs=True,
        note="restore point before an import",
    )
