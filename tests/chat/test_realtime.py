"""Socket.IO chat against a real server on loopback, with real python-socketio
clients: handshake, sending, idempotence, access, limits, catch-up, logout."""

from __future__ import annotations

import contextlib
import threading

import pytest
import socketio
from sqlalchemy import select

from community import blocking
from community.chat import realtime
from community.chat.models import Message
from community.db import db
from tests.chat.conftest import WAIT, cookie_header, wait_until


def stored(conversation_id: int) -> list[Message]:
    db.session.rollback()  # see what the server committed
    return list(
        db.session.scalars(
            select(Message).where(Message.conversation_id == conversation_id).order_by(Message.seq)
        )
    )


# --- the handshake ------------------------------------------------------------------


def test_a_handshake_without_a_login_is_refused(server, pair):
    client = socketio.Client(reconnection=False)
    with pytest.raises(socketio.exceptions.ConnectionError):
        client.connect(server.url, transports=["websocket"], wait_timeout=WAIT)
    assert not client.connected


def test_a_handshake_with_a_forged_cookie_is_refused(server, pair):
    client = socketio.Client(reconnection=False)
    with pytest.raises(socketio.exceptions.ConnectionError):
        client.connect(
            server.url,
            headers={"Cookie": "kindred_session=forged.value"},
            transports=["websocket"],
            wait_timeout=WAIT,
        )


def test_a_polling_handshake_from_a_foreign_origin_is_refused(server, pair, member):
    ann = member("ann@example.com", connect=False)
    with pytest.raises(socketio.exceptions.ConnectionError):
        ann.connect(headers={"Origin": "http://evil.example"}, transports=["polling"])
    assert not ann.sio.connected


@pytest.mark.parametrize(
    ("origin", "accepted"), [("http://evil.example", False), ("{own}", True), ("null", False)]
)
def test_a_websocket_handshake_needs_the_sites_own_origin(server, pair, member, origin, accepted):
    import websocket

    ann = member("ann@example.com", connect=False)
    url = server.url.replace("http://", "ws://") + "/socket.io/?EIO=4&transport=websocket"
    options = {"header": [f"Cookie: {cookie_header(ann.http)}"], "timeout": WAIT}
    if accepted:
        connection = websocket.create_connection(
            url, origin=origin.format(own=server.url), **options
        )
        assert connection.recv().startswith("0")  # the Engine.IO open packet
        connection.close()
    else:
        with pytest.raises(websocket.WebSocketBadStatusException):
            websocket.create_connection(url, origin=origin, **options)


def test_a_python_client_with_the_sites_origin_connects(server, pair, member):
    ann = member("ann@example.com")  # websocket-client sends the server's own Origin
    assert ann.sio.connected


# --- sending and receiving -----------------------------------------------------------------


def test_a_message_is_stored_then_delivered_to_both_members(server, pair, member):
    ann, ben = member("ann@example.com"), member("ben@example.com")
    reply = ann.send(pair.conversation.id, "Hello Ben! What drew you to fantasy?", "first-1")
    assert reply["ok"] is True
    sent = reply["message"]
    assert sent["seq"] == 1 and sent["client_id"] == "first-1" and sent["id"] > 0
    assert sent["created_at"]
    received = ben.next("message")
    assert received["id"] == sent["id"] and received["body"] == sent["body"]
    assert received["sender_name"] == "Ann Author"
    assert ann.next("message")["id"] == sent["id"]  # Ann's other tabs see it too
    assert [m.body for m in stored(pair.conversation.id)] == [sent["body"]]


def test_links_are_clickable_and_nothing_else_is_html(server, pair, member):
    ann = member("ann@example.com")
    body = "<b>bold?</b> see https://example.com/query?a=1&b=2."
    html = ann.send(pair.conversation.id, body)["message"]["html"]
    assert "<b>" not in html and "&lt;b&gt;" in html
    assert '<a href="https://example.com/query?a=1&amp;b=2"' in html


def test_sending_the_same_client_id_twice_stores_it_once(server, pair, member):
    ann, ben = member("ann@example.com"), member("ben@example.com")
    first = ann.send(pair.conversation.id, "Only once, please", "same-id")
    again = ann.send(pair.conversation.id, "Only once, please", "same-id")
    assert first["ok"] and again["ok"]
    assert again["message"]["id"] == first["message"]["id"]
    assert again["duplicate"] is True and first["duplicate"] is False
    assert len(stored(pair.conversation.id)) == 1
    assert ben.next("message")["id"] == first["message"]["id"]
    assert ben.nothing("message")


