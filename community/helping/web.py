"""What the pages of helping and of kindness (whose errors are HelpingErrors)
do with a domain call: commit it, or roll back and show the member why."""

from __future__ import annotations

from flask import abort

from community.db import db
from community.helping.errors import HelpingError, NotFound


def run(call, *args, **kwargs):
    """Run one domain call and commit; on a HelpingError roll back and return it.

    Returns ``(result, None)`` or ``(None, error)``. NotFound aborts with 404.
    """
    try:
        result = call(*args, **kwargs)
    except NotFound:
        db.session.rollback()
        abort(404)
    except HelpingError as error:
        db.session.rollback()
        return None, error
    db.session.commit()
    return result, None


def error_on_field(form, error: HelpingError) -> bool:
    """Put the error on the form field it names; False when it names none."""
    field = form._fields.get(error.field) if error.field else None
    if field is None:
        return False
    field.errors = [*field.errors, str(error)]
    return True
