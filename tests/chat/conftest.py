"""Fixtures for chat: matched members, the app served on loopback, real
python-socketio clients logged in through the real login form."""

from __future__ import annotations

import functools
import queue
import re
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass, field

import pytest
import requests
import socketio
from werkzeug.serving import make_server

from tests.builders import make_match
from tests.factories import PASSWORD

WAIT = 10.0  # seconds a test waits for something that should come at once


@dataclass
class Pair:
    ann: object
    ben: object
    match: object
    conversation: object


@pytest.fixture
def pair(make_user) -> Pair:
    """Ann asked for help; Ben helps: matched, with their conversation."""
    ann = make_user(email="ann@example.com", display_name="Ann Author")
    ben = make_user(email="ben@example.com", display_name="Ben Beta")
    match, conversation = make_match(ann, ben)
    return Pair(ann, ben, match, conversation)


class Server:
    def __init__(self, app, url: str):
        self.app = app
        self.url = url


@pytest.fixture
def server(app):
    """``app`` (on SQLite or PostgreSQL) served with Socket.IO on loopback."""
    http = make_server("127.0.0.1", 0, app, threaded=True)
    thread = threading.Thread(target=http.serve_forever, daemon=True)
    thread.start()
    yield Server(app, f"http://127.0.0.1:{http.server_port}")
    http.shutdown()
    thread.join(timeout=10)


def login(url: str, email: str) -> requests.Session:
    """Log in through the real form (with its CSRF token when the app checks them)."""
    session = requests.Session()
    form = session.get(f"{url}/login").text
    token = re.search(r'name="csrf_token"[^>]*value="([^"]+)"', form)
    data = {"email": email, "password": PASSWORD}
    if token:
        data["csrf_token"] = token.group(1)
    response = session.post(f"{url}/login", data=data, allow_redirects=False)
    assert response.status_code == 302, f"{email} could not log in"
    return session


def csrf_post(session: requests.Session, url: str, path: str, data: dict | None = None):
    """POST a form the way a browser does: with the CSRF token of a page of the site."""
    page = session.get(f"{url}/account").text
    token = re.search(r'name="csrf_token"[^>]*value="([^"]+)"', page)
    return session.post(
        f"{url}{path}",
        data={**(data or {}), **({"csrf_token": token.group(1)} if token else {})},
        allow_redirects=False,
    )


def cookie_header(session: requests.Session) -> str:
    return "; ".join(f"{cookie.name}={cookie.value}" for cookie in session.cookies)


@dataclass
class Member:
    """A member's browser: an HTTP session and a Socket.IO client, with every
    event the server pushed kept in order per event name."""

    url: str
    http: requests.Session
    sio: socketio.Client = field(default_factory=lambda: socketio.Client(reconnection=False))
    events: dict[str, queue.Queue] = field(default_factory=dict)
    disconnected: threading.Event = field(default_factory=threading.Event)

    def __post_init__(self):
        for name in ("message", "read", "typing", "unread", "presence", "blocked"):
            self.events[name] = queue.Queue()
            self.sio.on(name, self._keeper(name))
        self.sio.on("disconnect", lambda *args: self.disconnected.set())

    def _keeper(self, name: str) -> Callable:
        return lambda data: self.events[name].put(data)

    def connect(self, headers: dict | None = None, transports=("websocket",)) -> None:
        self.disconnected.clear()
        self.sio.connect(
            self.url,
            headers={"Cookie": cookie_header(self.http), **(headers or {})},
            transports=list(transports),
            wait_timeout=WAIT,
        )

    def call(self, event: str, data=None) -> dict:
        return self.sio.call(event, data, timeout=WAIT)

    def send(self, conversation_id: int, body: str, client_id: str | None = None) -> dict:
        client_id = client_id or f"c{time.monotonic_ns()}"
        return self.call(
            "send", {"conversation_id": conversation_id, "client_id": client_id, "body": body}
        )

    def next(self, name: str, timeout: float = WAIT):
        return self.events[name].get(timeout=timeout)

    def nothing(self, name: str, within: float = 0.5) -> bool:
        """True when no ``name`` event arrives within ``within`` seconds."""
        try:
            self.events[name].get(timeout=within)
        except queue.Empty:
            return True
        return False

    def drain(self, name: str) -> list:
        items = []
        while True:
            try:
                items.append(self.events[name].get_nowait())
            except queue.Empty:
                return items

    def close(self) -> None:
        if not self.sio.connected:
            return
        # websocket-client waits up to 3 s for the server's answer to its close
        # frame, which the development server does not send: every chat test
        # paid 3 s per member in teardown. The engine.io "close" packet has
        # told the server already; the test does not wait for the frame.
        ws = getattr(self.sio.eio, "ws", None)
        if ws is not None:
            ws.close = functools.partial(ws.close, timeout=0.1)
        self.sio.disconnect()


@pytest.fixture
def member(server):
    """``member(email)``: that member, logged in, with a connected Socket.IO client."""
    made: list[Member] = []

    def make(email: str, connect: bool = True) -> Member:
        browser = Member(server.url, login(server.url, email))
        if connect:
            browser.connect()
        made.append(browser)
        return browser

    yield make
    for browser in made:
        browser.close()


def wait_until(predicate: Callable[[], bool], timeout: float = WAIT) -> bool:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if predicate():
            return True
        time.sleep(0.02)
    return predicate()
