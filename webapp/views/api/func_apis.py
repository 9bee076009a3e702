"""Sync and Async APIs as entities: list, create, read, change, delete (the calls themselves
are DataFlux Func's endpoints in ``views.dff_api``)."""

from __future__ import annotations

from typing import Annotated, Any, Literal

from flask import jsonify
from flask_login import current_user
from pydantic import Field

from webapp.extensions import db
from webapp.models.types import utcnow
from webapp.services import func_apis as service
from webapp.services.errors import N_
from webapp.views.api import api, fields, shapes
from webapp.views.api.operation import Body, operation

TAG = "sync and async APIs"
KIND = {"kind": Annotated[Literal["sync", "async"], Field(description=N_("sync or async."))]}
ONE = {**KIND, "api_id": fields.ApiId}


class ApiChange(Body):
    """The fields of a Sync or Async API; on PATCH only those given change."""

    func_id: fields.FuncId | None = None
    kwargs: fields.Kwargs | None = None
    auth: fields.ApiAuth | None = None
    throttling: fields.Throttling | None = None
    expires_at: fields.Moment | None = None
    disabled: fields.Flag | None = None
    show_in_docs: fields.Flag | None = None
    note: fields.ApiNote | None = None
    tags: fields.Tags | None = None


class NewApi(ApiChange):
    id: fields.ApiId | None = Field(
        None, description=N_("Default: sync-<random> or async-<random>.")
    )
    func_id: fields.FuncId


def _given(body: Body) -> dict[str, Any]:
    return {name: getattr(body, name) for name in body.model_fields_set}


@api.get("/<kind>-apis")
@operation(
    N_("Sync or Async APIs"),
    tag=TAG,
    path=KIND,
    responses={200: list[shapes.FuncApi], 404: shapes.Error},
)
def list_func_apis(kind: str):
    return jsonify([service.public_view(a) for a in service.list_apis(db.session, kind)])


@api.post("/<kind>-apis")
@operation(
    N_("Create a Sync or Async API for a published function"),
    tag=TAG,
    path=KIND,
    body=NewApi,
    responses={201: shapes.FuncApi, 400: shapes.Error, 404: shapes.Error, 409: shapes.Error},
)
def create_func_api(kind: str, body: NewApi):
    created = service.save_api(
        db.session, kind, _given(body), api=None, username=current_user.username, now=utcnow()
    )
    db.session.commit()
    return jsonify(service.public_view(created)), 201


@api.get("/<kind>-apis/<api_id>")
@operation(
    N_("One Sync or Async API"),
    tag=TAG,
    path=ONE,
    responses={200: shapes.FuncApi, 404: shapes.Error},
)
def get_func_api(kind: str, api_id: str):
    return jsonify(service.public_view(service.get_api(db.session, kind, api_id)))


@api.patch("/<kind>-apis/<api_id>")
@operation(
    N_("Change a Sync or Async API (only the fields given)"),
    tag=TAG,
    path=ONE,
    body=ApiChange,
    responses={200: shapes.FuncApi, 400: shapes.Error, 404: shapes.Error},
)
def update_func_api(kind: str, api_id: str, body: ApiChange):
    existing = service.get_api(db.session, kind, api_id)
    service.save_api(
        db.session, kind, _given(body), api=existing, username=current_user.username, now=utcnow()
    )
    db.session.commit()
    return jsonify(service.public_view(existing))


@api.delete("/<kind>-apis/<api_id>")
@operation(
    N_("Delete a Sync or Async API (its task records stay)"),
    tag=TAG,
    path=ONE,
    responses={204: None, 404: shapes.Error},
)
def delete_func_api(kind: str, api_id: str):
    db.session.delete(service.get_api(db.session, kind, api_id))
    db.session.commit()
    return "", 204
