"""The editor pages (the script list lives in the editor's sidebar)."""

import functools

from flask import Blueprint, redirect, render_template, url_for
from flask_babel import get_locale, gettext

from webapp.services.scripts import SCRIPT_ID_RE
from webapp.views import script_reference
from webapp.views.js_messages import editor_phrases, js_messages

bp = Blueprint("pages", __name__)


def _completions() -> dict:
    """DFF.* and DataKit completions from the SDK's reference, explained in the user's words."""
    return _completions_in(str(get_locale()))


@functools.lru_cache(maxsize=8)
def _completions_in(locale: str) -> dict:
    """The completions translated once per locale (``locale`` is the request's: gettext reads
    it from the request, the argument keys the cache)."""
    return {
        group: [{**item, "info": gettext(item["info"]) if item["info"] else ""} for item in items]
        for group, items in script_reference.completions().items()
    }


@bp.get("/")
def index():
    return redirect(url_for("pages.editor"))


@bp.get("/scripts")
@bp.get("/scripts/<script_id>")
def editor(script_id: str | None = None):
    if script_id is not None and not SCRIPT_ID_RE.match(script_id):
        return redirect(url_for("pages.editor"))
    return render_template(
        "editor.html",
        script_id=script_id,
        messages=js_messages(),
        editor_phrases=editor_phrases(),
        completions=_completions(),
        active_nav="scripts",
    )
