"""Language switch: remembers the choice in a cookie read by the locale selector."""

from flask import Blueprint, redirect, request

from webapp.auth import public
from webapp.i18n import LANGUAGE_COOKIE, SUPPORTED_LOCALES
from webapp.views.session_pages import safe_next

bp = Blueprint("i18n", __name__)


@bp.get("/lang/<code>")
@public
def switch_language(code: str):
    response = redirect(safe_next(request.args.get("next")))
    if code in SUPPORTED_LOCALES:
        response.set_cookie(
            LANGUAGE_COOKIE, code, max_age=365 * 24 * 3600, samesite="Lax", httponly=True
        )
    return response
