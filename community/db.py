"""The database layer: declarative base, column types, and after-commit work.

Side effects (emails, jobs, Socket.IO emits) must happen only once the
transaction that caused them has committed. Domain code registers them with
:func:`after_commit`; they run after a successful commit of the session and
are dropped on rollback.
"""

from __future__ import annotations

import logging
from collections.abc import Callable
from datetime import UTC, datetime

from flask import current_app, has_app_context
from flask_sqlalchemy import SQLAlchemy
from sqlalchemy import DateTime, MetaData, event
from sqlalchemy.engine import Engine
from sqlalchemy.orm import DeclarativeBase, Session
from sqlalchemy.types import TypeDecorator

log = logging.getLogger(__name__)

NAMING_CONVENTION = {
    "ix": "ix_%(column_0_label)s",
    "uq": "uq_%(table_name)s_%(column_0_N_name)s",
    "ck": "ck_%(table_name)s_%(constraint_name)s",
    "fk": "fk_%(table_name)s_%(column_0_name)s_%(referred_table_name)s",
    "pk": "pk_%(table_name)s",
}


class Base(DeclarativeBase):
    metadata = MetaData(naming_convention=NAMING_CONVENTION)


db = SQLAlchemy(model_class=Base)


def utcnow() -> datetime:
    return datetime.now(UTC)


class UTCDateTime(TypeDecorator):
    """A timestamp stored in UTC and always read back timezone-aware.

    SQLite has no timezone type; PostgreSQL's ``timestamptz`` does. Either
    way, Python code only ever sees aware datetimes in UTC.
    """

    impl = DateTime(timezone=True)
    cache_ok = True

    def process_bind_param(self, value, dialect):
        if value is None:
            return None
        if value.tzinfo is None:
            raise ValueError("naive datetime given to a UTC column")
        return value.astimezone(UTC)

    def process_result_value(self, value, dialect):
        if value is None:
            return None
        if value.tzinfo is None:
            return value.replace(tzinfo=UTC)
        return value.astimezone(UTC)


@event.listens_for(Engine, "connect")
def _configure_sqlite(dbapi_connection, connection_record):
    # WAL lets readers proceed while one writer commits; foreign keys are off
    # by default in SQLite; busy_timeout waits for a lock instead of failing.
    if type(dbapi_connection).__module__ != "sqlite3":
        return
    cursor = dbapi_connection.cursor()
    cursor.execute("PRAGMA foreign_keys=ON")
    cursor.execute("PRAGMA journal_mode=WAL")
    cursor.execute("PRAGMA busy_timeout=5000")
    cursor.execute("PRAGMA synchronous=NORMAL")
    cursor.close()


# --- after-commit work -----------------------------------------------------

_PENDING = "kindred_after_commit"


def after_commit(callback: Callable[[], None]) -> None:
    """Run ``callback`` once the current transaction of ``db.session`` commits.

    The callback runs in a fresh application context (so a fresh session) and
    must not assume the caller's objects are still attached: pass ids.
    Exceptions are logged, never raised into the request that committed.
    """
    db.session.info.setdefault(_PENDING, []).append(callback)


def _run_pending(session: Session) -> None:
    callbacks = session.info.pop(_PENDING, [])
    if not callbacks:
        return
    app = current_app._get_current_object() if has_app_context() else None
    for callback in callbacks:
        try:
            if app is None:
                callback()
            else:
                # A new app context gives the callback its own scoped session:
                # the committing session may not emit SQL inside this hook.
                with app.app_context():
                    callback()
        except Exception:
            log.exception("after-commit callback %r failed", callback)


def _drop_pending(session: Session) -> None:
    session.info.pop(_PENDING, None)


def install_session_hooks() -> None:
    """Attach the after-commit hooks to the session class (idempotent)."""
    session_class = db.session.session_factory.class_
    if not event.contains(session_class, "after_commit", _run_pending):
        event.listen(session_class, "after_commit", _run_pending)
        event.listen(session_class, "after_rollback", _drop_pending)
