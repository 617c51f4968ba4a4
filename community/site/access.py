"""Role guards for views: one decorator per role, shared by every area."""

from __future__ import annotations

from functools import wraps

from flask import abort
from flask_login import current_user, login_required


def _requires(allowed):
    def decorator(view):
        @wraps(view)
        @login_required
        def wrapped(*args, **kwargs):
            if not allowed(current_user):
                abort(403)
            return view(*args, **kwargs)

        return wrapped

    return decorator


admin_required = _requires(lambda user: user.is_admin)
moderator_required = _requires(lambda user: user.can_moderate)
