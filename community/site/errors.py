"""Error pages that explain, never show a trace, and answer JSON to JSON clients.

A :class:`~community.errors.KindredError` that escapes a view is answered
here, the one place domain errors become pages: NotFound is a 404 (its
message never tells "missing" from "not yours"), any other kind its own
status, each with its message (JSON clients get ``{"error": error.as_dict()}``).
Views that want a form error or a flash instead use
:func:`community.site.actions.run`'s returned error.
"""

from __future__ import annotations

import logging

from flask import Flask, jsonify, render_template, request
from flask_wtf.csrf import CSRFError
from werkzeug.exceptions import HTTPException, InternalServerError

from community.db import db
from community.errors import KindredError, NotFound

log = logging.getLogger(__name__)

MESSAGES = {
    400: "Something in that request was not right.",
    403: "You do not have access to this page.",
    404: "We could not find that page.",
    405: "That page does not take this kind of request.",
    413: "That was too large for us to accept.",
    429: "That was a lot of tries in a short time. Please wait a little and try again.",
    500: "Something went wrong on our side. It has been logged; please try again later.",
}


def _wants_json() -> bool:
    best = request.accept_mimetypes.best_match(["application/json", "text/html"])
    return request.path.startswith("/api/") or (
        best == "application/json"
        and request.accept_mimetypes[best] > request.accept_mimetypes["text/html"]
    )


def render_error(code: int, message: str | None = None):
    message = message or MESSAGES.get(code, "Something went wrong.")
    if _wants_json():
        return jsonify(error={"code": code, "message": message}), code
    return render_template("errors/error.html", code=code, message=message), code


def register(app: Flask) -> None:
    @app.errorhandler(CSRFError)
    def csrf_error(error: CSRFError):
        return render_error(
            400,
            "This form had expired or did not come from this site. "
            "Go back, reload the page and send it again.",
        )

    @app.errorhandler(KindredError)
    def domain_error(error: KindredError):
        # The request's transaction broke a rule: none of it may stay.
        db.session.rollback()
        # A NotFound's message never says whether the thing exists (the
        # domain words it so), so the page may show it.
        status = 404 if isinstance(error, NotFound) else error.status
        if _wants_json():
            return jsonify(error=error.as_dict()), status
        return render_template("errors/error.html", code=status, message=error.message), status

    @app.errorhandler(HTTPException)
    def http_error(error: HTTPException):
        if error.code is None or error.code < 400:
            return error
        return render_error(error.code)

    @app.errorhandler(Exception)
    def unexpected_error(error: Exception):
        if isinstance(error, HTTPException):
            return http_error(error)
        log.exception("unhandled error on %s %s", request.method, request.path)
        return render_error(InternalServerError.code)
