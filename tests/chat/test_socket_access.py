"""Who may use which Socket.IO event: a row for every handler the server has,
a column for every role (as tests/test_access.py does for routes).

Adding a handler without its row fails ``test_every_event_has_a_row``. The
roles are those of the route matrix; ``owner`` and ``other`` are the two
members of the conversation. A member who may not use a conversation gets
the same "not_found" as for a conversation that does not exist, and a
refused event changes nothing in the database.
"""

from __future__ import annotations

import pytest

from community.accounts import service as accounts
from community.db import db
from community.extensions import socketio
from tests.factories import PASSWORD
from tests.test_access import ROLES, log_in, people, snapshot  # noqa: F401  (fixture)

PARTIES = {"owner", "other"}
OUTSIDERS = {"unverified", "third", "blocked", "moderator", "admin"}
NO_SOCKET = {"anonymous", "deleted"}


def payload(event: str, conversation_id: int):
    return {
        "send": {"conversation_id": conversation_id, "client_id": "matrix-1", "body": "Hello!"},
        "sync": {"conversations": {str(conversation_id): 0}},
        "history": {"conversation_id": conversation_id, "before_seq": 10},
        "read": {"conversation_id": conversation_id, "seq": 0},
        "typing": {"conversation_id": conversation_id},
        "presence": {"conversation_id": conversation_id},
    }[event]


# event -> what each role gets: "ok", "not_found" (refused, nothing changed),
# or, for sync, "errors" (an answer whose errors name the conversation).
EVENTS = {
    "send": {**dict.fromkeys(PARTIES, "ok"), **dict.fromkeys(OUTSIDERS, "not_found")},
    "sync": {**dict.fromkeys(PARTIES, "ok"), **dict.fromkeys(OUTSIDERS, "errors")},
    "history": {**dict.fromkeys(PARTIES, "ok"), **dict.fromkeys(OUTSIDERS, "not_found")},
    "read": {**dict.fromkeys(PARTIES, "ok"), **dict.fromkeys(OUTSIDERS, "not_found")},
    "typing": {**dict.fromkeys(PARTIES, "ok"), **dict.fromkeys(OUTSIDERS, "not_found")},
    "presence": {**dict.fromkeys(PARTIES, "ok"), **dict.fromkeys(OUTSIDERS, "not_found")},
}
# Handled by the connection itself (the rows are test_connect_* below).
CONNECTION_EVENTS = {"connect", "disconnect"}


def test_every_event_has_a_row(app):
    registered = set(socketio.server.handlers.get("/", {}))
    missing = sorted(registered - set(EVENTS) - CONNECTION_EVENTS)
    assert not missing, f"Socket.IO events without a row in the matrix: {missing}"
    stale = sorted(set(EVENTS) - registered)
    assert not stale, f"rows for events the server no longer has: {stale}"


def socket_for(app, client, role: str):
    if role != "anonymous":
        log_in(client, f"{role}@example.com")
    if role == "deleted":
        db.session.rollback()
        accounts.delete_account(accounts.find_by_email("deleted@example.com"), PASSWORD)
        db.session.commit()
    return socketio.test_client(app, flask_test_client=client)


@pytest.mark.parametrize("settings", [{"WTF_CSRF_ENABLED": True}], ids=["csrf"])
@pytest.mark.parametrize("role", ROLES)
def test_connect(app, people, client, role):  # noqa: F811
    sio = socket_for(app, client, role)
    try:
        assert sio.is_connected() == (role not in NO_SOCKET), role
    finally:
        if sio.is_connected():
            sio.disconnect()


@pytest.mark.parametrize("settings", [{"WTF_CSRF_ENABLED": True}], ids=["csrf"])
@pytest.mark.parametrize("role", sorted(PARTIES | OUTSIDERS))
@pytest.mark.parametrize("event", sorted(EVENTS))
def test_event(app, people, client, event, role):  # noqa: F811
    sio = socket_for(app, client, role)
    try:
        expected = EVENTS[event][role]
        before = snapshot() if expected != "ok" else None
        answer = sio.emit(event, payload(event, people["conversation_id"]), callback=True)
        if expected == "ok":
            assert answer["ok"] is True, (event, role, answer)
        elif expected == "errors":
            assert answer["ok"] is True and str(people["conversation_id"]) in answer["errors"]
            assert not answer["messages"]
        else:
            assert answer["ok"] is False and answer["error"]["code"] == expected, answer
        if before is not None:
            assert snapshot() == before, f"{event} as {role} changed the database"
    finally:
        sio.disconnect()
