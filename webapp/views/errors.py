"""Error responses: JSON ``{error, message, field?}`` under /api/, an HTML page elsewhere."""

from __future__ import annotations

import logging

from flask import Flask, flash, jsonify, render_template, request
from flask_babel import gettext
from werkzeug.exceptions import HTTPException

from webapp.extensions import db
from webapp.services.errors import Msg, ServiceError

log = logging.getLogger(__name__)

# Machine codes for the HTTP errors werkzeug raises itself.
HTTP_CODES = {
    400: "bad_request",
    401: "unauthorized",
    403: "forbidden",
    404: "not_found",
    405: "method_not_allowed",
    413: "payload_too_large",
    415: "unsupported_media_type",
    429: "too_many_requests",
}


def _is_api() -> bool:
    return request.path.startswith("/api/")


def translated(value: object) -> object:
    """``value`` in the page's language when it is a ``Msg`` (its parameters too, when they
    are ``Msg``); anything else as it is."""
    if not isinstance(value, Msg):
        return value
    if not value.params:
        return gettext(value.template)
    return gettext(value.template, **{k: translated(v) for k, v in value.params.items()})


def service_error_body(error: ServiceError) -> dict:
    params = {k: translated(v) for k, v in error.params.items()}
    body = {
        "error": error.code,
        "message": gettext(error.message_template, **params)
        if params
        else gettext(error.message_template),
    }
    if error.field:
        body["field"] = error.field
    body.update(error.extra)
    return body


def flash_service_error(error: ServiceError) -> None:
    """For form pages: undo the failed change and show its message on the next rendered page."""
    db.session.rollback()
    flash(service_error_body(error)["message"], "error")


def _service_error(error: ServiceError):
    db.session.rollback()
    body = service_error_body(error)
    if _is_api():
        return jsonify(body), error.status
    return render_template("error.html", code=error.status, message=body["message"]), error.status


def _http_error(error: HTTPException):
    code = error.code or 500
    if code == 413:
        message = gettext("The request is too large.")
    elif code == 404:
        message = gettext("There is nothing at this address.")
    elif code == 405:
        message = gettext("This address does not accept %(method)s.", method=request.method)
    else:
        message = error.description or error.name
    if _is_api():
        return jsonify(error=HTTP_CODES.get(code, "http_error"), message=message), code
    if request.path.startswith("/v1/"):  # the DataKit-compatible receiver's own format
        name = "requestTooLarge" if code == 413 else HTTP_CODES.get(code, "httpError")
        return jsonify(error_code=f"datakit.{name}", message=message), code
    return render_template("error.html", code=code, message=message), code


def _unexpected_error(error: Exception):
    db.session.rollback()
    log.exception("unhandled error on %s %s", request.method, request.path)
    message = gettext("Something went wrong on our side; the error was logged.")
    if _is_api():
        return jsonify(error="internal_error", message=message), 500
    return render_template("error.html", code=500, message=message), 500


def init_app(app: Flask) -> None:
    app.register_error_handler(ServiceError, _service_error)
    app.register_error_handler(HTTPException, _http_error)
    app.register_error_handler(Exception, _unexpected_error)
