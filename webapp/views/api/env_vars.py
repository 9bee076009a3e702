"""Environment variables for ``DFF.ENV``; password values never leave the server."""

from flask import jsonify
from flask_login import current_user

from webapp.extensions import db
from webapp.models.types import utcnow
from webapp.services import env_vars as service
from webapp.views.api import api
from webapp.views.api.payload import json_object, optional


@api.get("/env-vars")
def list_env_vars():
    return jsonify([service.public_view(v) for v in service.list_vars(db.session)])


@api.post("/env-vars")
def create_env_var():
    data = json_object()
    var = service.create_var(
        db.session,
        data.get("name"),
        data.get("type", "string"),
        data.get("value"),
        optional(data, "description"),
        username=current_user.username,
        now=utcnow(),
    )
    db.session.commit()
    return jsonify(service.public_view(var)), 201


@api.get("/env-vars/<name>")
def get_env_var(name: str):
    return jsonify(service.public_view(service.get_var(db.session, name)))


@api.put("/env-vars/<name>")
def update_env_var(name: str):
    var = service.get_var(db.session, name)
    data = json_object()
    service.update_var(
        db.session,
        var,
        data.get("type"),
        data.get("value"),
        optional(data, "description"),
        username=current_user.username,
        now=utcnow(),
    )
    db.session.commit()
    return jsonify(service.public_view(var))


@api.delete("/env-vars/<name>")
def delete_env_var(name: str):
    db.session.delete(service.get_var(db.session, name))
    db.session.commit()
    return "", 204
