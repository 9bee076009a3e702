"""Connectors (``DFF.SRC`` targets) and their connection test."""

from flask import current_app, jsonify
from flask_login import current_user
from pydantic import Field

from webapp.extensions import db
from webapp.models.types import utcnow
from webapp.runner.service import endpoints_changed
from webapp.services import connectors as service
from webapp.services.errors import N_
from webapp.views.api import api, fields, shapes
from webapp.views.api.operation import Body, operation
from webapp.views.errors import translated

TAG = "connectors"
CONNECTOR = {"connector_id": fields.ConnectorId}


class ConnectorChange(Body):
    title: fields.Title | None = None
    config: fields.JsonObject | None = Field(
        None,
        description=N_(
            "url, or host + port + protocol (or embedded: true); source, timeout, "
            "token (***** keeps the stored token)."
        ),
    )


class NewConnector(ConnectorChange):
    id: fields.ConnectorId
    type: fields.ConnectorType = "datakit"
    config: fields.JsonObject


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
@operation(N_("Connectors"), tag=TAG, responses={200: list[shapes.Connector]})
def list_connectors():
    url = embedded_url()
    return jsonify([service.public_view(c, url) for c in service.list_connectors(db.session)])


@api.post("/connectors")
@operation(
    N_("Create a connector"),
    tag=TAG,
    body=NewConnector,
    responses={201: shapes.Connector, 409: shapes.Error},
)
def create_connector(body: NewConnector):
    connector = service.create_connector(
        db.session,
        body.id,
        body.type,
        body.title,
        body.config,
        username=current_user.username,
        now=utcnow(),
    )
    db.session.commit()
    endpoints_changed()
    return jsonify(service.public_view(connector, embedded_url())), 201


@api.get("/connectors/<connector_id>")
@operation(
    N_("One connector"),
    tag=TAG,
    path=CONNECTOR,
    responses={200: shapes.Connector, 404: shapes.Error},
)
def get_connector(connector_id: str):
    connector = service.get_connector(db.session, connector_id)
    return jsonify(service.public_view(connector, embedded_url()))


@api.put("/connectors/<connector_id>")
@operation(
    N_("Change a connector's title or config"),
    tag=TAG,
    path=CONNECTOR,
    body=ConnectorChange,
    responses={200: shapes.Connector, 404: shapes.Error},
)
def update_connector(connector_id: str, body: ConnectorChange):
    connector = service.get_connector(db.session, connector_id)
    service.update_connector(
        db.session,
        connector,
        body.title,
        body.config,
        username=current_user.username,
        now=utcnow(),
    )
    db.session.commit()
    endpoints_changed()
    return jsonify(service.public_view(connector, embedded_url()))


@api.delete("/connectors/<connector_id>")
@operation(
    N_("Delete a connector"),
    tag=TAG,
    path=CONNECTOR,
    responses={204: None, 404: shapes.Error},
)
def delete_connector(connector_id: str):
    db.session.delete(service.get_connector(db.session, connector_id))
    db.session.commit()
    endpoints_changed()
    return "", 204


@api.post("/connectors/<connector_id>/test")
@operation(
    N_("Test a connector: DataKit's /v1/ping"),
    tag=TAG,
    path=CONNECTOR,
    responses={200: shapes.ConnectionTest, 404: shapes.Error},
)
def test_connector(connector_id: str):
    connector = service.get_connector(db.session, connector_id)
    url = service.resolved_url(connector.config, embedded_url())
    result = service.test_connection(
        url, float(connector.config.get("timeout", 10)), connector.config.get("token")
    )
    return jsonify({**result, "detail": translated(result["detail"])})
