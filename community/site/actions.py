"""One way for a view, a Socket.IO handler, a job or a CLI command to run a
domain action.

The domain flushes; the edge commits, here and nowhere else:

- :func:`attempt` calls the domain, commits once (so the work registered with
  ``db.after_commit`` runs once), or rolls back and hands the
  :class:`~community.errors.KindredError` back. Any other exception rolls back
  and propagates: it is a bug, not an answer for the member.
- :func:`run` is :func:`attempt` for views: a
  :class:`~community.errors.NotFound` becomes the site's 404 page directly,
  the same answer for "missing" and "not yours to see"; any other error is
  returned for the view to show (:func:`error_on_field`, a flash...).
- :func:`acknowledge` is :func:`attempt` for Socket.IO events: it answers the
  acknowledgement, ``{"ok": true, ...}`` or
  ``{"ok": false, "error": {"code", "message"[, "field"]}}``.

A KindredError that escapes a view anyway becomes a page in one place,
:mod:`community.site.errors`.
"""

from __future__ import annotations

from typing import Any

from flask import abort

from community.db import db
from community.errors import KindredError, NotFound


def attempt(call, *args, **kwargs) -> tuple[Any, KindredError | None]:
    """Run one domain call and commit; on a KindredError roll back and return it.

    Returns ``(result, None)`` or ``(None, error)``.
    """
    try:
        result = call(*args, **kwargs)
    except KindredError as error:
        db.session.rollback()
        return None, error
    except BaseException:
        db.session.rollback()
        raise
    db.session.commit()
    return result, None


def run(call, *args, **kwargs):
    """Run one domain call for a view and commit; on a KindredError roll back
    and return it.

    Returns ``(result, None)`` or ``(None, error)``. NotFound aborts with 404.
    """
    result, error = attempt(call, *args, **kwargs)
    if isinstance(error, NotFound):
        abort(404)
    return result, error


def acknowledge(call, *args, **kwargs) -> dict[str, Any]:
    """Run one Socket.IO event's work and commit; answer its acknowledgement.

    ``call`` returns a dict (or None) whose keys join ``"ok": True``; a
    KindredError becomes ``{"ok": False, "error": error.as_dict()}``.
    """
    result, error = attempt(call, *args, **kwargs)
    if error is not None:
        return {"ok": False, "error": error.as_dict()}
    return {"ok": True, **(result or {})}


def error_on_field(form, error: KindredError) -> bool:
    """Put the error on the form field it names; False when it names none."""
    field = form._fields.get(error.field) if error.field else None
    if field is None:
        return False
    field.errors = [*field.errors, str(error)]
    return True
