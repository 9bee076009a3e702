"""Script sets (DataFlux Func's folders of scripts)."""

from __future__ import annotations

from flask import jsonify
from flask_login import current_user

from webapp.extensions import db
from webapp.models.types import utcnow
from webapp.services import script_sets as service
from webapp.services.errors import N_
from webapp.views.api import api, fields, shapes
from webapp.views.api.operation import Body, operation

TAG = "scripts"
SET = {"set_id": fields.ScriptSetId}


class ScriptSetChange(Body):
    title: fields.Title | None = None
    description: fields.Description | None = None
    requirements: (
        fields.text(
            20_000,
            N_("Packages the set needs, one per line (DataFlux Func's requirements text)."),
        )
        | None
    ) = None


class NewScriptSet(ScriptSetChange):
    id: fields.ScriptSetId


def _set_json(script_set, count: int | None = None) -> dict:
    return {
        "id": script_set.id,
        "title": script_set.title,
        "description": script_set.description,
        "requirements": script_set.requirements or "",
        "scripts": count,
        "updated_at": script_set.updated_at.isoformat(),
    }


@api.get("/script-sets")
@operation(
    N_("Script sets with their number of scripts"), tag=TAG, responses={200: list[shapes.ScriptSet]}
)
def list_script_sets():
    return jsonify([_set_json(s, n) for s, n in service.list_sets(db.session)])


@api.post("/script-sets")
@operation(
    N_("Create a script set"),
    tag=TAG,
    body=NewScriptSet,
    responses={201: shapes.ScriptSet, 409: shapes.Error},
)
def create_script_set(body: NewScriptSet):
    created = service.create_set(
        db.session,
        body.id,
        body.title,
        body.description or "",
        username=current_user.username,
        now=utcnow(),
    )
    db.session.commit()
    return jsonify(_set_json(created, 0)), 201


@api.patch("/script-sets/<set_id>")
@operation(
    N_("Change a script set's title, description or requirements"),
    tag=TAG,
    path=SET,
    body=ScriptSetChange,
    responses={200: shapes.ScriptSet, 404: shapes.Error},
)
def update_script_set(set_id: str, body: ScriptSetChange):
    script_set = service.get_set(db.session, set_id)
    service.update_set(
        db.session,
        script_set,
        title=body.title,
        description=body.description,
        requirements=body.requirements,
        now=utcnow(),
    )
    db.session.commit()
    return jsonify(_set_json(script_set))


@api.delete("/script-sets/<set_id>")
@operation(
    N_("Delete a script set with its scripts (their task records stay)"),
    tag=TAG,
    path=SET,
    responses={204: None, 404: shapes.Error},
)
def delete_script_set(set_id: str):
    service.delete_set(db.session, service.get_set(db.session, set_id))
    db.session.commit()
    return "", 204
