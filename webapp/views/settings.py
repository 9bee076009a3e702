"""Account settings: API tokens and password."""

from __future__ import annotations

from flask import Blueprint, current_app, flash, redirect, render_template, request, url_for
from flask_babel import gettext
from flask_login import current_user

from webapp.auth import forget_checked_tokens, initial_password_file
from webapp.extensions import db
from webapp.models import ApiToken
from webapp.models.types import utcnow
from webapp.services import users as user_service
from webapp.services.errors import ServiceError
from webapp.views.errors import flash_service_error

bp = Blueprint("settings", __name__, url_prefix="/settings")


@bp.get("/tokens")
def tokens():
    rows = db.session.scalars(
        db.select(ApiToken).where(ApiToken.user_id == current_user.id).order_by(ApiToken.id.desc())
    ).all()
    return render_template("tokens.html", tokens=rows, active_nav="settings")


@bp.post("/tokens")
def create_token():
    try:
        token, plaintext = user_service.create_token(
            db.session, current_user, request.form.get("name", "")
        )
    except ServiceError as exc:
        flash_service_error(exc)
        return redirect(url_for("settings.tokens"))
    db.session.commit()
    rows = db.session.scalars(
        db.select(ApiToken).where(ApiToken.user_id == current_user.id).order_by(ApiToken.id.desc())
    ).all()
    # The plaintext is shown on this response only; reloading the page will not show it again.
    return render_template(
        "tokens.html",
        tokens=rows,
        new_token=plaintext,
        new_token_name=token.name,
        active_nav="settings",
    )


@bp.post("/tokens/<int:token_id>/revoke")
def revoke_token(token_id: int):
    token = user_service.revoke_token(db.session, current_user, token_id, utcnow())
    db.session.commit()
    forget_checked_tokens()
    flash(gettext("Token “%(name)s” was revoked.", name=token.name), "success")
    return redirect(url_for("settings.tokens"))


@bp.get("/sessions")
def sessions():
    """Your live browser sessions; an admin sees (and may end) everyone's."""
    rows = user_service.active_sessions(db.session, None if current_user.is_admin else current_user)
    return render_template(
        "sessions.html",
        rows=rows,
        current_id=current_user.login_session_id,
        active_nav="settings",
    )


@bp.post("/sessions/<session_id>/end")
def end_session(session_id: str):
    row = user_service.end_user_session(db.session, current_user, session_id, utcnow())
    db.session.commit()
    flash(gettext("The session of %(user)s was ended.", user=row.user.username), "success")
    if row.id == current_user.login_session_id:
        return redirect(url_for("auth.login"))
    return redirect(url_for("settings.sessions"))


@bp.route("/password", methods=["GET", "POST"])
def password():
    if request.method == "POST":
        new = request.form.get("new_password", "")
        if new != request.form.get("confirm_password", ""):
            flash(gettext("The two new passwords differ."), "error")
            return render_template("password.html", active_nav="settings"), 400
        try:
            user_service.set_password(
                db.session, current_user, request.form.get("current_password", ""), new
            )
        except ServiceError as exc:
            flash_service_error(exc)
            return render_template("password.html", active_nav="settings"), exc.status
        ended = user_service.end_other_sessions(
            db.session, current_user, current_user.login_session_id, utcnow()
        )
        db.session.commit()
        if current_user.username == "admin":
            # The generated first-start password is no longer valid; stop advertising it.
            initial_password_file(current_app).unlink(missing_ok=True)
        flash(
            gettext(
                "Your password was changed; %(n)s other sessions were ended. API tokens stay.",
                n=ended,
            ),
            "success",
        )
        return redirect(url_for("settings.password"))
    return render_template("password.html", active_nav="settings")
