"""The environment variables page (server-rendered forms; the API does the same over JSON)."""

from __future__ import annotations

from flask import Blueprint, flash, redirect, render_template, request, url_for
from flask_babel import gettext
from flask_login import current_user

from webapp.extensions import db
from webapp.models.types import utcnow
from webapp.services import env_vars as service
from webapp.services.errors import ServiceError
from webapp.views.errors import flash_service_error

bp = Blueprint("env_pages", __name__, url_prefix="/env-vars")


def _render(status: int = 200, form: dict | None = None, editing: str | None = None):
    variables = [service.public_view(v) for v in service.list_vars(db.session)]
    return render_template(
        "env_vars.html",
        variables=variables,
        types=service.TYPES,
        form=form or {},
        editing=editing,
        active_nav="env_vars",
    ), status


@bp.get("")
def index():
    return _render(editing=request.args.get("edit"))


@bp.post("")
def create():
    form = request.form
    try:
        var = service.create_var(
            db.session,
            form.get("name", "").strip(),
            form.get("type"),
            form.get("value", ""),
            form.get("description", ""),
            username=current_user.username,
            now=utcnow(),
        )
    except ServiceError as exc:
        flash_service_error(exc)
        return _render(exc.status, form=form.to_dict())
    db.session.commit()
    flash(gettext("Variable %(name)s was created.", name=var.name), "success")
    return redirect(url_for("env_pages.index"))


@bp.post("/<name>")
def update(name: str):
    var = service.get_var(db.session, name)
    form = request.form
    value = form.get("value")
    if var.type == "password" and form.get("type") == "password" and not value:
        value = None  # an empty password box means "keep the current password"
    try:
        service.update_var(
            db.session,
            var,
            form.get("type"),
            value,
            form.get("description", ""),
            username=current_user.username,
            now=utcnow(),
        )
    except ServiceError as exc:
        flash_service_error(exc)
        return _render(exc.status, form=form.to_dict(), editing=name)
    db.session.commit()
    flash(gettext("Variable %(name)s was saved.", name=name), "success")
    return redirect(url_for("env_pages.index"))


@bp.post("/<name>/delete")
def delete(name: str):
    db.session.delete(service.get_var(db.session, name))
    db.session.commit()
    flash(gettext("Variable %(name)s was deleted.", name=name), "success")
    return redirect(url_for("env_pages.index"))
