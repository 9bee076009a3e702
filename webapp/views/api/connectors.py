"""Connectors (``DFF.SRC`` targets) and their connection test."""

import time

from flask import jsonify
from flask_login import current_user
from pydantic import Field

from webapp.extensions import db
from webapp.host import embedded_url
from webapp.messages import Msg
from webapp.models.types import utcnow
from webapp.runner.service import endpoints_changed, get_runner
from webapp.services import connector_types
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
            "The type's fields (GET /connector-types): for datakit url, or host + port + "
            "protocol (or embedded: true), source, timeout, token; for mysql host, port, user, "
            "password, database... A secret sent as ***** keeps the stored one."
        ),
    )


class NewConnector(ConnectorChange):
    id: fields.ConnectorId
    type: fields.ConnectorType = "datakit"
    config: fields.JsonObject


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


@api.get("/connector-types")
@operation(
    N_("Connector types: their fields, and which this version offers"),
    tag=TAG,
    responses={200: list[shapes.ConnectorTypeInfo]},
)
def list_connector_types():
    return jsonify([type_info(kind) for kind in connector_types.TYPES.values()])


def type_info(kind: connector_types.ConnectorType) -> dict:
    return {
        "type": kind.name,
        "title": kind.title,
        "library": kind.library,
        "available": kind.available,
        "why_not": translated(Msg(kind.why_not)) if kind.why_not else None,
        "fields": [
            {
                "name": f.name,
                "kind": f.kind,
                "default": f.default,
                "required": f.required,
                "aliases": list(f.aliases),
            }
            for f in kind.fields
        ],
    }


@api.post("/connectors/<connector_id>/test")
@operation(
    N_("Test a connector: DataKit's /v1/ping, or the helper's check() in the sandbox"),
    tag=TAG,
    path=CONNECTOR,
    responses={200: shapes.ConnectionTest, 404: shapes.Error},
)
def test_connector(connector_id: str):
    connector = service.get_connector(db.session, connector_id)
    if connector.type == "datakit":
        url = service.resolved_url(connector.config, embedded_url())
        result = service.test_connection(
            url,
            float(connector.config.get("timeout", 10)),
            service.secrets_of(connector).get("token"),
        )
    else:
        # In the sandbox, as a script opens it: the same network policy and packages.
        job = service.check_job(connector, embedded_url())
        started = time.perf_counter()
        outcome = get_runner().run(job)
        latency = round((time.perf_counter() - started) * 1000, 1)
        result = service.check_outcome(outcome, latency)
    return jsonify({**result, "detail": translated(result["detail"])})
