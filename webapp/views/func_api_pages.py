"""Sync API and Async API pages: the list (address, curl example, records) and the form."""

from __future__ import annotations

import json
import shlex

from flask import Blueprint, abort, render_template, request
from flask_babel import lazy_gettext

from webapp.extensions import db
from webapp.models.types import utcnow
from webapp.services import func_apis as service
from webapp.services import funcs as funcs_service

bp = Blueprint("func_api_pages", __name__, url_prefix="/apis")

AUTH_LABELS = {
    "none": lazy_gettext("None (anyone with the address)"),
    "fixedField": lazy_gettext("A fixed header, query or body field"),
    "httpBasic": lazy_gettext("HTTP Basic"),
    "httpDigest": lazy_gettext("HTTP Digest"),
    "func": lazy_gettext("An auth function"),
}
THROTTLING_LABELS = {
    "bySecond": lazy_gettext("per second"),
    "byMinute": lazy_gettext("per minute"),
    "byHour": lazy_gettext("per hour"),
    "byDay": lazy_gettext("per day"),
    "byMonth": lazy_gettext("per month"),
    "byYear": lazy_gettext("per year"),
}


def _kind(kind: str) -> str:
    if kind not in ("sync", "async"):
        abort(404)
    return kind


def base_url() -> str:
    return request.host_url.rstrip("/")


def curl_example(api: dict, url: str) -> str:
    """A curl command a caller can paste: the auth the API asks for (secrets as <…>) and the
    arguments the caller may give (the fixed ones cannot be sent)."""
    auth = api["auth"]
    field = (auth.get("fields") or [{}])[0]
    if auth["type"] == "fixedField" and field.get("location") == "query":
        url += f"?{field['name']}=<value>"
    lines = [f"curl -X POST {shlex.quote(url)}", "-H 'Content-Type: application/json'"]
    if auth["type"] in ("httpBasic", "httpDigest"):
        user = shlex.quote(f"{auth['users'][0]['username']}:<password>")
        lines.append(("--digest -u " if auth["type"] == "httpDigest" else "-u ") + user)
    if auth["type"] == "fixedField" and field.get("location") == "header":
        lines.append("-H " + shlex.quote(f"{field['name']}: <value>"))
    example = {k: "…" for k, v in api["kwargs"].items() if v in service.PLACEHOLDERS}
    body: dict = {"kwargs": example}
    if auth["type"] == "fixedField" and field.get("location") == "body":
        body[field["name"]] = "<value>"
    lines.append("-d " + shlex.quote(json.dumps(body, ensure_ascii=False)))
    return " \\\n  ".join(lines)


@bp.get("/<kind>")
def index(kind: str):
    kind = _kind(kind)
    apis = [service.public_view(a) for a in service.list_apis(db.session, kind)]
    for item in apis:
        item["url"] = f"{base_url()}/api/v1/{kind}/{item['id']}"
        item["curl"] = curl_example(item, item["url"])
    titles = {f.id: f.title for f in funcs_service.list_funcs(db.session, include_hidden=True)}
    return render_template(
        "func_apis.html",
        kind=kind,
        apis=apis,
        titles=titles,
        base_url=base_url(),
        auth_labels=AUTH_LABELS,
        throttling_labels=THROTTLING_LABELS,
        now_iso=utcnow().isoformat(),
        active_nav="apis",
    )


def _form(kind: str, api: dict | None):
    funcs = [funcs_service.to_json(f) for f in funcs_service.list_funcs(db.session)]
    return render_template(
        "func_api_form.html",
        kind=kind,
        api=api,
        funcs=funcs,
        auth_labels=AUTH_LABELS,
        throttling_labels=THROTTLING_LABELS,
        active_nav="apis",
    )


@bp.get("/<kind>/new")
def new(kind: str):
    return _form(_kind(kind), None)


@bp.get("/<kind>/<api_id>/edit")
def edit(kind: str, api_id: str):
    kind = _kind(kind)
    return _form(kind, service.public_view(service.get_api(db.session, kind, api_id)))
