"""Redis down is never a 500: every route, and the forms that send, with the
app pointed at a Redis URL nobody listens on (jobs, rate limits, Socket.IO).

Each route answers what the access matrix says it answers with Redis up,
except /healthz, which reports the outage with a 503.
"""

from __future__ import annotations

import logging

import pytest

from community.extensions import limiter
from community.helping import requests as help_requests
from tests.builders import skill_ids
from tests.support_smtp import free_port, outbox_rows
from tests.test_access import MATRIX, people  # noqa: F401  (people is a fixture)


@pytest.fixture
def app_config(app_config):
    dead = f"redis://127.0.0.1:{free_port()}/0"  # nobody listens there
    app_config.update(
        REDIS_URL=dead,
        SOCKETIO_MESSAGE_QUEUE=dead,
        RATELIMIT_STORAGE_URI=dead,
        RATELIMIT_ENABLED=True,
    )
    return app_config


@pytest.fixture(autouse=True)
def limiter_storage_alive():
    """Flask-Limiter keeps "storage is dead" on the (global) extension, not per
    app: each test starts with it alive, and leaves it so for the next."""
    limiter._storage_dead = False
    yield
    limiter._storage_dead = False


@pytest.fixture
def quiet_warnings(monkeypatch, caplog):
    # migrations/env.py's fileConfig() disables loggers that existed before it ran.
    for name in ("community.jobs", "flask-limiter"):
        monkeypatch.setattr(logging.getLogger(name), "disabled", False)
    caplog.set_level(logging.WARNING)
    return caplog


def test_every_route_answers_without_a_500(app, people, auth, client):  # noqa: F811
    """Every row of the access matrix, as a visitor and then as the owner (in
    one app: with Redis down each app's Socket.IO listener keeps retrying)."""
    answers: dict[str, int] = {}
    for role in ("anonymous", "owner"):
        if role == "owner":
            assert auth.login("owner@example.com").status_code == 302
        for (endpoint, _), entry in sorted(MATRIX.items()):
            response = client.open(entry.path.format(**people), method=entry.method)
            answers[f"{role} {entry.method} {endpoint}"] = response.status_code
            if endpoint == "site.healthz":
                assert response.status_code == 503
                assert response.get_json()["redis"] == "unreachable"
    server_errors = {name: code for name, code in answers.items() if code >= 500}
    assert server_errors == {"anonymous GET site.healthz": 503, "owner GET site.healthz": 503}
    # The visitor's answers do not depend on state the owner's POSTs change.
    for (endpoint, _), entry in MATRIX.items():
        if endpoint != "site.healthz":
            assert answers[f"anonymous {entry.method} {endpoint}"] == abs(
                entry.status("anonymous")
            ), endpoint


def test_signup_keeps_the_email_for_the_sweep_and_warns(app, client, quiet_warnings):
    response = client.post(
        "/signup",
        data={
            "display_name": "Octavia Butler",
            "email": "octavia@example.com",
            "password": "parable of the sower 1993",
        },
    )
    assert response.status_code == 200
    [row] = outbox_rows()
    assert row.to_address == "octavia@example.com" and row.status == "pending"
    messages = [r.getMessage() for r in quiet_warnings.records]
    assert any("falling back to in-memory storage" in m for m in messages)
    assert any("could not enqueue" in m for m in messages)


@pytest.mark.parametrize(
    "settings",
    [{"LOGIN_LIMIT_PER_ACCOUNT": "3 per 15 minutes", "LOGIN_LIMIT_PER_ADDRESS": "100 per hour"}],
    ids=["account3"],
)
def test_login_limits_still_count_in_memory(app, make_user, client):
    make_user(email="target@example.com")
    for _ in range(3):
        wrong = client.post("/login", data={"email": "target@example.com", "password": "nope"})
        assert wrong.status_code == 200
    locked = client.post(
        "/login", data={"email": "target@example.com", "password": "correct horse battery"}
    )
    assert locked.status_code == 429


def test_forms_that_send_emails_and_notifications_work(app, make_user, auth, client):
    owner = make_user(email="owner@example.com")
    helper = make_user(email="helper@example.com")
    from community.db import db
    from community.helping import offers

    offers.save_offer(helper, offers.OfferInput(skill_ids("beta-reading"), [], 2, "", False))
    request = help_requests.post_request(
        owner,
        help_requests.RequestInput(
            title="Beta readers for my novel",
            details="A 90k-word fantasy; I would love notes on the pacing of the middle.",
            skill_ids=skill_ids("beta-reading"),
            genre_id=None,
            format="written",
            effort="about 6 hours",
            deadline=None,
            helpers_wanted=2,
        ),
    )
    db.session.commit()
    assert client.post("/password/forgot", data={"email": "owner@example.com"}).status_code in {
        200,
        302,
    }
    assert auth.login("helper@example.com").status_code == 302
    answered = client.post(f"/requests/{request.id}/answer", data={"note": "I would love to."})
    assert answered.status_code == 302
    assert client.post(f"/members/{owner.id}/follow").status_code == 302
    assert client.post("/verify/resend").status_code == 302
    assert len(outbox_rows()) >= 1  # the emails wait in the outbox, none lost
