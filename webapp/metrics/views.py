"""``/metrics`` (Prometheus, token-protected) and the System page (``/admin/system``).

``/metrics`` is the path scrapers expect, so the Metrics explorer lives at ``/explore/metrics``;
a browser that follows an old link to ``/metrics`` (no token, asking for HTML) is redirected
there with its query. A scraper sends ``Authorization: Bearer <token>``: ``FUNCPAD_METRICS_TOKEN``
or the API token of an admin.
"""

from __future__ import annotations

import hmac

from flask import Blueprint, Flask, Response, abort, current_app, redirect, render_template, request
from flask_babel import gettext as _
from flask_login import current_user

from webapp.auth import public
from webapp.metrics.collect import collect, overview
from webapp.metrics.exposition import CONTENT_TYPE, render

bp = Blueprint("platform_metrics", __name__)


def _bearer() -> str | None:
    scheme, _sep, token = request.headers.get("Authorization", "").partition(" ")
    return token.strip() if scheme.lower() == "bearer" and token.strip() else None


def _scraper_allowed(token: str) -> bool:
    expected = current_app.config.get("FUNCPAD_METRICS_TOKEN")
    if expected and hmac.compare_digest(token.encode(), expected.encode()):
        return True
    return bool(current_user.is_authenticated and current_user.is_admin)


@bp.get("/metrics")
@public
def prometheus():
    token = _bearer()
    if token is None:
        accept = request.accept_mimetypes
        if accept.best_match(["text/html", "text/plain"]) == "text/html" and accept["text/html"]:
            query = request.query_string.decode()
            return redirect("/explore/metrics" + (f"?{query}" if query else ""), 301)
        return _refused(_("Send a token as 'Authorization: Bearer <token>' to read /metrics."))
    if not _scraper_allowed(token):
        return _refused(_("The token is not the metrics token nor an admin's API token."))
    body = render(collect(current_app._get_current_object()))
    return Response(body, content_type=CONTENT_TYPE, headers={"Cache-Control": "no-store"})


def _refused(message: str) -> Response:
    return Response(
        message + "\n",
        401,
        content_type="text/plain; charset=utf-8",
        headers={"WWW-Authenticate": 'Bearer realm="funcpad metrics"'},
    )


@bp.get("/admin/system")
def system():
    if not current_user.is_authenticated or not current_user.is_admin:
        abort(403)
    app = current_app._get_current_object()
    figures = overview(collect(app))
    return render_template(
        "system.html",
        figures=figures,
        executor=app.config["FUNCPAD_EXECUTOR"],
        self_metrics_seconds=app.config["FUNCPAD_SELF_METRICS_SECONDS"],
        messages=system_messages(app.config["FUNCPAD_SELF_METRICS_SECONDS"]),
        active_nav="system",
    )


def system_messages(seconds: int) -> dict[str, str]:
    return {
        "runsPerMinute": _("Runs per minute"),
        "queueDepth": _("Runs waiting"),
        "busySlots": _("Busy sandbox slots"),
        "schedulerLag": _("Scheduler lag (s)"),
        "noHistory": _("No history yet: the figures are sent every %(n)s s.", n=seconds)
        if seconds
        else _("No history: the platform does not send its figures."),
        "time": _("Time"),
    }


def init_app(app: Flask) -> None:
    app.register_blueprint(bp)
