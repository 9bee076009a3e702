"""Login and logout pages."""

from __future__ import annotations

from urllib.parse import urlsplit

from flask import Blueprint, current_app, redirect, render_template, request, url_for
from flask_babel import gettext
from flask_login import current_user, login_user, logout_user

from webapp.auth import initial_password_file, public
from webapp.extensions import db
from webapp.models.types import utcnow
from webapp.services import users as user_service
from webapp.services.errors import ServiceError
from webapp.views.errors import service_error_body

bp = Blueprint("auth", __name__)


def safe_next(target: str | None) -> str:
    """Only same-site relative paths; anything else goes to the home page."""
    if not target:
        return url_for("pages.index")
    parts = urlsplit(target)
    if parts.scheme or parts.netloc or not target.startswith("/") or target.startswith("//"):
        return url_for("pages.index")
    return target


def _throttle_policy() -> user_service.ThrottlePolicy:
    return user_service.ThrottlePolicy(
        max_failures=current_app.config["FUNCPAD_LOGIN_MAX_FAILURES"],
        window_seconds=current_app.config["FUNCPAD_LOGIN_LOCKOUT_SECONDS"],
    )


@bp.route("/login", methods=["GET", "POST"])
@public
def login():
    if current_user.is_authenticated and request.method == "GET":
        return redirect(safe_next(request.args.get("next")))
    error = None
    status = 200
    username = ""
    if request.method == "POST":
        username = (request.form.get("username") or "").strip()
        password = request.form.get("password") or ""
        if not username or not password:
            error, status = gettext("Enter your username and password."), 400
        else:
            address, now = request.remote_addr or "-", utcnow()
            try:
                user_service.reserve_login_attempt(
                    db.session, username, address, now, _throttle_policy()
                )
            except ServiceError as exc:
                db.session.commit()  # the attempt is counted, throttled or not
                error, status = service_error_body(exc)["message"], exc.status
            else:
                db.session.commit()  # before the slow password check: parallel tries see it
                user = user_service.authenticate(db.session, username, password, address, now)
                db.session.commit()
                if user is None:
                    error, status = gettext("Wrong username or password."), 401
                else:
                    user_service.start_session(
                        db.session, user, address, request.user_agent.string, now
                    )
                    db.session.commit()
                    login_user(user, remember=bool(request.form.get("remember")))
                    return redirect(safe_next(request.args.get("next")))
    first_start = initial_password_file(current_app).exists()
    return (
        render_template(
            "login.html",
            error=error,
            username=username,
            first_start=first_start,
            initial_password_path=str(initial_password_file(current_app)),
        ),
        status,
    )


@bp.post("/logout")
def logout():
    """Ends the session on the server too: a copy of its cookie is worth nothing after."""
    user_service.end_session(db.session, current_user.login_session_id, utcnow())
    db.session.commit()
    logout_user()
    return redirect(url_for("auth.login"))
