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


# Every id (and chat sequence number) is a 32-bit INTEGER column: a larger
# number names no row, and PostgreSQL refuses to compare it ("integer out of
# range"), so callers turn it away first (routes: community.DatabaseId).
ID_MAX = 2**31 - 1


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


# --- tables outside the ORM -------------------------------------------------

# Full-text search tables (community/helping/search.py) exist on one database
# each, with column types the other lacks; migrations create them by hand.
# FTS5 adds shadow tables named after its table, hence prefixes.
UNMAPPED_TABLE_PREFIXES = ("help_request_fts", "help_request_search")


def include_in_autogenerate(name, type_, parent_names) -> bool:
    """Alembic ``include_name`` hook: leave the unmapped tables alone."""
    return not (type_ == "table" and name and name.startswith(UNMAPPED_TABLE_PREFIXES))


def render_column_type(type_, object_, autogen_context):
    """Alembic ``render_item`` hook: migrations spell UTCDateTime as what it stores."""
    if type_ == "type" and isinstance(object_, UTCDateTime):
        return "sa.DateTime(timezone=True)"
    return False


# --- after-commit work -----------------------------------------------------

_PENDING = "kindred_after_commit"


def after_commit(callback: Callable[[], None]) -> None:
    """Run ``callback`` once the current transaction of ``db.session`` commits.

    The callback runs in a fresh application context (so a fresh session) and
    must not assume the caller's objects are still attached: pass ids.
    Exceptions are logged, never raised into the request that committed.

    A rollback of the whole transaction drops the callback; a rollback to a
    savepoint does not (jobs must be safe to run for work that did not stay,
    as the outbox's send job is: it skips a row that is not there).
    """
    session = db.session()
    if not session.in_transaction():
        # Begin now, so that a rollback before any SQL still drops the callback
        # (SQLAlchemy fires no rollback event for a session that never began).
        session.begin()
    session.info.setdefault(_PENDING, []).append(callback)


def _run_pending(session: Session) -> None:
    if session.get_nested_transaction() is not None:
        return  # a savepoint was released; the transaction has not committed yet
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


def _drop_pending(session: Session, previous_transaction) -> None:
    # Only the outermost transaction: a savepoint's rollback keeps the rest.
    if previous_transaction.parent is None:
        session.info.pop(_PENDING, None)


def install_session_hooks() -> None:
    """Attach the after-commit hooks to the session class (idempotent)."""
    session_class = db.session.session_factory.class_
    if not event.contains(session_class, "after_commit", _run_pending):
        event.listen(session_class, "after_commit", _run_pending)
        event.listen(session_class, "after_soft_rollback", _drop_pending)
