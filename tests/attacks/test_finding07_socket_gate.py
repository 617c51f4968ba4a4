"""Finding 7: unauthenticated websockets must not take a process's threads.

Before: a websocket handshake without Origin or login was upgraded, and the
login check ran only at Socket.IO's CONNECT; a client that then said nothing
held a server thread until the ping timeout. Now the gate in front of
Engine.IO (community/chat/handshake.py) answers such attempts with a plain
HTTP error, before any upgrade; live sockets are capped per member and per
address; typing, read, sync and history are limited per connection.
Real server on loopback, raw sockets and real python-socketio clients.
"""

from __future__ import annotations

import socket
import threading
from urllib.parse import urlsplit

import pytest
import requests
import socketio

from tests.chat.conftest import WAIT, cookie_header, wait_until

ATTEMPTS = 2000
BATCH = 200  # open at once: bounded, well under the file-descriptor limit


def _handshake(host: str, port: int, *, origin: str | None, cookie: str | None) -> socket.socket:
    raw = socket.create_connection((host, port), timeout=WAIT)
    lines = [
        "GET /socket.io/?EIO=4&transport=websocket HTTP/1.1",
        f"Host: {host}:{port}",
        "Upgrade: websocket",
        "Connection: Upgrade",
        "Sec-WebSocket-Key: dGhlIHNhbXBsZSBub25jZQ==",
        "Sec-WebSocket-Version: 13",
    ]
    if origin:
        lines.append(f"Origin: {origin}")
    if cookie:
        lines.append(f"Cookie: {cookie}")
    raw.sendall(("\r\n".join(lines) + "\r\n\r\n").encode())
    return raw


def _status(raw: socket.socket) -> int:
    head = b""
    while b"\r\n" not in head:
        chunk = raw.recv(1024)
        if not chunk:
            break
        head += chunk
    return int(head.split(b" ", 2)[1])


def test_2000_unauthenticated_attempts_hold_no_thread_and_pages_still_answer(server, pair):
    parts = urlsplit(server.url)
    host, port = parts.hostname, parts.port
    threads_before = threading.active_count()
    kinds = [
        {"origin": None, "cookie": None},  # a raw client: no Origin, no login
        {"origin": server.url, "cookie": None},  # the site's Origin, no login
        {"origin": server.url, "cookie": "kindred_session=forged"},  # a forged cookie
        {"origin": "http://evil.example", "cookie": None},
    ]
    refused = 0
    for start in range(0, ATTEMPTS, BATCH):
        batch = [
            _handshake(host, port, **kinds[n % len(kinds)]) for n in range(start, start + BATCH)
        ]
        statuses = [_status(raw) for raw in batch]
        assert all(status in (401, 403) for status in statuses), set(statuses)
        refused += len(statuses)
        # The attacker keeps every socket open; the server holds no thread for them.
        assert wait_until(lambda: threading.active_count() < threads_before + 20)
        assert requests.get(f"{server.url}/login", timeout=WAIT).status_code == 200
        for raw in batch:
            raw.close()
    assert refused == ATTEMPTS


def _client(member_browser, headers=None) -> socketio.Client:
    client = socketio.Client(reconnection=False)
    client.connect(
        member_browser.url,
        headers={"Cookie": cookie_header(member_browser.http), **(headers or {})},
        transports=["websocket"],
        wait_timeout=WAIT,
    )
    return client


@pytest.mark.parametrize("settings", [{"SOCKET_MAX_PER_MEMBER": 2}])
def test_connections_per_member_are_capped(server, pair, member):
    ann = member("ann@example.com")
    second = _client(ann)
    try:
        with pytest.raises(socketio.exceptions.ConnectionError):
            _client(ann)
        second.disconnect()
        assert wait_until(lambda: _try(ann))  # a place is free again
    finally:
        second.disconnect()


def _try(browser) -> bool:
    try:
        client = _client(browser)
    except socketio.exceptions.ConnectionError:
        return False
    client.disconnect()
    return True


@pytest.mark.parametrize("settings", [{"SOCKET_MAX_PER_ADDRESS": 2}])
def test_connections_per_address_are_capped(server, pair, member):
    member("ann@example.com")
    member("ben@example.com")
    ben_again = member("ben@example.com", connect=False)
    with pytest.raises(socketio.exceptions.ConnectionError):
        ben_again.connect()


@pytest.mark.parametrize(
    "settings",
    [
        {
            "SOCKET_EVENT_LIMITS": {
                "typing": "3 per hour",
                "read": "3 per hour",
                "sync": "3 per hour",
                "history": "3 per hour",
            }
        }
    ],
)
@pytest.mark.parametrize("event", ["typing", "read", "sync", "history"])
def test_events_are_limited_per_connection(server, pair, member, event):
    data = (
        {"conversations": {str(pair.conversation.id): 0}}
        if event == "sync"
        else {"conversation_id": pair.conversation.id}
    )
    ann = member("ann@example.com")
    for _ in range(3):
        assert ann.call(event, data)["ok"] is True
    over = ann.call(event, data)
    assert over["ok"] is False and over["error"]["code"] == "rate_limited"
    # Another connection has its own budget.
    other_tab = member("ann@example.com")
    assert other_tab.call(event, data)["ok"] is True
