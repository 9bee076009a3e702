"""Scripts, drafts, revisions and diffs."""

from __future__ import annotations

from flask import jsonify, request
from flask_login import current_user

from webapp.extensions import db
from webapp.models import Script, ScriptRevision
from webapp.models.types import utcnow
from webapp.runner.service import get_runner
from webapp.services import code_check
from webapp.services import runs as runs_service
from webapp.services import scripts as service
from webapp.services.errors import N_, ServiceError
from webapp.views.api import api
from webapp.views.api.payload import json_object, optional, required


def _summary_json(summary: service.ScriptSummary) -> dict:
    script = summary.script
    return {
        "id": script.id,
        "title": script.title,
        "description": script.description,
        "published_version": summary.published_version,
        "draft_md5": script.draft_md5,
        "has_unpublished_changes": summary.has_unpublished_changes,
        "updated_at": script.updated_at.isoformat(),
    }


def _script_json(script: Script) -> dict:
    latest = service.latest_revision(db.session, script.id)
    summary = service.ScriptSummary(
        script, latest.version if latest else None, latest.md5 if latest else None
    )
    return {
        **_summary_json(summary),
        "draft_code": script.draft_code,
        "draft_updated_at": script.draft_updated_at.isoformat(),
        "draft_updated_by": script.draft_updated_by,
        "published_code": latest.code if latest else None,
        "published_md5": latest.md5 if latest else None,
        "published_at": latest.published_at.isoformat() if latest else None,
        "created_at": script.created_at.isoformat(),
        "created_by": script.created_by,
    }


def _revision_json(revision: ScriptRevision, with_code: bool = False) -> dict:
    body = {
        "version": revision.version,
        "md5": revision.md5,
        "note": revision.note,
        "published_at": revision.published_at.isoformat(),
        "published_by": revision.published_by,
    }
    if with_code:
        body["code"] = revision.code
    return body


def _version_arg(raw: str) -> int:
    if not (raw.isascii() and raw.isdigit() and len(raw) <= 18) or int(raw) < 1:
        raise ServiceError(
            "invalid_version", N_("A version is a positive integer."), field="version"
        )
    return int(raw)


@api.get("/scripts")
def list_scripts():
    return jsonify([_summary_json(s) for s in service.list_scripts(db.session)])


@api.post("/scripts")
def create_script():
    data = json_object()
    script = service.create_script(
        db.session,
        required(data, "id"),
        required(data, "title"),
        description=optional(data, "description") or "",
        code=optional(data, "code") or "",
        username=current_user.username,
        now=utcnow(),
    )
    db.session.commit()
    return jsonify(_script_json(script)), 201


@api.get("/scripts/<script_id>")
def get_script(script_id: str):
    return jsonify(_script_json(service.get_script(db.session, script_id)))


@api.patch("/scripts/<script_id>")
def update_script(script_id: str):
    script = service.get_script(db.session, script_id)
    data = json_object()
    service.update_script(
        db.session,
        script,
        title=optional(data, "title"),
        description=optional(data, "description"),
        now=utcnow(),
    )
    db.session.commit()
    return jsonify(_script_json(script))


@api.delete("/scripts/<script_id>")
def delete_script(script_id: str):
    service.delete_script(db.session, service.get_script(db.session, script_id))
    db.session.commit()
    return "", 204


@api.put("/scripts/<script_id>/draft")
def save_draft(script_id: str):
    script = service.get_script(db.session, script_id)
    data = json_object()
    service.save_draft(
        db.session,
        script,
        required(data, "code"),
        required(data, "base_md5"),
        username=current_user.username,
        now=utcnow(),
    )
    db.session.commit()
    return jsonify(draft_md5=script.draft_md5, draft_updated_at=script.draft_updated_at.isoformat())


@api.post("/scripts/<script_id>/publish")
def publish(script_id: str):
    script = service.get_script(db.session, script_id)
    data = json_object()
    runner = get_runner()
    revision, funcs = service.publish(
        db.session,
        script,
        data.get("note"),
        username=current_user.username,
        now=utcnow(),
        extract=lambda code, sid: runs_service.extract_funcs(runner, code, sid),
    )
    db.session.commit()
    body = _revision_json(revision)
    body["funcs"] = [{"id": f"{script.id}.{f['name']}", **f} for f in funcs]
    return jsonify(body), 201


@api.get("/scripts/<script_id>/revisions")
def list_revisions(script_id: str):
    return jsonify([_revision_json(r) for r in service.list_revisions(db.session, script_id)])


@api.get("/scripts/<script_id>/revisions/<version>")
def get_revision(script_id: str, version: str):
    revision = service.get_revision(db.session, script_id, _version_arg(version))
    return jsonify(_revision_json(revision, with_code=True))


@api.post("/scripts/<script_id>/revisions/<version>/restore")
def restore_revision(script_id: str, version: str):
    script = service.get_script(db.session, script_id)
    data = json_object()
    service.restore(
        db.session,
        script,
        _version_arg(version),
        base_md5=optional(data, "base_md5"),
        username=current_user.username,
        now=utcnow(),
    )
    db.session.commit()
    return jsonify(draft_md5=script.draft_md5, draft_code=script.draft_code)


@api.get("/scripts/<script_id>/diff")
def diff(script_id: str):
    script = service.get_script(db.session, script_id)
    from_ref = service.parse_version_ref(request.args.get("from", service.PUBLISHED), "from")
    to_ref = service.parse_version_ref(request.args.get("to", service.DRAFT), "to")
    return jsonify(service.diff(db.session, script, from_ref, to_ref))


@api.get("/scripts/<script_id>/outline")
def outline(script_id: str):
    """Top-level functions of the draft (for the editor's function picker)."""
    script = service.get_script(db.session, script_id)
    try:
        funcs = service.code_outline.outline(script.draft_code)
    except SyntaxError as exc:
        return jsonify(funcs=[], syntax_error={"line": exc.lineno, "message": exc.msg})
    return jsonify(funcs=[f.to_dict() for f in funcs], syntax_error=None)


@api.post("/code/check")
def check_code():
    """Diagnostics and top-level functions of the text in the editor (not saved)."""
    data = json_object()
    code = service.validate_code(required(data, "code"))
    return jsonify(code_check.check(code))
