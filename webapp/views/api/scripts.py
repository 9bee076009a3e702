"""Scripts, drafts, revisions and diffs."""

from __future__ import annotations

from flask import current_app, jsonify
from flask_login import current_user
from pydantic import Field

from webapp.extensions import db
from webapp.models import Script, ScriptRevision
from webapp.models.types import utcnow
from webapp.runner.service import get_runner
from webapp.services import code_check, integrations, script_imports
from webapp.services import runs as runs_service
from webapp.services import scripts as service
from webapp.services.errors import N_
from webapp.views.api import api, fields, shapes
from webapp.views.api.operation import Body, Query, operation

TAG = "scripts"
SCRIPT = {"script_id": fields.ScriptId}
REVISION = {"script_id": fields.ScriptId, "version": fields.Version}


class NewScript(Body):
    id: fields.ScriptId
    title: fields.Title
    description: fields.Description | None = None
    code: fields.Code | None = None


class ScriptChange(Body):
    title: fields.Title | None = None
    description: fields.Description | None = None


class DraftChange(Body):
    code: fields.Code
    base_md5: fields.Md5


class PublishRequest(Body):
    note: fields.Note | None = None


class RestoreRequest(Body):
    base_md5: fields.Md5 | None = Field(
        None, description=N_("When given, the draft must still have this md5 (else 409).")
    )


class DiffQuery(Query):
    from_: fields.VersionRef = Field(service.PUBLISHED, alias="from")
    to: fields.VersionRef = service.DRAFT


class CodeText(Body):
    code: fields.Code