def test_a_resend_racing_from_two_connections_stores_one_message(server, pair, member):
    one, two = member("ann@example.com"), member("ann@example.com")
    replies = []
    threads = [
        threading.Thread(
            target=lambda c=c: replies.append(c.send(pair.conversation.id, "Hi", "race-id"))
        )
        for c in (one, two)
    ]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert all(reply["ok"] for reply in replies)
    assert len({reply["message"]["id"] for reply in replies}) == 1
    assert len(stored(pair.conversation.id)) == 1


@pytest.mark.parametrize(
    ("body", "code"),
    [
        ("", "invalid"),
        ("   \n\t ", "invalid"),
        ("x" * 4001, "invalid"),
        (None, "invalid"),
        (["not", "text"], "invalid"),
    ],
)
def test_bad_messages_are_refused_with_a_clear_error(server, pair, member, body, code):
    ann, ben = member("ann@example.com"), member("ben@example.com")
    reply = ann.call(
        "send", {"conversation_id": pair.conversation.id, "client_id": "bad-1", "body": body}
    )
    assert reply["ok"] is False
    assert reply["error"]["code"] == code and reply["error"]["message"]
    assert stored(pair.conversation.id) == []
    assert ben.nothing("message")


def test_the_longest_message_allowed_goes_through(server, pair, member):
    ann = member("ann@example.com")
    assert ann.send(pair.conversation.id, "é" * 4000)["ok"] is True


@pytest.mark.parametrize(
    "data",
    [
        None,
        "a string",
        {"conversation_id": "abc", "client_id": "x", "body": "hi"},
        {"conversation_id": True, "client_id": "x", "body": "hi"},
        {"conversation_id": 1, "client_id": "has spaces", "body": "hi"},
        {"conversation_id": 1, "client_id": "x" * 65, "body": "hi"},
        {"conversation_id": 1, "body": "hi"},
    ],
)
def test_malformed_events_get_an_error_not_a_crash(server, pair, member, data):
    ann = member("ann@example.com")
    reply = ann.call("send", data)
    assert reply["ok"] is False and reply["error"]["message"]
    assert ann.send(pair.conversation.id, "still fine")["ok"] is True


def test_control_characters_are_dropped(server, pair, member):
    ann = member("ann@example.com")
    reply = ann.send(pair.conversation.id, "nul\x00 and bell\x07 gone\r\nnew line")
    assert reply["message"]["body"] == "nul and bell gone\nnew line"


def test_an_oversized_packet_drops_only_that_connection(server, pair, member):
    ann, ben = member("ann@example.com"), member("ben@example.com")
    with contextlib.suppress(Exception):
        ann.sio.emit(
            "send",
            {"conversation_id": pair.conversation.id, "client_id": "huge", "body": "x" * 200_000},
        )
    assert wait_until(lambda: not ann.sio.connected)
    assert stored(pair.conversation.id) == []
    assert ben.sio.connected
    assert ben.send(pair.conversation.id, "I am still here")["ok"] is True


@pytest.mark.parametrize("settings", [{"CHAT_RATE_LIMIT": "5 per minute"}])
def test_a_flood_is_refused_and_other_members_are_unaffected(server, pair, member):
    ann, ben = member("ann@example.com"), member("ben@example.com")
    replies = [ann.send(pair.conversation.id, f"message {n}") for n in range(7)]
    assert [reply["ok"] for reply in replies] == [True] * 5 + [False] * 2
    assert replies[-1]["error"]["code"] == "rate_limited"
    assert "5 per minute" in replies[-1]["error"]["message"]
    assert len(stored(pair.conversation.id)) == 5
    assert ben.send(pair.conversation.id, "my own limit is untouched")["ok"] is True
    # A resend of a stored message is not a new message: it is not refused.
    first_id = replies[0]["message"]["client_id"]
    assert ann.send(pair.conversation.id, "message 0", first_id)["ok"] is True


# --- who may talk ---------------------------------------------------------------------------


