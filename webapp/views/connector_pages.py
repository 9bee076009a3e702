"""The connectors page: DataKit agents scripts write to (the embedded receiver by default)."""

from __future__ import annotations

from flask import Blueprint, flash, redirect, render_template, request, url_for
from flask_babel import gettext
from flask_login import current_user

from webapp.extensions import db
from webapp.host import embedded_url
from webapp.models.types import utcnow
from webapp.runner.service import endpoints_changed
from webapp.services import connector_types
from webapp.services import connectors as service
from webapp.services.errors import ServiceError
from webapp.views.errors import flash_service_error

bp = Blueprint("connector_pages", __name__, url_prefix="/connectors")


def _config_from(form, type_: str = "datakit") -> dict:
    """The config a form posted: DataKit's address modes, or the type's fields, named
    ``<type>.<field>`` (each type's group of inputs is on the page at once)."""
    if type_ != "datakit":
        kind = connector_types.TYPES.get(type_)
        if kind is None:
            return {}
        return {
            spec.name: form.get(f"{type_}.{spec.name}", "")
            for spec in kind.fields
            if spec.kind != "bool"
        } | {
            spec.name: form.get(f"{type_}.{spec.name}") == "on"
            for spec in kind.fields
            if spec.kind == "bool"
        }
    mode = form.get("mode", "url")
    config: dict = {
        "source": form.get("source", ""),
        "timeout": form.get("timeout") or 10,
        "token": form.get("token", ""),
    }
    if mode == "embedded":
        config["embedded"] = True
    elif mode == "host":
        config.update(
            host=form.get("host", ""),
            port=form.get("port") or 9529,
            protocol=form.get("protocol", "http"),
        )
    else:
        config["url"] = form.get("url", "")
    return config


def _render(status: int = 200, form: dict | None = None, editing: str | None = None):
    url = embedded_url()
    connectors = [service.public_view(c, url) for c in service.list_connectors(db.session)]
    return render_template(
        "connectors.html",
        connectors=connectors,
        form=form or {},
        editing=editing,
        types=list(connector_types.TYPES.values()),
        embedded=url,
        active_nav="connectors",
    ), status


@bp.get("")
def index():
    return _render(editing=request.args.get("edit"))


@bp.post("")
def create():
    form = request.form
    type_ = form.get("type", "datakit")
    try:
        connector = service.create_connector(
            db.session,
            form.get("id", "").strip(),
            type_,
            form.get("title", ""),
            _config_from(form, type_),
            username=current_user.username,
            now=utcnow(),
        )
    except ServiceError as exc:
        flash_service_error(exc)
        return _render(exc.status, form=form.to_dict())
    db.session.commit()
    endpoints_changed()
    flash(gettext("Connector %(id)s was created.", id=connector.id), "success")
    return redirect(url_for("connector_pages.index"))


@bp.post("/<connector_id>")
def update(connector_id: str):
    connector = service.get_connector(db.session, connector_id)
    form = request.form
    try:
        service.update_connector(
            db.session,
            connector,
            form.get("title", ""),
            _config_from(form, connector.type),
            username=current_user.username,
            now=utcnow(),
        )
    except ServiceError as exc:
        flash_service_error(exc)
        return _render(exc.status, form=form.to_dict(), editing=connector_id)
    db.session.commit()
    endpoints_changed()
    flash(gettext("Connector %(id)s was saved.", id=connector_id), "success")
    return redirect(url_for("connector_pages.index"))


@bp.post("/<connector_id>/delete")
def delete(connector_id: str):
    db.session.delete(service.get_connector(db.session, connector_id))
    db.session.commit()
    endpoints_changed()
    flash(gettext("Connector %(id)s was deleted.", id=connector_id), "success")
    return redirect(url_for("connector_pages.index"))