def _summary_json(summary: service.ScriptSummary) -> dict:
    script = summary.script
    return {
        "id": script.id,
        "set_id": script.set_id,
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


@api.get("/scripts")
@operation(N_("List scripts"), tag=TAG, responses={200: list[shapes.ScriptSummary]})
def list_scripts():
    return jsonify([_summary_json(s) for s in service.list_scripts(db.session)])


@api.post("/scripts")
@operation(
    N_("Create a script"),
    tag=TAG,
    body=NewScript,
    responses={201: shapes.Script, 409: shapes.Error},
)
def create_script(body: NewScript):
    script = service.create_script(
        db.session,
        body.id,
        body.title,
        description=body.description or "",
        code=body.code or "",
        username=current_user.username,
        now=utcnow(),
    )
    db.session.commit()
    return jsonify(_script_json(script)), 201


@api.get("/scripts/<script_id>")
@operation(
    N_("A script with its draft and latest published code"),
    tag=TAG,
    path=SCRIPT,
    responses={200: shapes.Script, 404: shapes.Error},
)
def get_script(script_id: str):
    return jsonify(_script_json(service.get_script(db.session, script_id)))


@api.patch("/scripts/<script_id>")
@operation(
    N_("Change a script's title or description"),
    tag=TAG,
    path=SCRIPT,
    body=ScriptChange,
    responses={200: shapes.Script, 404: shapes.Error},
)
def update_script(script_id: str, body: ScriptChange):
    script = service.get_script(db.session, script_id)
    service.update_script(
        db.session,
        script,
        title=body.title,
        description=body.description,
        now=utcnow(),
    )
    db.session.commit()
    return jsonify(_script_json(script))


@api.delete("/scripts/<script_id>")
@operation(
    N_("Delete a script, its revisions and functions"),
    tag=TAG,
    path=SCRIPT,
    responses={204: None, 404: shapes.Error},
)
def delete_script(script_id: str):
    service.delete_script(db.session, service.get_script(db.session, script_id))
    db.session.commit()
    return "", 204


@api.put("/scripts/<script_id>/draft")
@operation(
    N_("Save the draft (only over the draft it was edited from)"),
    tag=TAG,
    path=SCRIPT,
    body=DraftChange,
    responses={200: shapes.DraftSaved, 404: shapes.Error, 409: shapes.Error},
    description=N_("409 `draft_conflict` carries `current_md5` and `current_code` to merge with."),
)
def save_draft(script_id: str, body: DraftChange):
    script = service.get_script(db.session, script_id)
    service.save_draft(
        db.session,
        script,
        body.code,
        body.base_md5,
        username=current_user.username,
        now=utcnow(),
    )
    db.session.commit()
    return jsonify(draft_md5=script.draft_md5, draft_updated_at=script.draft_updated_at.isoformat())


@api.post("/scripts/<script_id>/publish")
@operation(
    N_("Publish the draft as a new version"),
    tag=TAG,
    path=SCRIPT,
    body=PublishRequest,
    responses={201: shapes.Published, 404: shapes.Error},
    description=N_(
        "A draft that does not compile, or whose top level fails, is a 400 with its "
        "`line`; nothing changes."
    ),
)
def publish(script_id: str, body: PublishRequest):
    script = service.get_script(db.session, script_id)
    runner = get_runner()
    revision, funcs = service.publish(
        db.session,
        script,
        body.note,
        username=current_user.username,
        now=utcnow(),
        extract=lambda code, sid: runs_service.extract_funcs(
            runner, code, sid, script_imports.modules_for(db.session, sid, code)
        ),
    )
    queued = integrations.sync_after_publish(
        db.session,
        script.id,
        username=current_user.username,
        now=utcnow(),
        default_timezone=current_app.config["FUNCPAD_TIMEZONE"],
    )
    db.session.commit()
    if queued:
        current_app.extensions["funcpad.host"].wake_queue()
    body = _revision_json(revision)
    body["funcs"] = [{"id": f"{script.id}.{f['name']}", **f} for f in funcs]
    return jsonify(body), 201


@api.get("/scripts/<script_id>/revisions")
@operation(
    N_("Published versions, newest first"),
    tag=TAG,
    path=SCRIPT,
    responses={200: list[shapes.Revision], 404: shapes.Error},
)
def list_revisions(script_id: str):
    return jsonify([_revision_json(r) for r in service.list_revisions(db.session, script_id)])


@api.get("/scripts/<script_id>/revisions/<version>")
@operation(
    N_("One published version with its code"),
    tag=TAG,
    path=REVISION,
    responses={200: shapes.RevisionWithCode, 404: shapes.Error},
)
def get_revision(script_id: str, version: int):
    revision = service.get_revision(db.session, script_id, version)
    return jsonify(_revision_json(revision, with_code=True))


@api.post("/scripts/<script_id>/revisions/<version>/restore")
@operation(
    N_("Make a published version the draft again"),
    tag=TAG,
    path=REVISION,
    body=RestoreRequest,
    responses={200: shapes.Restored, 404: shapes.Error, 409: shapes.Error},
)
def restore_revision(script_id: str, version: int, body: RestoreRequest):
    script = service.get_script(db.session, script_id)
    service.restore(
        db.session,
        script,
        version,
        base_md5=body.base_md5,
        username=current_user.username,
        now=utcnow(),
    )
    db.session.commit()
    return jsonify(draft_md5=script.draft_md5, draft_code=script.draft_code)


@api.get("/scripts/<script_id>/diff")
@operation(
    N_("A unified diff between two versions or the draft"),
    tag=TAG,
    path=SCRIPT,
    query=DiffQuery,
    responses={200: shapes.Diff, 404: shapes.Error},
)
def diff(script_id: str, query: DiffQuery):
    script = service.get_script(db.session, script_id)
    from_ref = service.parse_version_ref(query.from_, "from")
    to_ref = service.parse_version_ref(query.to, "to")
    return jsonify(service.diff(db.session, script, from_ref, to_ref))


@api.get("/scripts/<script_id>/outline")
@operation(
    N_("Top-level functions of the draft"),
    tag=TAG,
    path=SCRIPT,
    responses={200: shapes.Outline, 404: shapes.Error},
)
def outline(script_id: str):
    """Top-level functions of the draft (for the editor's function picker)."""
    script = service.get_script(db.session, script_id)
    try:
        funcs = service.code_outline.outline(script.draft_code)
    except SyntaxError as exc:
        return jsonify(funcs=[], syntax_error={"line": exc.lineno, "message": exc.msg})
    return jsonify(funcs=[f.to_dict() for f in funcs], syntax_error=None)


@api.post("/code/check")
@operation(
    N_("Diagnostics and functions of code that is not saved"),
    tag=TAG,
    body=CodeText,
    responses={200: shapes.CodeCheck},
)
def check_code(body: CodeText):
    """Diagnostics and top-level functions of the text in the editor (not saved)."""
    code = service.validate_code(body.code)
    return jsonify(code_check.check(code))
