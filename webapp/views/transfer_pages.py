"""Export and import of script sets in DataFlux Func's format: the page, the download, the
upload with its preview, the confirmation (after a restore point) and the restore points."""

from __future__ import annotations

from pathlib import Path

from flask import (
    Blueprint,
    Response,
    abort,
    current_app,
    flash,
    redirect,
    render_template,
    request,
    send_file,
    url_for,
)
from flask_babel import gettext, lazy_gettext
from flask_login import current_user

from webapp.extensions import db
from webapp.models import Script
from webapp.models.types import utcnow
from webapp.runner.service import get_runner
from webapp.services import connectors as connectors_service
from webapp.services import env_vars as env_service
from webapp.services import import_staging, integrations, script_imports
from webapp.services import runs as runs_service
from webapp.services import script_set_transfer as transfer
from webapp.services import script_sets as sets_service
from webapp.services import scripts as scripts_service
from webapp.services.errors import ServiceError
from webapp.views.errors import flash_service_error

bp = Blueprint("transfer", __name__, url_prefix="/script-sets")

KIND_LABELS = {
    "scriptSets": lazy_gettext("Script set"),
    "connectors": lazy_gettext("Connector"),
    "envVariables": lazy_gettext("Env variable"),
    "syncAPIs": lazy_gettext("Sync API"),
    "asyncAPIs": lazy_gettext("Async API"),
    "cronJobs": lazy_gettext("Cron job"),
}


def data_dir() -> Path:
    return Path(current_app.config["FUNCPAD_DATA_DIR"])


def export_request(form) -> transfer.ExportRequest:
    return transfer.ExportRequest(
        script_set_ids=form.getlist("script_set_ids"),
        connector_ids=form.getlist("connector_ids"),
        env_variable_ids=form.getlist("env_variable_ids"),
        include_sync_apis=bool(form.get("include_sync_apis")),
        include_async_apis=bool(form.get("include_async_apis")),
        include_cron_jobs=bool(form.get("include_cron_jobs")),
        note=(form.get("note") or "")[:5000],
    )


def publisher(username: str | None):
    """Publish an imported script's draft as the editor's Publish does (in the sandbox)."""
    runner = get_runner()

    def publish(script: Script) -> None:
        scripts_service.publish(
            db.session,
            script,
            "imported",
            username=username,
            now=utcnow(),
            extract=lambda code, sid: runs_service.extract_funcs(
                runner, code, sid, script_imports.modules_for(db.session, sid, code)
            ),
        )
        integrations.sync_after_publish(
            db.session,
            script.id,
            username=username,
            now=utcnow(),
            default_timezone=current_app.config["FUNCPAD_TIMEZONE"],
        )

    return publish


def confirm_import(confirm_id: object) -> tuple[transfer.ImportResult, str | None]:
    """Apply a staged import after saving a restore point; (result, restore point name)."""
    now = utcnow()
    bundle = import_staging.take(data_dir(), confirm_id, now)
    keep = transfer.restore_request(bundle, db.session)
    restore_point = None
    if keep.script_set_ids or keep.connector_ids or keep.env_variable_ids:
        _name, content = transfer.export_zip(
            db.session, keep, username=current_user.username, now=now, allow_empty=True
        )
        restore_point = import_staging.save_restore_point(data_dir(), content, now)
    result = transfer.apply(
        db.session,
        bundle,
        publish=publisher(current_user.username),
        username=current_user.username,
        now=now,
        default_timezone=current_app.config["FUNCPAD_TIMEZONE"],
    )
    db.session.commit()
    return result, restore_point


@bp.get("/transfer")
def index():
    return render_template(
        "transfer.html",
        sets=sets_service.list_sets(db.session),
        connectors=connectors_service.list_connectors(db.session),
        env_vars=env_service.list_vars(db.session),
        restore_points=import_staging.restore_points(data_dir()),
        active_nav="scripts",
    )


@bp.post("/export")
def export():
    try:
        name, content = transfer.export_zip(
            db.session, export_request(request.form), username=current_user.username, now=utcnow()
        )
    except ServiceError as exc:
        flash_service_error(exc)
        return redirect(url_for("transfer.index"))
    return Response(
        content,
        mimetype="application/zip",
        headers={"Content-Disposition": f'attachment; filename="{name}"'},
    )


@bp.post("/import")
def preview():
    upload = request.files.get("file")
    if upload is None or not upload.filename:
        flash(gettext("Choose a zip file to import."), "error")
        return redirect(url_for("transfer.index"))
    try:
        bundle = transfer.read_zip(upload.read(transfer.MAX_ZIP_BYTES + 1))
    except ServiceError as exc:
        flash_service_error(exc)
        return redirect(url_for("transfer.index"))
    confirm_id = import_staging.stage(data_dir(), bundle, utcnow())
    return render_template(
        "transfer_preview.html",
        confirm_id=confirm_id,
        diff=transfer.diff(db.session, bundle),
        requirements=transfer.requirements(bundle),
        note=bundle.note,
        file_name=upload.filename,
        kind_labels=KIND_LABELS,
        active_nav="scripts",
    )


@bp.post("/import/confirm")
def confirm():
    try:
        result, restore_point = confirm_import(request.form.get("confirm_id"))
    except ServiceError as exc:
        flash_service_error(exc)
        return redirect(url_for("transfer.index"))
    flash(
        gettext(
            "Imported: %(added)s added, %(replaced)s replaced.",
            added=result.added,
            replaced=result.replaced,
        ),
        "success",
    )
    if restore_point:
        flash(gettext("A restore point was saved first: %(name)s.", name=restore_point), "info")
    if result.failed_scripts:
        flash(
            gettext(
                "These scripts could not be published (open them to see why): %(ids)s",
                ids=", ".join(result.failed_scripts),
            ),
            "error",
        )
    for line in result.skipped:
        flash(gettext("Not imported: %(what)s", what=line), "error")
    return redirect(url_for("transfer.index"))


@bp.get("/restore-points/<name>")
def restore_point(name: str):
    path = import_staging.restore_point_path(data_dir(), name)
    if path is None:
        abort(404)
    return send_file(path, mimetype="application/zip", as_attachment=True, download_name=name)
