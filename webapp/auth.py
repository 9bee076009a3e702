"""Authentication wiring: sessions (Flask-Login), bearer tokens, CSRF, and the first admin.

Every endpoint requires a logged-in user unless its view is marked ``@public``. Browser
requests that change state must carry the CSRF token (form field or ``X-CSRFToken`` header);
requests authenticated with ``Authorization: Bearer`` are exempt, as no browser sends that
header on its own.
"""

from __future__ import annotations

import logging
import os
import secrets
import time
from collections.abc import Callable
from pathlib import Path

from flask import Flask, current_app, g, jsonify, redirect, render_template, request, url_for
from flask_babel import gettext
from flask_login import current_user
from flask_wtf.csrf import CSRFError
from sqlalchemy import inspect
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import make_transient_to_detached

from webapp.config import ConfigError
from webapp.database import startup_lock
from webapp.extensions import csrf, db, login_manager
from webapp.models import User
from webapp.models.types import utcnow
from webapp.services import users as user_service
from webapp.services.errors import ServiceError
from webapp.services.token_cache import TokenCache

log = logging.getLogger(__name__)

INITIAL_PASSWORD_FILE = "initial_admin_password"
SAFE_METHODS = frozenset({"GET", "HEAD", "OPTIONS"})


def public(view: Callable) -> Callable:
    """Mark a view as reachable without logging in."""
    view.funcpad_public = True  # type: ignore[attr-defined]
    return view


def csrf_exempt_prefix(app: Flask, prefix: str) -> None:
    """Exempt a URL prefix (e.g. a machine write API with its own auth) from the CSRF check."""
    app.config.setdefault("FUNCPAD_CSRF_EXEMPT_PREFIXES", []).append(prefix)


def wants_json() -> bool:
    return request.path.startswith("/api/") or request.is_json


def _bearer_token() -> str | None:
    header = request.headers.get("Authorization", "")
    scheme, _, token = header.partition(" ")
    return token.strip() if scheme.lower() == "bearer" and token.strip() else None


@login_manager.user_loader
def _load_user(cookie_id: str) -> User | None:
    """From the session or remember-me cookie: only while its server-side session lives."""
    return user_service.user_for_session(db.session, cookie_id, utcnow())


@login_manager.request_loader
def _load_user_from_token(_request) -> User | None:
    token = _bearer_token()
    if token is None:
        return None
    user = _user_for_token(token)
    g.auth_via_token = user is not None
    return user


def _user_for_token(token: str) -> User | None:
    """The token's user; a token checked in the last seconds is not looked up again (the user
    is attached to this request's session from the remembered values, without a query)."""
    cache: TokenCache = current_app.extensions["funcpad.token_cache"]
    token_hash = user_service.hash_token(token)
    now = time.monotonic()
    values = cache.get(token_hash, now)
    if values is not None:
        remembered = User(**values)
        make_transient_to_detached(remembered)
        return db.session.merge(remembered, load=False)
    user = user_service.user_for_token(db.session, token, utcnow())
    if user is not None:
        attributes = inspect(User).column_attrs
        cache.put(token_hash, {a.key: getattr(user, a.key) for a in attributes}, now)
    return user


def forget_checked_tokens() -> None:
    """Call after revoking a token, so this process stops accepting it at once."""
    current_app.extensions["funcpad.token_cache"].forget_all()


@login_manager.unauthorized_handler
def _unauthorized():
    if wants_json():
        if _bearer_token():
            message = gettext("The API token is invalid or revoked.")
            return jsonify(error="invalid_token", message=message), 401
        message = gettext("Log in, or send an API token as 'Authorization: Bearer <token>'.")
        return jsonify(error="unauthorized", message=message), 401
    return redirect(url_for("auth.login", next=request.full_path.rstrip("?")))


def _require_login_and_csrf():
    if request.endpoint is None:  # 404s are answered by the error handlers
        return None
    view = current_app.view_functions.get(request.endpoint)
    if not getattr(view, "funcpad_public", False) and not current_user.is_authenticated:
        return login_manager.unauthorized()
    if request.method in SAFE_METHODS or g.get("auth_via_token"):
        return None
    exempt = current_app.config.get("FUNCPAD_CSRF_EXEMPT_PREFIXES", [])
    if any(request.path.startswith(prefix) for prefix in exempt):
        return None
    csrf.protect()
    return None


def _csrf_failed(error: CSRFError):
    message = gettext("The form expired or the CSRF token is missing; reload the page and retry.")
    if wants_json():
        return jsonify(error="csrf_failed", message=message, detail=error.description), 400
    return render_template("error.html", code=400, message=message), 400


def bootstrap_admin(app: Flask) -> None:
    """Create the configured admin, or on a first start with no users a random-password admin.

    The random password is written to ``<data dir>/initial_admin_password`` (mode 0600) and
    logged once; there is never a fixed default password.
    """
    username = app.config["FUNCPAD_ADMIN_USERNAME"]
    password = app.config["FUNCPAD_ADMIN_PASSWORD"]
    with startup_lock(app.config["FUNCPAD_DATA_DIR"]), app.app_context():
        if not inspect(db.engine).has_table(User.__tablename__):
            log.warning("the database has no schema yet; run 'flask --app webapp db upgrade'")
            return
        if username and password:
            if _create_admin_once(username, password):
                log.info("created admin user %s from FUNCPAD_ADMIN_USERNAME", username)
            return
        if user_service.count_users(db.session):
            return
        generated = secrets.token_urlsafe(12)
        if not _create_admin_once("admin", generated):
            return
        path = initial_password_file(app)
        fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
        with os.fdopen(fd, "w") as handle:
            handle.write(generated + "\n")
        log.warning(
            "First start: created user 'admin' with password %s (also saved in %s)",
            generated,
            path,
        )


def _create_admin_once(username: str, password: str) -> bool:
    """Create the admin unless it exists; False when it exists (maybe another host just won)."""
    if db.session.scalar(db.select(User.id).where(User.username == username)) is not None:
        return False
    try:
        user_service.create_user(db.session, username, password, is_admin=True)
        db.session.commit()
    except IntegrityError:
        db.session.rollback()
        return False
    except ServiceError as exc:
        db.session.rollback()
        if exc.code == "user_exists":
            return False
        raise ConfigError(f"FUNCPAD_ADMIN_USERNAME/PASSWORD: {exc.message}") from None
    return True


def initial_password_file(app: Flask) -> Path:
    return Path(app.config["FUNCPAD_DATA_DIR"]) / INITIAL_PASSWORD_FILE


def _first_password_banner() -> dict:
    """Whether to remind the first admin that they still use the generated password (its file
    is deleted when they change it)."""
    pending = (
        current_user.is_authenticated
        and current_user.username == "admin"
        and initial_password_file(current_app).exists()
    )
    return {"generated_password_pending": pending}


def init_app(app: Flask) -> None:
    app.context_processor(_first_password_banner)
    app.extensions["funcpad.token_cache"] = TokenCache()
    login_manager.init_app(app)
    login_manager.login_view = "auth.login"
    csrf.init_app(app)
    public(app.view_functions["static"])  # CSS, JS and images hold nothing secret
    app.before_request(_require_login_and_csrf)
    app.register_error_handler(CSRFError, _csrf_failed)
    bootstrap_admin(app)