def test_a_non_participant_can_neither_send_read_nor_listen(server, pair, member, make_user):
    make_user(email="cat@example.com", display_name="Cat Curious")
    ann, ben, cat = member("ann@example.com"), member("ben@example.com"), member("cat@example.com")
    conversation_id = pair.conversation.id
    assert ann.send(conversation_id, "A private word")["ok"]
    refused = cat.send(conversation_id, "Let me in")
    assert refused == {
        "ok": False,
        "error": {"code": "not_found", "message": "We could not find that conversation."},
    }
    sync = cat.call("sync", {"conversations": {str(conversation_id): 0}})
    assert sync["ok"] and sync["messages"] == {}
    assert sync["errors"][str(conversation_id)]["code"] == "not_found"
    for event, data in [
        ("history", {"conversation_id": conversation_id}),
        ("read", {"conversation_id": conversation_id, "seq": 1}),
        ("typing", {"conversation_id": conversation_id}),
        ("presence", {"conversation_id": conversation_id}),
    ]:
        reply = cat.call(event, data)
        assert reply["ok"] is False and reply["error"]["code"] == "not_found", event
    assert [m.body for m in stored(conversation_id)] == ["A private word"]
    assert cat.nothing("message") and cat.nothing("typing", 0.1) and cat.nothing("read", 0.1)
    assert ben.next("message")["body"] == "A private word"
    assert ben.nothing("message") and ben.nothing("typing", 0.1)


def test_an_unverified_member_cannot_send(server, pair, member, make_user):
    from community.chat.models import ConversationMember

    una = make_user(email="una@example.com", display_name="Una", unverified=True)
    db.session.add(ConversationMember(conversation_id=pair.conversation.id, user_id=una.id))
    db.session.commit()
    reply = member("una@example.com").send(pair.conversation.id, "hello")
    assert reply["ok"] is False and reply["error"]["code"] == "refused"
    assert "confirm your email" in reply["error"]["message"]


def test_a_cancelled_match_closes_the_conversation(server, pair, member):
    from community.helping import matches

    ann = member("ann@example.com")
    assert ann.send(pair.conversation.id, "before")["ok"]
    db.session.rollback()
    matches.cancel_match(pair.ann, pair.match, "My plans changed.")
    db.session.commit()
    reply = ann.send(pair.conversation.id, "after")
    assert reply["ok"] is False and reply["error"]["code"] == "refused"
    # The history stays readable.
    assert [
        m["body"]
        for m in ann.call("history", {"conversation_id": pair.conversation.id})["messages"]
    ] == ["before"]


def test_blocking_stops_sending_both_ways_and_tells_both(server, pair, member):
    from community.helping.models import MatchStatus

    ann, ben = member("ann@example.com"), member("ben@example.com")
    db.session.rollback()
    blocking.block(pair.ann, pair.ben)
    db.session.commit()
    for browser in (ann, ben):
        event = browser.next("blocked")
        assert event["blocked"] is True and pair.conversation.id in event["conversation_ids"]
    for browser in (ann, ben):
        reply = browser.send(pair.conversation.id, "hello?")
        assert reply["ok"] is False and reply["error"]["code"] == "refused"
        typing = browser.call("typing", {"conversation_id": pair.conversation.id})
        assert typing["ok"] is False
    assert stored(pair.conversation.id) == []
    db.session.refresh(pair.match)
    assert pair.match.status == MatchStatus.CANCELLED


# --- live extras -------------------------------------------------------------------------------


def test_typing_reaches_the_other_member_only_and_is_not_stored(server, pair, member):
    ann, ben = member("ann@example.com"), member("ben@example.com")
    assert ann.call("typing", {"conversation_id": pair.conversation.id})["ok"]
    event = ben.next("typing")
    assert event == {
        "conversation_id": pair.conversation.id,
        "user_id": pair.ann.id,
        "name": "Ann Author",
    }
    assert ann.nothing("typing")
    assert stored(pair.conversation.id) == []


