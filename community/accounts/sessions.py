"""Server-side login sessions behind Flask-Login.

Flask-Login stores whatever ``User.get_id()`` returns in the signed session
cookie and in the remember-me cookie. Here that value is ``<row id>.<secret>``
of a :class:`LoginSession` row, and the loader accepts it only while the row
exists. Logging out deletes the row, so a copied cookie stops working, which
plain signed-cookie sessions cannot do.
"""

from __future__ import annotations

import hashlib
import hmac
import secrets

from flask import Flask, current_app
from flask_login import login_user
from sqlalchemy import delete, select
from sqlalchemy.orm import joinedload

from community.accounts.models import LoginSession, User
from community.chat import push
from community.db import after_commit, db, utcnow
from community.extensions import login_manager


def _hash(secret: str) -> str:
    return hashlib.sha256(secret.encode()).hexdigest()


def init_app(app: Flask) -> None:
    login_manager.login_view = "accounts.login"
    login_manager.login_message = "Please log in to see that page."
    login_manager.login_message_category = "info"
    login_manager.user_loader(load_user)


def load_user(cookie_value: str) -> User | None:
    row_id, _, secret = cookie_value.partition(".")
    if not row_id.isdigit() or not secret:
        return None
    # The member comes in the same query: one query per request, always.
    login_session = db.session.get(
        LoginSession, int(row_id), options=[joinedload(LoginSession.user)]
    )
    if login_session is None or not hmac.compare_digest(login_session.secret_hash, _hash(secret)):
        return None
    if login_session.expires_at <= utcnow():
        return None
    user = login_session.user
    if not user.is_active:
        return None
    login_session.cookie_value = cookie_value
    user.current_login_session = login_session
    return user


def start_login_session(user: User, *, remember: bool, user_agent: str = "") -> LoginSession:
    """Create a login session for ``user`` and log this browser into it."""
    secret = secrets.token_urlsafe(32)
    lifetime = (
        current_app.config["REMEMBER_COOKIE_DURATION"]
        if remember
        else current_app.config["SESSION_LIFETIME"]
    )
    now = utcnow()
    login_session = LoginSession(
        user=user,
        secret_hash=_hash(secret),
        created_at=now,
        last_used_at=now,
        expires_at=now + lifetime,
        remember=remember,
        user_agent=user_agent[:200],
    )
    db.session.add(login_session)
    db.session.flush()
    login_session.cookie_value = f"{login_session.id}.{secret}"
    user.current_login_session = login_session
    user.last_seen_at = now
    login_user(user, remember=remember, duration=lifetime)
    return login_session


def end_login_session(user: User) -> None:
    """Delete the login session this browser uses (logout)."""
    if user.current_login_session is not None:
        ended = user.current_login_session.id
        db.session.execute(delete(LoginSession).where(LoginSession.id == ended))
        _disconnect_after_commit([ended])


def rotate_login_session(user: User, *, user_agent: str = "") -> LoginSession:
    """Move this browser to a new login session and end the old one.

    After a password change the member stays logged in here, but a copy of
    this browser's cookie (taken before the change) stops working.
    """
    old = user.current_login_session
    remember = old.remember if old is not None else False
    end_login_session(user)
    return start_login_session(user, remember=remember, user_agent=user_agent)


def end_all_login_sessions(user: User, *, keep: LoginSession | None = None) -> int:
    """Delete every login session of ``user`` but ``keep``. Returns how many."""
    which = LoginSession.user_id == user.id
    if keep is not None:
        which = which & (LoginSession.id != keep.id)
    ended = list(db.session.scalars(select(LoginSession.id).where(which)))
    _disconnect_after_commit(ended)
    return db.session.execute(delete(LoginSession).where(which)).rowcount


def _disconnect_after_commit(login_session_ids: list[int]) -> None:
    """Once the sessions are gone for good, close their live chat sockets too."""
    if not login_session_ids:
        return
    after_commit(lambda: push.disconnect_sessions(login_session_ids))
