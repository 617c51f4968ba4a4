"""/healthz: whether the database and Redis answer; 503 when one does not."""

from __future__ import annotations

import pytest

from community import create_app
from community.db import db
from tests.conftest import base_config

CLOSED_PORT = "redis://127.0.0.1:1/0"


def test_healthy_without_redis(client):
    response = client.get("/healthz")
    assert response.status_code == 200
    assert response.get_json() == {"status": "ok", "database": "ok", "redis": "not configured"}
    assert response.headers["Cache-Control"] == "no-store"


def test_healthz_needs_no_login_and_answers_json_to_anyone(client):
    response = client.get("/healthz", headers={"Accept": "text/html"})
    assert response.status_code == 200
    assert response.mimetype == "application/json"


class TestWithRedis:
    @pytest.fixture
    def settings(self, redis_url):
        return {"REDIS_URL": redis_url}

    def test_redis_ok(self, client):
        response = client.get("/healthz")
        assert response.status_code == 200
        assert response.get_json() == {"status": "ok", "database": "ok", "redis": "ok"}


@pytest.mark.parametrize("settings", [{"REDIS_URL": CLOSED_PORT}], ids=["redis-down"])
def test_unreachable_redis_is_degraded(client):
    response = client.get("/healthz")
    assert response.status_code == 503
    assert response.get_json() == {
        "status": "degraded",
        "database": "ok",
        "redis": "unreachable",
    }


def test_unreachable_database_is_degraded(tmp_path):
    config = base_config(tmp_path, "postgresql+psycopg://root@127.0.0.1:1/kindred_nowhere")
    app = create_app(config)
    try:
        response = app.test_client().get("/healthz")
        assert response.status_code == 503
        body = response.get_json()
        assert body["status"] == "degraded"
        assert body["database"] == "unreachable"
        assert body["redis"] == "not configured"
        assert "127.0.0.1" not in response.text  # no connection details leak
    finally:
        with app.app_context():
            db.engine.dispose()
