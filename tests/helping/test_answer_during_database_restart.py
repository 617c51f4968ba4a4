"""A PostgreSQL restart seen by a signed-in member: the 503 page, never a bare 500.

While the database is away, even an error page (a refused form, a 404) cannot
load the member behind the cookie for its layout; it must still be the
site's "try again in a minute" page, and the member's next try succeeds.

The restart is a real one for this database only: new connections refused
(``ALLOW_CONNECTIONS false``) and the app's open ones terminated, as
``pg_ctl restart`` does to every database (tests/chaos does the whole thing).
"""

from __future__ import annotations

import contextlib

import pytest
import sqlalchemy as sa
from flask import request_finished

from community.db import db
from community.helping.models import Answer
from tests.conftest import Auth


@pytest.fixture
def database_url(postgresql_url) -> str:
    return postgresql_url


@pytest.fixture
def settings() -> dict:
    # As in production: an error raised while handling an error is answered,
    # not re-raised into the test client.
    return {"PROPAGATE_EXCEPTIONS": False}


@contextlib.contextmanager
def database_away(url: str):
    """Refuse new connections to the test database and end the open ones."""
    name = sa.engine.make_url(url).database
    admin = sa.create_engine(
        sa.engine.make_url(url).set(database="postgres"), isolation_level="AUTOCOMMIT"
    )

    def allow(allowed: bool) -> None:
        with admin.connect() as connection:
            connection.execute(
                sa.text(f'ALTER DATABASE "{name}" ALLOW_CONNECTIONS {str(allowed).lower()}')
            )

    try:
        allow(False)
        with admin.connect() as connection:
            connection.execute(
                sa.text(
                    "SELECT pg_terminate_backend(pid) FROM pg_stat_activity"
                    " WHERE datname = :name AND pid <> pg_backend_pid()"
                ),
                {"name": name},
            )
        yield
    finally:
        allow(True)
        admin.dispose()


@pytest.fixture
def hal(app, make_user, make_request):
    make_user(email="hal@example.com", display_name="Hal Helper")
    asker = make_user(email="ann@example.com", display_name="Ann Asker")
    path = f"/requests/{make_request(asker).id}"
    client = app.test_client()
    assert Auth(client).login("hal@example.com").status_code == 302
    # The test's own session lets its connection go, as a request's does.
    db.session.remove()
    return client, path


def assert_try_again_page(response) -> None:
    assert response.status_code == 503
    assert "Please try again in a minute" in response.text
    assert response.headers["Retry-After"] == "30"


def test_an_answer_refused_by_csrf_while_the_database_restarts(app, database_url, hal):
    """The chaos suite's case: the page that held the token was a 503, so the
    answer goes without one; the CSRF error page needs the member's layout."""
    client, path = hal
    app.config["WTF_CSRF_ENABLED"] = True
    with database_away(database_url):
        response = client.post(f"{path}/answer", data={"note": "I would love to help."})
    assert_try_again_page(response)


def test_a_404_for_a_member_while_the_database_restarts(database_url, hal):
    client, _ = hal
    with database_away(database_url):
        response = client.get("/no/such/page")
    assert_try_again_page(response)


def test_an_answer_while_the_database_restarts_then_again_after(app, database_url, hal):
    client, path = hal
    with database_away(database_url):
        response = client.post(f"{path}/answer", data={"note": "I would love to help."})
    assert_try_again_page(response)

    response = client.post(f"{path}/answer", data={"note": "I would love to help."})
    assert response.status_code == 302
    assert [a.note for a in db.session.scalars(sa.select(Answer))] == ["I would love to help."]


@contextlib.contextmanager
def database_away_once_the_response_is_made(app, url: str):
    """The database goes away after the response is made, before the request's
    session is closed (Flask's request_finished comes between the two)."""
    with contextlib.ExitStack() as stack:

        def go_away(sender, response, **extra):
            stack.enter_context(database_away(url))

        with request_finished.connected_to(go_away, app):
            yield


def test_the_database_going_away_after_the_page_was_made(app, database_url, hal):
    """Closing a session whose connection died must not turn the page into a 500."""
    client, path = hal
    with database_away_once_the_response_is_made(app, database_url):
        response = client.get(path)
    assert response.status_code == 200
    assert "Beta readers for my fantasy novel" in response.text


def test_an_answer_committed_before_the_database_went_away(app, database_url, hal):
    client, path = hal
    with database_away_once_the_response_is_made(app, database_url):
        response = client.post(f"{path}/answer", data={"note": "Kept."})
    assert response.status_code == 302
    assert [a.note for a in db.session.scalars(sa.select(Answer))] == ["Kept."]
