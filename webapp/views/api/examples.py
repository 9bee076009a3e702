"""The example set of a fresh install (the guided first run starts here)."""

from __future__ import annotations

from flask import jsonify
from flask_babel import gettext
from flask_login import current_user

from webapp.extensions import db
from webapp.host import embedded_url
from webapp.models.types import utcnow
from webapp.services import examples as service
from webapp.services.errors import N_
from webapp.views.api import api, shapes
from webapp.views.api.operation import operation


@api.post("/examples")
@operation(
    N_("Install the example scripts (those that do not exist yet)"),
    tag="scripts",
    responses={200: shapes.ExamplesInstalled},
)
def install_examples():
    created = service.install(
        db.session,
        receiver_url=embedded_url(),
        username=current_user.username,
        now=utcnow(),
        translate=gettext,
    )
    db.session.commit()
    return jsonify(
        created=created,
        scripts=[e.script_id for e in service.EXAMPLES],
        open=service.FIRST.script_id,
    )