def test_read_receipts_and_unread_counts(server, pair, member):
    ann, ben = member("ann@example.com"), member("ben@example.com")
    for n in range(3):
        assert ann.send(pair.conversation.id, f"news {n}")["ok"]
    from community.chat.service import unread_counts

    db.session.rollback()
    assert unread_counts(pair.ben.id) == {pair.conversation.id: 3}
    assert unread_counts(pair.ann.id) == {}
    reply = ben.call("read", {"conversation_id": pair.conversation.id, "seq": 2})
    assert reply == {"ok": True, "seq": 2}
    assert ann.next("read") == {
        "conversation_id": pair.conversation.id,
        "user_id": pair.ben.id,
        "seq": 2,
    }
    assert ben.next("unread") == {"conversation_id": pair.conversation.id, "count": 1, "total": 1}
    # Never backwards, never past the end.
    assert ben.call("read", {"conversation_id": pair.conversation.id, "seq": 1})["seq"] == 2
    assert ben.call("read", {"conversation_id": pair.conversation.id, "seq": 99})["seq"] == 3
    db.session.rollback()
    assert unread_counts(pair.ben.id) == {}


def test_presence_online_then_last_seen(server, pair, member):
    ann = member("ann@example.com")
    ben = member("ben@example.com", connect=False)
    reply = ann.call("presence", {"conversation_id": pair.conversation.id})
    assert reply["ok"] and reply["online"] is False
    ben.connect()
    assert ann.next("presence") == {"user_id": pair.ben.id, "online": True, "last_seen": None}
    assert ann.call("presence", {"conversation_id": pair.conversation.id})["online"] is True
    ben.close()
    gone = ann.next("presence")
    assert gone["user_id"] == pair.ben.id and gone["online"] is False and gone["last_seen"]
    reply = ann.call("presence", {"conversation_id": pair.conversation.id})
    assert reply["online"] is False and reply["last_seen"]


def test_moving_to_another_page_is_not_announced_as_going_offline(
    server, pair, member, monkeypatch
):
    """The old page's socket closes, and while its handler records last_seen
    the new page's socket connects and Ben is announced online: the old
    handler must not then announce him offline."""
    ann = member("ann@example.com")
    ben = member("ben@example.com")
    assert ann.next("presence")["online"] is True
    writing, reconnected = threading.Event(), threading.Event()
    record_last_seen = realtime._record_last_seen

    def slow_record_last_seen(user_id, now):
        writing.set()
        reconnected.wait(WAIT)
        return record_last_seen(user_id, now)

    monkeypatch.setattr(realtime, "_record_last_seen", slow_record_last_seen)
    ben.close()  # the old page goes
    assert writing.wait(WAIT)
    ben.connect()  # the new page comes
    assert ann.next("presence") == {"user_id": pair.ben.id, "online": True, "last_seen": None}
    reconnected.set()
    assert ann.nothing("presence", within=1.0)
    reply = ann.call("presence", {"conversation_id": pair.conversation.id})
    assert reply["online"] is True


# --- catch-up -------------------------------------------------------------------------------------


@pytest.mark.parametrize("settings", [{"CHAT_RATE_LIMIT": "1000 per minute"}])
def test_catch_up_after_a_forced_disconnect_during_a_burst(server, pair, member):
    """Ben's connection is cut while Ann sends 200 messages; when he comes back
    and asks for what follows the last message he holds, he ends with every
    stored message exactly once and in order."""
    ann, ben = member("ann@example.com"), member("ben@example.com")
    conversation_id = pair.conversation.id
    total = 200
    cut = threading.Event()

    def burst():
        for n in range(total):
            assert ann.send(conversation_id, f"burst {n}", f"burst-{n}")["ok"]
            if n == 60:
                cut.set()

    sender = threading.Thread(target=burst)
    sender.start()
    cut.wait(WAIT)
    ben.sio.disconnect()  # the network drops mid-burst
    held = {m["seq"]: m for m in ben.drain("message")}
    sender.join(timeout=60)
    assert not sender.is_alive()

    ben.connect()
    last = 0
    while last + 1 in held:
        last += 1
    received = list(held.values())
    while True:
        reply = ben.call("sync", {"conversations": {str(conversation_id): last}})
        assert reply["ok"]
        batch = reply["messages"][str(conversation_id)]
        received.extend(batch)
        if batch:
            last = batch[-1]["seq"]
        if str(conversation_id) not in reply["more"]:
            break
    # What a client shows: drop duplicates by id, order by seq.
    shown = {m["id"]: m for m in received}
    seqs = sorted(m["seq"] for m in shown.values())
    assert seqs == list(range(1, total + 1))
    bodies = [m["body"] for m in sorted(shown.values(), key=lambda m: m["seq"])]
    assert bodies == [f"burst {n}" for n in range(total)]
    assert len(stored(conversation_id)) == total


