"""Error pages that explain, never show a trace, and answer JSON to JSON clients.

A :class:`~community.errors.KindredError` that escapes a view is answered
here, the one place domain errors become pages: NotFound is a 404 (its
message never tells "missing" from "not yours"), any other kind its own
status, each with its message (JSON clients get ``{"error": error.as_dict()}``).
Views that want a form error or a flash instead use
:func:`community.site.actions.run`'s returned error.

While the database is away (a restart, a failover) every answer that needs
it is the 503 "try again in a minute" page, rendered as for a visitor:
error pages too, whose layout would load the member behind the cookie. A
response already made (the work committed) is kept even if the connection
dies before the request's session is closed.
"""

from __future__ import annotations

import logging

from flask import Flask, current_app, jsonify, make_response, render_template, request
from flask_limiter import RateLimitExceeded
from flask_wtf.csrf import CSRFError
from sqlalchemy.exc import DBAPIError, InterfaceError, OperationalError
from werkzeug.exceptions import HTTPException, InternalServerError, ServiceUnavailable

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
    503: "The site is restarting a part of itself. Please try again in a minute: "
    "nothing you sent before this page was lost.",
}


def _database_unreachable(error: BaseException | None) -> bool:
    """The database went away (a restart, a failover), as opposed to a bug.

    Looks down the chain of causes too: a session whose flush lost its
    connection says PendingRollbackError on its next use.
    """
    for _ in range(5):
        if error is None:
            return False
        if _lost_connection(error):
            return True
        error = error.__cause__ or error.__context__
    return False


def _lost_connection(error: BaseException) -> bool:
    if isinstance(error, DBAPIError) and error.connection_invalidated:
        return True
    if not isinstance(error, OperationalError | InterfaceError):
        return False
    if type(error.orig).__module__.startswith("sqlite3"):
        # SQLite says OperationalError for bugs too (no such table); only a
        # lock held past busy_timeout is the database being unavailable.
        return "locked" in str(error.orig)
    return True


def _wants_json() -> bool:
    best = request.accept_mimetypes.best_match(["application/json", "text/html"])
    return request.path.startswith("/api/") or (
        best == "application/json"
        and request.accept_mimetypes[best] > request.accept_mimetypes["text/html"]
    )


def _error_page(code: int, message: str | None = None):
    message = message or MESSAGES.get(code, "Something went wrong.")
    if _wants_json():
        return jsonify(error={"code": code, "message": message}), code
    return render_template("errors/error.html", code=code, message=message), code


def render_error(code: int, message: str | None = None):
    try:
        return _error_page(code, message)
    except Exception as error:
        # The layout loads the signed-in member (and their unread counts):
        # with the database away, a refused form or a 404 must still be a
        # page, not an error raised from this handler (Flask would answer it
        # with a bare 500 outside every handler here).
        if not _database_unreachable(error):
            raise
        log.warning("database unreachable for the %s page of %s: %s", code, request.path, error)
        return _service_unavailable()


def _service_unavailable():
    _forget_session()
    response = make_response(_error_page(ServiceUnavailable.code))
    response.headers["Retry-After"] = "30"
    return response


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
        return render_error(status, error.message)

    @app.errorhandler(HTTPException)
    def http_error(error: HTTPException):
        if error.code is None or error.code < 400:
            return error
        if isinstance(error, InternalServerError) and _database_unreachable(
            error.original_exception
        ):
            # Raised outside the view (an after-request hook, the session's
            # close): Flask hands it here as a 500.
            log.warning("database unreachable on %s %s", request.method, request.path)
            return _service_unavailable()
        if isinstance(error, RateLimitExceeded) and error.limit.error_message:
            # A limit with its own explanation (the email limits) says it.
            return render_error(error.code, error.description)
        return render_error(error.code)

    @app.errorhandler(Exception)
    def unexpected_error(error: Exception):
        if isinstance(error, HTTPException):
            return http_error(error)
        if _database_unreachable(error):
            # Not a trace: the pool checks connections (pool_pre_ping), so the
            # next request after the database is back succeeds.
            log.warning("database unreachable on %s %s: %s", request.method, request.path, error)
            return _service_unavailable()
        log.exception("unhandled error on %s %s", request.method, request.path)
        try:
            return render_error(InternalServerError.code)
        except Exception:
            # The page's layout needed the database the error came from.
            log.exception("the error page itself failed; rendering it as for a visitor")
            _forget_session()
            return render_error(InternalServerError.code)

    # Registered after Flask-SQLAlchemy's own teardown, so it runs first.
    @app.teardown_appcontext
    def close_session(error: BaseException | None) -> None:
        try:
            db.session.remove()
        except Exception as close_error:
            # Closing only rolls back what was not committed, and the server
            # rolls back a lost connection's transaction itself: nothing is
            # lost, and raising here would turn the response already made
            # (a 302 after a commit, say) into a bare 500.
            if not _database_unreachable(close_error):
                raise
            log.warning("database connection lost before the session was closed: %s", close_error)
            db.session.remove()


def _forget_session() -> None:
    """Drop the broken transaction, and render the page as for a visitor: the
    layout would otherwise ask the database (the member, their unread counts)."""
    try:
        db.session.rollback()
    except Exception:
        db.session.remove()
    current_app.login_manager._update_request_context_with_user()
