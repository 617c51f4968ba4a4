"""One error type from the domain to the response.

Every member-facing error of ``community`` derives from KindredError; the
error handler turns one that escapes a view into its page (or JSON), and the
Socket.IO adapter into the structured acknowledgement.
"""

from __future__ import annotations

import importlib
import inspect
import pkgutil

import pytest
from sqlalchemy import select

import community
from community.accounts.models import User
from community.chat.service import NotFound as ConversationNotFound
from community.chat.service import Refused
from community.db import db
from community.errors import Conflict, Invalid, KindredError, NotAllowed, NotFound
from community.site.actions import acknowledge

JSON = {"Accept": "application/json"}

# Not member-facing: refused settings at start-up, the mail transport's
# verdicts (the outbox records them) and the pure ripples engine's own checks.
NOT_MEMBER_FACING = {
    "community.config.ConfigurationError",
    "community.mail.transport.PermanentMailError",
    "community.mail.transport.TransientMailError",
    "community.kindness.ripples.RipplesError",
    "community.kindness.ripples.SelfHelpError",
    "community.kindness.ripples.OutOfOrderError",
}
# Registers the periodic jobs with rq's scheduler when imported; it defines no class.
NOT_IMPORTED = {"community.cron"}


def _exception_classes():
    for module_info in pkgutil.walk_packages(community.__path__, "community."):
        if module_info.name in NOT_IMPORTED:
            continue
        module = importlib.import_module(module_info.name)
        for _, cls in inspect.getmembers(module, inspect.isclass):
            if cls.__module__ == module.__name__ and issubclass(cls, BaseException):
                yield f"{cls.__module__}.{cls.__qualname__}", cls


def test_every_error_of_the_domain_derives_from_one_base():
    found = dict(_exception_classes())
    assert "community.helping.errors.HelpingError" in found  # the walk reaches the areas
    strays = sorted(
        name
        for name, cls in found.items()
        if name not in NOT_MEMBER_FACING and not issubclass(cls, KindredError)
    )
    assert strays == []
    # The exceptions listed are still there (a stale list hides nothing).
    assert set(found) >= NOT_MEMBER_FACING


@pytest.fixture
def raising(app):
    """A route that lets a domain error escape (registered before the first request)."""
    errors = {
        "missing": NotFound("We could not find that request."),
        "forbidden": NotAllowed("Only the member who asked can edit this request."),
        "conflict": Conflict("Every helper place of this request is already taken."),
        "invalid": Invalid("Choose from the list.", "genre"),
    }

    def escape(kind: str):
        # Written before the error: the handler must roll it back.
        db.session.add(
            User(email=f"{kind}@example.org", display_name="Not kept", password_hash="x")
        )
        db.session.flush()
        raise errors[kind]

    app.add_url_rule("/test-escape/<kind>", "test_escape", escape)
    return errors


@pytest.mark.parametrize(
    ("kind", "status"), [("missing", 404), ("forbidden", 403), ("conflict", 409), ("invalid", 400)]
)
def test_an_escaped_domain_error_becomes_its_page(client, raising, kind, status):
    response = client.get(f"/test-escape/{kind}")
    assert response.status_code == status
    assert response.mimetype == "text/html"
    assert raising[kind].message in response.text
    assert f"Error {status}" in response.text
    assert "Traceback" not in response.text
    assert db.session.scalar(select(User).where(User.email == f"{kind}@example.org")) is None


@pytest.mark.parametrize(
    ("kind", "status", "code"),
    [
        ("missing", 404, "not_found"),
        ("forbidden", 403, "not_allowed"),
        ("conflict", 409, "conflict"),
    ],
)
def test_json_clients_get_the_structured_error(client, raising, kind, status, code):
    response = client.get(f"/test-escape/{kind}", headers=JSON)
    assert response.status_code == status
    assert response.json == {"error": {"code": code, "message": raising[kind].message}}


def test_json_clients_are_told_the_field(client, raising):
    response = client.get("/test-escape/invalid", headers=JSON)
    assert response.status_code == 400
    assert response.json == {
        "error": {"code": "invalid", "message": "Choose from the list.", "field": "genre"}
    }


def test_the_socket_adapter_commits_what_succeeds(app):
    def work():
        db.session.add(User(email="kept@example.org", display_name="Kept", password_hash="x"))
        return {"id": 7}

    with app.test_request_context():
        assert acknowledge(work) == {"ok": True, "id": 7}
    assert db.session.scalar(select(User).where(User.email == "kept@example.org")) is not None


@pytest.mark.parametrize(
    ("error", "answer"),
    [
        (
            ConversationNotFound(),
            {"code": "not_found", "message": "We could not find that conversation."},
        ),
        (
            Refused("Please confirm your email first."),
            {"code": "refused", "message": "Please confirm your email first."},
        ),
        (Conflict(), {"code": "conflict", "message": Conflict.default_message}),
        (
            Invalid("Write something first.", "body"),
            {"code": "invalid", "message": "Write something first.", "field": "body"},
        ),
    ],
)
def test_the_socket_adapter_answers_the_structured_error(app, error, answer):
    def work():
        db.session.add(User(email="dropped@example.org", display_name="Dropped", password_hash="x"))
        db.session.flush()
        raise error

    with app.test_request_context():
        assert acknowledge(work) == {"ok": False, "error": answer}
    assert db.session.scalar(select(User).where(User.email == "dropped@example.org")) is None