@pytest.mark.parametrize("settings", [{"CHAT_RATE_LIMIT": "1000 per minute"}])
def test_sync_pages_through_a_long_absence(server, pair, member, monkeypatch):
    from community.chat import service

    monkeypatch.setattr(service, "CATCH_UP_MAX", 7)
    ann, ben = member("ann@example.com"), member("ben@example.com")
    for n in range(10):
        assert ann.send(pair.conversation.id, f"m{n}")["ok"]
    first = ben.call("sync", {"conversations": {str(pair.conversation.id): 0}})
    assert [m["seq"] for m in first["messages"][str(pair.conversation.id)]] == list(range(1, 8))
    assert first["more"] == [str(pair.conversation.id)]
    second = ben.call("sync", {"conversations": {str(pair.conversation.id): 7}})
    assert [m["seq"] for m in second["messages"][str(pair.conversation.id)]] == [8, 9, 10]
    assert second["more"] == []


@pytest.mark.parametrize("settings", [{"CHAT_RATE_LIMIT": "1000 per minute"}])
def test_history_loads_older_messages(server, pair, member):
    ann = member("ann@example.com")
    for n in range(60):
        assert ann.send(pair.conversation.id, f"m{n}")["ok"]
    older = ann.call("history", {"conversation_id": pair.conversation.id, "before_seq": 11})
    assert [m["seq"] for m in older["messages"]] == list(range(1, 11))
    bad = ann.call("history", {"conversation_id": pair.conversation.id, "before_seq": -5})
    assert bad["ok"] is False


# --- sessions ------------------------------------------------------------------------------------


def test_logout_disconnects_that_browsers_socket(server, pair, member):
    ann, ben = member("ann@example.com"), member("ben@example.com")
    ann.http.post(f"{server.url}/logout", allow_redirects=False)
    assert ann.disconnected.wait(WAIT)
    assert not ben.disconnected.is_set()
    # The old cookie cannot open a new socket either.
    again = socketio.Client(reconnection=False)
    with pytest.raises(socketio.exceptions.ConnectionError):
        again.connect(
            server.url,
            headers={"Cookie": cookie_header(ann.http)},
            transports=["websocket"],
            wait_timeout=WAIT,
        )


def test_sign_out_everywhere_disconnects_every_socket_of_the_member(server, pair, member):
    phone, laptop = member("ann@example.com"), member("ann@example.com")
    ben = member("ben@example.com")
    laptop.http.post(f"{server.url}/account/sign-out-everywhere", allow_redirects=False)
    assert phone.disconnected.wait(WAIT) and laptop.disconnected.wait(WAIT)
    assert not ben.disconnected.is_set()


def test_a_password_change_disconnects_the_other_sessions(server, pair, member):
    phone, laptop = member("ann@example.com"), member("ann@example.com")
    response = laptop.http.post(
        f"{server.url}/account/password",
        data={
            "password-current_password": "correct horse battery",
            "password-new_password": "a brand new passphrase 2026",
        },
        allow_redirects=False,
    )
    assert response.status_code == 302, response.text[:500]
    assert phone.disconnected.wait(WAIT)


@pytest.mark.parametrize("number", [2**31, 2**40, -1])
def test_numbers_beyond_the_columns_are_refused_cleanly(server, pair, member, number):
    ann = member("ann@example.com")
    for event, data in [
        ("history", {"conversation_id": pair.conversation.id, "before_seq": number}),
        ("read", {"conversation_id": pair.conversation.id, "seq": number}),
        ("send", {"conversation_id": number, "client_id": "big", "body": "hi"}),
        ("sync", {"conversations": {str(number): 0}}),
    ]:
        reply = ann.call(event, data)
        if event == "sync":
            assert reply["errors"][str(number)]["code"] == "not_found"
        else:
            assert reply["ok"] is False and reply["error"]["code"] in {"invalid", "not_found"}


def test_a_huge_id_in_a_path_is_a_404(client, auth, pair):
    auth.login("ann@example.com")
    assert client.get(f"/chats/{2**40}").status_code == 404
    assert client.get(f"/requests/{2**40}").status_code == 404
