"""Environment variables for ``DFF.ENV``; password values never leave the server."""

from flask import jsonify
from flask_login import current_user

from webapp.extensions import db
from webapp.models.types import utcnow
from webapp.services import env_vars as service
from webapp.services.errors import N_
from webapp.views.api import api, fields, shapes
from webapp.views.api.operation import Body, operation

TAG = "env vars"
VAR = {"name": fields.EnvVarName}


class EnvVarChange(Body):
    type: fields.EnvVarType | None = None
    value: fields.EnvValue = None
    description: fields.EnvDescription | None = None


class NewEnvVar(EnvVarChange):
    name: fields.EnvVarName
    type: fields.EnvVarType = "string"


@api.get("/env-vars")
@operation(N_("Environment variables"), tag=TAG, responses={200: list[shapes.EnvVar]})
def list_env_vars():
    return jsonify([service.public_view(v) for v in service.list_vars(db.session)])


@api.post("/env-vars")
@operation(
    N_("Create an environment variable"),
    tag=TAG,
    body=NewEnvVar,
    responses={201: shapes.EnvVar, 409: shapes.Error},
)
def create_env_var(body: NewEnvVar):
    var = service.create_var(
        db.session,
        body.name,
        body.type,
        body.value,
        body.description,
        username=current_user.username,
        now=utcnow(),
    )
    db.session.commit()
    return jsonify(service.public_view(var)), 201


@api.get("/env-vars/<name>")
@operation(
    N_("One environment variable"),
    tag=TAG,
    path=VAR,
    responses={200: shapes.EnvVar, 404: shapes.Error},
)
def get_env_var(name: str):
    return jsonify(service.public_view(service.get_var(db.session, name)))


@api.put("/env-vars/<name>")
@operation(
    N_("Change an environment variable"),
    tag=TAG,
    path=VAR,
    body=EnvVarChange,
    responses={200: shapes.EnvVar, 404: shapes.Error},
)
def update_env_var(name: str, body: EnvVarChange):
    var = service.get_var(db.session, name)
    service.update_var(
        db.session,
        var,
        body.type,
        body.value,
        body.description,
        username=current_user.username,
        now=utcnow(),
    )
    db.session.commit()
    return jsonify(service.public_view(var))


@api.delete("/env-vars/<name>")
@operation(
    N_("Delete an environment variable"),
    tag=TAG,
    path=VAR,
    responses={204: None, 404: shapes.Error},
)
def delete_env_var(name: str):
    db.session.delete(service.get_var(db.session, name))
    db.session.commit()
    return "", 204
