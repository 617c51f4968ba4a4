"""Test fixtures: a real database per backend, the app, clients, mail, factories.

Every test that uses ``app`` runs on SQLite and on PostgreSQL. PostgreSQL is
``TEST_POSTGRESQL_URL`` (default: the local server's ``kindred_test``); when
it cannot be reached, those runs are skipped with a visible reason, except
under CI=true, where they fail. Redis works the same way (``TEST_REDIS_URL``).

The schema comes from the Alembic migrations (never ``create_all``), built
once per backend per session; each test then starts from empty tables
(the seeded taxonomy kept), so tests may commit for real, and worker
processes and threads see what they commit.
"""

from __future__ import annotations

import contextlib
import email
import email.policy
import os
from pathlib import Path

import pytest
import sqlalchemy as sa
from flask.testing import FlaskClient
from redis import Redis
from redis.exceptions import RedisError

from community import create_app
from community.db import db
from community.extensions import limiter

IN_CI = os.environ.get("CI", "").lower() == "true"
# Under pytest-xdist (``make test`` runs two processes) each worker gets a
# database and a Redis db of its own: gw0 uses the names given, gw1 the
# database ``<name>_gw1`` and the Redis db one below, and so on.
XDIST_WORKER = os.environ.get("PYTEST_XDIST_WORKER", "")
WORKER_NUMBER = int(XDIST_WORKER.removeprefix("gw") or 0)


def _per_worker_postgresql(url: str) -> str:
    if not WORKER_NUMBER:
        return url
    parsed = sa.engine.make_url(url)
    return parsed.set(database=f"{parsed.database}_gw{WORKER_NUMBER}").render_as_string(
        hide_password=False
    )


def _per_worker_redis(url: str) -> str:
    base, _, number = url.rpartition("/")
    if not WORKER_NUMBER or not number.isdigit():
        return url
    return f"{base}/{(int(number) - WORKER_NUMBER) % 16}"


POSTGRESQL_URL = _per_worker_postgresql(
    os.environ.get("TEST_POSTGRESQL_URL", "postgresql+psycopg://root@127.0.0.1:5432/kindred_test")
)
REDIS_URL = _per_worker_redis(os.environ.get("TEST_REDIS_URL", "redis://127.0.0.1:6379/15"))
KEEP_TABLES = {"skills", "genres", "alembic_version"}


def unavailable(what: str, why: str) -> None:
    message = f"{what} is not reachable ({why}); set it up or see README (Testing)"
    if IN_CI:
        pytest.fail(f"{message}: required in CI")
    pytest.skip(message)


def base_config(tmp_path: Path, database_url: str) -> dict:
    return {
        "ENV_NAME": "testing",
        "TESTING": True,
        "SECRET_KEY": "test-secret-key-that-is-long-enough-0123456789",
        "BASE_URL": "http://kindred.test",
        "SQLALCHEMY_DATABASE_URI": database_url,
        "INSTANCE_PATH": str(tmp_path / "instance"),
        "MAIL_FILE_DIR": str(tmp_path / "mail"),
        "MAIL_SERVER": None,
        "REDIS_URL": None,
        "SOCKETIO_MESSAGE_QUEUE": None,
        "RATELIMIT_STORAGE_URI": "memory://",
        "WTF_CSRF_ENABLED": False,
        "IN_PROCESS_SCHEDULER": False,
        # Without Redis a quiet-period email is a timer thread; a day keeps the
        # timers of one test from firing into a later test's database.
        # Tests of the email set a short period themselves.
        "CHAT_EMAIL_QUIET_SECONDS": 86400,
        # Cheaper hashing keeps the suite fast; production's OWASP parameters
        # are the defaults, checked in tests/accounts.
        "ARGON2_TIME_COST": 1,
        "ARGON2_MEMORY_COST": 1024,
        # Test members are all brand new: the trust levels' daily limits would
        # be every area's business. tests/moderation turns them on.
        "TRUST_LIMITS": False,
        # Asking volunteers about every new request would make each test that
        # posts one every area's business: tests/helping/test_asks.py turns it on.
        "ASKS_PER_REQUEST": 0,
    }


def _migrate(database_url: str, tmp_path: Path) -> None:
    from flask_migrate import upgrade

    app = create_app(base_config(tmp_path, database_url))
    with app.app_context():
        if database_url.startswith("postgresql"):
            with db.engine.begin() as connection:
                connection.execute(sa.text("DROP SCHEMA public CASCADE"))
                connection.execute(sa.text("CREATE SCHEMA public"))
        upgrade()
        db.engine.dispose()


@pytest.fixture(scope="session")
def sqlite_url(tmp_path_factory) -> str:
    directory = tmp_path_factory.mktemp("sqlite")
    url = f"sqlite:///{directory / 'kindred.sqlite3'}"
    _migrate(url, directory)
    return url


@pytest.fixture(scope="session")
def postgresql_url(tmp_path_factory) -> str:
    url = sa.engine.make_url(POSTGRESQL_URL)
    admin = sa.create_engine(url.set(database="postgres"), isolation_level="AUTOCOMMIT")
    try:
        with admin.connect() as connection:
            exists = connection.scalar(
                sa.text("SELECT 1 FROM pg_database WHERE datname = :name"),
                {"name": url.database},
            )
            if not exists:  # a worker's own database (see XDIST_WORKER)
                connection.execute(sa.text(f'CREATE DATABASE "{url.database}"'))
    except Exception as error:
        unavailable("PostgreSQL at TEST_POSTGRESQL_URL", type(error).__name__)
    finally:
        admin.dispose()
    _migrate(POSTGRESQL_URL, tmp_path_factory.mktemp("pg"))
    return POSTGRESQL_URL


