"""Error pages: never a trace, JSON for JSON clients, 413 for oversized requests."""

from __future__ import annotations

import logging

import pytest

SECRET_DETAIL = "database password is hunter2"
JSON = {"Accept": "application/json"}


@pytest.fixture
def boom(app):
    """A route that fails the way a bug would (registered before the first request)."""

    def explode():
        raise RuntimeError(SECRET_DETAIL)

    app.add_url_rule("/test-explode", "test_explode", explode, methods=["GET", "POST"])
    return "/test-explode"


def assert_no_trace(response):
    body = response.get_data(as_text=True)
    assert "Traceback" not in body
    assert 'File "' not in body
    assert ".py" not in body
    assert SECRET_DETAIL not in body


def test_404_page(client):
    response = client.get("/no/such/page")
    assert response.status_code == 404
    assert response.mimetype == "text/html"
    assert "We could not find that page." in response.text
    assert "Error 404" in response.text
    assert_no_trace(response)


def test_500_page_shows_no_trace_and_logs_the_error(client, boom, caplog, monkeypatch):
    # Alembic's env.py (fileConfig) disables loggers that exist when the test
    # databases are migrated, in this process only; undo that for this check.
    monkeypatch.setattr(logging.getLogger("community.site.errors"), "disabled", False)
    with caplog.at_level(logging.ERROR):
        response = client.get(boom)
    assert response.status_code == 500
    assert response.mimetype == "text/html"
    assert "Something went wrong on our side." in response.text
    assert_no_trace(response)
    # The trace goes to the log, for the people running the site.
    assert any(SECRET_DETAIL in (r.exc_text or str(r.exc_info)) for r in caplog.records)


def test_500_page_after_a_failed_database_statement(app, client):
    """A broken transaction still gives the error page (which renders without the database)."""
    from sqlalchemy import text

    from community.db import db

    def bad_sql():
        db.session.execute(text("SELECT * FROM no_such_table"))

    app.add_url_rule("/test-bad-sql", "test_bad_sql", bad_sql)
    response = client.get("/test-bad-sql")
    assert response.status_code == 500
    assert_no_trace(response)
    assert "no_such_table" not in response.text


def test_405_page(client):
    response = client.get("/logout")
    assert response.status_code == 405
    assert "That page does not take this kind of request." in response.text
    assert_no_trace(response)


@pytest.mark.parametrize(
    ("method", "path", "status", "message"),
    [
        ("GET", "/no/such/page", 404, "We could not find that page."),
        ("GET", "/logout", 405, "That page does not take this kind of request."),
        ("GET", "/test-explode", 500, "Something went wrong on our side."),
    ],
)
def test_json_clients_get_json_errors(client, boom, method, path, status, message):
    response = client.open(path, method=method, headers=JSON)
    assert response.status_code == status
    assert response.mimetype == "application/json"
    error = response.get_json()["error"]
    assert error["code"] == status
    assert error["message"].startswith(message)
    assert_no_trace(response)


def test_browsers_get_html_even_if_they_accept_anything(client):
    accept = "text/html,application/xhtml+xml,application/xml;q=0.9,*/*;q=0.8"
    response = client.get("/no/such/page", headers={"Accept": accept})
    assert response.mimetype == "text/html"


def test_api_paths_answer_json(client):
    response = client.get("/api/no-such-endpoint")
    assert response.status_code == 404
    assert response.get_json()["error"]["code"] == 404


def test_max_content_length_is_set(app):
    assert 0 < app.config["MAX_CONTENT_LENGTH"] <= 16 * 1024 * 1024


@pytest.mark.parametrize("path", ["/login", "/signup", "/password/forgot"])
def test_an_oversized_form_gets_413(app, client, path):
    too_big = app.config["MAX_CONTENT_LENGTH"] + 1
    response = client.post(path, data={"email": "a@example.com", "password": "x" * too_big})
    assert response.status_code == 413
    assert "That was too large for us to accept." in response.text
    assert_no_trace(response)


def test_an_oversized_body_of_any_type_gets_413(app, client):
    too_big = app.config["MAX_CONTENT_LENGTH"] + 1
    response = client.post(
        "/login", data=b"x" * too_big, content_type="application/octet-stream", headers=JSON
    )
    assert response.status_code == 413
    assert response.get_json()["error"]["code"] == 413


@pytest.mark.parametrize("settings", [{"WTF_CSRF_ENABLED": True}], ids=["csrf"])
def test_an_oversized_form_gets_413_with_csrf_on(app, client):
    too_big = app.config["MAX_CONTENT_LENGTH"] + 1
    response = client.post("/login", data={"email": "a@example.com", "password": "x" * too_big})
    assert response.status_code == 413
