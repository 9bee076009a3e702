"""Connectors (``DFF.SRC`` targets) and their connection test."""

from flask import current_app, jsonify
from flask_login import current_user

from webapp.extensions import db
from webapp.models.types import utcnow
from webapp.runner.service import endpoints_changed
from webapp.services import connectors as service
from webapp.views.api import api
from webapp.views.api.payload import json_object, optional


def embedded_url() -> str:
    """Where the embedded receiver answers: its own DataKit-only listener (the app's port
    only when that listener is off — scripts cannot reach the app's port)."""
    bind = current_app.config["FUNCPAD_RECEIVER_BIND"] or current_app.config["FUNCPAD_BIND"]
    host, _, port = bind.rpartition(":")
    if host in ("0.0.0.0", "::", "[::]", ""):
        host = "127.0.0.1"
    return f"http://{host}:{port}"


def load_for_job(session, ids):
    return service.for_sandbox(session, ids, embedded_url())


def sandbox_endpoints() -> list[tuple[str, int]]:
    return service.endpoints(db.session, embedded_url())


@api.get("/connectors")
def list_connectors():
    url = embedded_url()
    return jsonify([service.public_view(c, url) for c in service.list_connectors(db.session)])


@api.post("/connectors")
def create_connector():
    data = json_object()
    connector = service.create_connector(
        db.session,
        data.get("id"),
        data.get("type", "datakit"),
        data.get("title"),
        data.get("config"),
        username=current_user.username,
        now=utcnow(),
    )
    db.session.commit()
    endpoints_changed()
    return jsonify(service.public_view(connector, embedded_url())), 201


@api.get("/connectors/<connector_id>")
def get_connector(connector_id: str):
    connector = service.get_connector(db.session, connector_id)
    return jsonify(service.public_view(connector, embedded_url()))


@api.put("/connectors/<connector_id>")
def update_connector(connector_id: str):
    connector = service.get_connector(db.session, connector_id)
    data = json_object()
    service.update_connector(
        db.session,
        connector,
        optional(data, "title"),
        data.get("config"),
        username=current_user.username,
        now=utcnow(),
    )
    db.session.commit()
    endpoints_changed()
    return jsonify(service.public_view(connector, embedded_url()))


@api.delete("/connectors/<connector_id>")
def delete_connector(connector_id: str):
    db.session.delete(service.get_connector(db.session, connector_id))
    db.session.commit()
    endpoints_changed()
    return "", 204


@api.post("/connectors/<connector_id>/test")
def test_connector(connector_id: str):
    connector = service.get_connector(db.session, connector_id)
    url = service.resolved_url(connector.config, embedded_url())
    result = service.test_connection(
        url, float(connector.config.get("timeout", 10)), connector.config.get("token")
    )
    return jsonify(result)