@pytest.fixture(params=["sqlite", "postgresql"])
def database_url(request) -> str:
    return request.getfixturevalue(f"{request.param}_url")


def empty_tables() -> None:
    tables = [t for t in db.metadata.sorted_tables if t.name not in KEEP_TABLES]
    with db.engine.begin() as connection:
        if connection.dialect.name == "postgresql":
            names = ", ".join(f'"{t.name}"' for t in tables)
            connection.execute(sa.text(f"TRUNCATE {names} RESTART IDENTITY CASCADE"))
        else:
            for table in reversed(tables):
                connection.execute(table.delete())
            # The search index is not a mapped table (see community/helping/search.py).
            connection.execute(sa.text("DELETE FROM help_request_fts"))


@pytest.fixture
def settings() -> dict:
    """Settings a test changes: ``@pytest.mark.parametrize("settings", [{...}])``."""
    return {}


@pytest.fixture
def app_config(tmp_path, database_url, settings) -> dict:
    """Settings for ``app``; a test may change them before asking for ``app``."""
    return {**base_config(tmp_path, database_url), **settings}


class FreshContextClient(FlaskClient):
    """A test client whose every request runs in its own application context.

    The ``app`` fixture keeps an application context pushed for the whole
    test, and Flask reuses a pushed context for requests: ``g`` (where
    Flask-Login caches ``current_user``) and the database session would then
    be shared by every request of the test, and a logged-out or copied
    cookie would be judged by the previous request's user. A fresh context
    per request gives each request what it has in production.
    """

    def open(self, *args, **kwargs):
        with self.application.app_context():
            return super().open(*args, **kwargs)


@pytest.fixture
def app(app_config):
    app = create_app(app_config)
    app.test_client_class = FreshContextClient
    with app.app_context():
        empty_tables()
        yield app
        db.session.remove()
        empty_tables()
        db.engine.dispose()
    # A test that pointed the limiter at a Redis that is down has nothing to reset.
    with contextlib.suppress(RedisError):
        limiter.reset()


@pytest.fixture
def client(app):
    return app.test_client()


@pytest.fixture
def redis_url() -> str:
    connection = Redis.from_url(REDIS_URL)
    try:
        connection.ping()
    except Exception as error:
        unavailable("Redis at TEST_REDIS_URL", type(error).__name__)
    connection.flushdb()
    yield REDIS_URL
    connection.flushdb()
    connection.close()


# --- helpers ----------------------------------------------------------------


class Auth:
    """Log a test client in and out through the real forms."""

    def __init__(self, client):
        self.client = client

    def login(self, email: str, password: str = "correct horse battery", remember=False):
        data = {"email": email, "password": password}
        if remember:
            data["remember"] = "y"
        return self.client.post("/login", data=data)

    def logout(self):
        return self.client.post("/logout")


@pytest.fixture
def auth(client) -> Auth:
    return Auth(client)


class Mailbox:
    """The .eml files the file transport wrote, parsed."""

    def __init__(self, directory: Path):
        self.directory = directory

    def messages(self) -> list[email.message.EmailMessage]:
        if not self.directory.exists():
            return []
        return [
            email.message_from_bytes(path.read_bytes(), policy=email.policy.default)
            for path in sorted(self.directory.glob("*.eml"))
        ]

    def to(self, address: str) -> list[email.message.EmailMessage]:
        return [m for m in self.messages() if m["To"] == address]

    @staticmethod
    def text(message) -> str:
        return message.get_body(preferencelist=("plain",)).get_content()


@pytest.fixture
def mailbox(app) -> Mailbox:
    return Mailbox(Path(app.config["MAIL_FILE_DIR"]))


@pytest.fixture
def make_offer(app):
    """``make_offer(user, *skills, capacity=2, ...)``: see ``tests.builders.make_offer``."""
    from tests import builders

    return builders.make_offer


@pytest.fixture
def make_request(app):
    """``make_request(user, *skills, title=..., ...)``: see ``tests.builders.make_request``."""
    from tests import builders

    return builders.make_request


@pytest.fixture
def make_user(app):
    from tests.factories import UserFactory

    def make(**kwargs):
        user = UserFactory(**kwargs)
        db.session.commit()
        return user

    return make


class QueryCounter:
    def __init__(self):
        self.statements: list[str] = []

    def __call__(self, conn, cursor, statement, parameters, context, executemany):
        self.statements.append(statement)

    @property
    def count(self) -> int:
        return len(self.statements)


@pytest.fixture
def count_queries(app):
    """Use as ``with count_queries() as counter:``; counter.count after the block."""
    from contextlib import contextmanager

    @contextmanager
    def counting():
        counter = QueryCounter()
        sa.event.listen(db.engine, "before_cursor_execute", counter)
        try:
            yield counter
        finally:
            sa.event.remove(db.engine, "before_cursor_execute", counter)

    return counting
