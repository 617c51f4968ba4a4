"""One way for a view (or a Socket.IO handler) to run a domain action.

The domain flushes; the edge commits, here and nowhere else in a request:
:func:`run` calls the domain, commits once (so the work registered with
``db.after_commit`` runs once), or rolls back and hands the
:class:`~community.errors.KindredError` back for the view to show. A
:class:`~community.errors.NotFound` becomes the site's 404 page directly, the
same answer for "missing" and "not yours to see".
"""

from __future__ import annotations

from flask import abort

from community.db import db
from community.errors import KindredError, NotFound


def run(call, *args, **kwargs):
    """Run one domain call and commit; on a KindredError roll back and return it.

    Returns ``(result, None)`` or ``(None, error)``. NotFound aborts with 404.
    """
    try:
        result = call(*args, **kwargs)
    except NotFound:
        db.session.rollback()
        abort(404)
    except KindredError as error:
        db.session.rollback()
        return None, error
    db.session.commit()
    return result, None


def error_on_field(form, error: KindredError) -> bool:
    """Put the error on the form field it names; False when it names none."""
    field = form._fields.get(error.field) if error.field else None
    if field is None:
        return False
    field.errors = [*field.errors, str(error)]
    return True
