"""The readable API page: the OpenAPI document of /api/v1, shown for people."""

from __future__ import annotations

import json

from flask import Blueprint, render_template, url_for
from flask_babel import gettext, lazy_gettext

from webapp.views import api_reference
from webapp.views.api import openapi

bp = Blueprint("api_docs", __name__)

TAG_TITLES = {
    "scripts": lazy_gettext("Scripts"),
    "runs": lazy_gettext("Runs"),
    "funcs": lazy_gettext("Published functions"),
    "task-records": lazy_gettext("Task records"),
    "cron jobs": lazy_gettext("Cron jobs"),
    "sync and async APIs": lazy_gettext("Sync and Async APIs"),
    "connectors": lazy_gettext("Connectors"),
    "env vars": lazy_gettext("Env variables"),
    "packages": lazy_gettext("Packages"),
    "metrics and logs": lazy_gettext("Metrics and logs"),
    "meta": lazy_gettext("This document"),
}


def _translated(text: str) -> str:
    return gettext(text) if text else text


@bp.get("/api-docs")
def index():
    document = openapi.document()
    order = list(TAG_TITLES)
    sections = sorted(
        api_reference.sections(document),
        key=lambda s: order.index(s.tag) if s.tag in order else len(order),
    )
    # Summaries and descriptions are English msgids (marked N_() where they are declared).
    for section in sections:
        for row in section.operations:
            row.summary = gettext(row.summary)
            row.description = _translated(row.description)
            for field in row.fields:
                field.description = _translated(field.description)
            for answer in row.responses:
                answer.description = _translated(answer.description)
    schemas = api_reference.schema_rows(document)
    for _name, rows in schemas:
        for field in rows:
            field.description = _translated(field.description)
    return render_template(
        "api_docs.html",
        sections=sections,
        schemas=schemas,
        tag_titles=TAG_TITLES,
        document_url=url_for("api.openapi_json"),
        version=document["info"]["version"],
        to_json=lambda value: json.dumps(value, ensure_ascii=False),
        active_nav="settings",
    )
