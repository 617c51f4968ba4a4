"""Live chat with Redis down: every Socket.IO event still answers, and a
message is stored once and delivered to the members on this process.

The app is pointed at a Redis URL nobody listens on, for the presence
store, the Socket.IO message queue, the rate limits and the jobs.
"""

from __future__ import annotations

import pytest
from sqlalchemy import select

from community.chat.models import Message
from community.db import db
from community.extensions import limiter
from tests.support_smtp import free_port


@pytest.fixture
def app_config(app_config):
    dead = f"redis://127.0.0.1:{free_port()}/0"  # nobody listens there
    app_config.update(
        REDIS_URL=dead,
        SOCKETIO_MESSAGE_QUEUE=dead,
        RATELIMIT_STORAGE_URI=dead,
        RATELIMIT_ENABLED=True,
        CHAT_RATE_LIMIT="3 per minute",
    )
    limiter._storage_dead = False  # global to the extension: see tests/site/test_site_redis_down.py
    yield app_config
    limiter._storage_dead = False


def test_every_event_answers_and_messages_are_delivered_once(server, pair, member):
    ann, ben = member("ann@example.com"), member("ben@example.com")
    conversation_id = pair.conversation.id

    reply = ann.send(conversation_id, "Hello Ben, even without Redis.", "down-1")
    assert reply["ok"] is True
    assert ben.next("message")["id"] == reply["message"]["id"]
    again = ann.send(conversation_id, "Hello Ben, even without Redis.", "down-1")
    assert again["ok"] is True and again["duplicate"] is True  # a resend stores nothing
    assert ben.nothing("message")

    assert ann.call("typing", {"conversation_id": conversation_id})["ok"]
    assert ben.next("typing")["user_id"] == pair.ann.id
    presence = ben.call("presence", {"conversation_id": conversation_id})
    assert presence["ok"] is True and presence["online"] is True  # same process: known
    assert ben.call("read", {"conversation_id": conversation_id, "seq": 1}) == {
        "ok": True,
        "seq": 1,
    }
    assert ann.next("read")["seq"] == 1
    sync = ben.call("sync", {"conversations": {str(conversation_id): 0}})
    assert sync["ok"] is True
    assert [m["client_id"] for m in sync["messages"][str(conversation_id)]] == ["down-1"]
    history = ben.call("history", {"conversation_id": conversation_id})
    assert history["ok"] is True and len(history["messages"]) == 1

    # The chat's own rate limit counts in memory meanwhile.
    assert ann.send(conversation_id, "two")["ok"] and ann.send(conversation_id, "three")["ok"]
    flood = ann.send(conversation_id, "four")
    assert flood["ok"] is False and flood["error"]["code"] == "rate_limited"

    db.session.rollback()
    bodies = db.session.scalars(
        select(Message.body).where(Message.conversation_id == conversation_id)
    ).all()
    assert sorted(bodies) == sorted(["Hello Ben, even without Redis.", "two", "three"])


def test_disconnecting_and_reconnecting_works(server, pair, member):
    ann = member("ann@example.com")
    ann.close()
    ann.connect()
    assert ann.send(pair.conversation.id, "back again")["ok"] is True
