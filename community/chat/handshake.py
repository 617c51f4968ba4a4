"""The gate in front of Socket.IO: refuse a connection before it costs a thread.

In threading mode each open websocket holds one server thread for its whole
life, and python-socketio's ``connect`` handler (where the login is checked)
only runs once the client sends its CONNECT packet, after the upgrade. A
client that upgrades and then says nothing would hold a thread until the
ping timeout; a thousand of them would stop page requests. So this WSGI
middleware answers every new Engine.IO connection (a request under the
Socket.IO path without a ``sid``) itself, with a plain HTTP error and no
upgrade, unless all of these hold:

- the Origin is this site's: required on a websocket handshake (browsers
  always send it there); on a polling handshake, checked when present
  (browsers leave it out of same-origin GETs);
- the request carries a valid login session (the same cookie check as any
  page: one query, none when there is no cookie at all);
- the member has fewer than ``SOCKET_MAX_PER_MEMBER`` live sockets (in
  every web process: counted in the presence store) and the address fewer
  than ``SOCKET_MAX_PER_ADDRESS`` in this process (threads are per process).

Requests of a connection already made (with a ``sid``) go straight through:
Engine.IO refuses unknown sids itself.
"""

from __future__ import annotations

import threading
from collections import Counter
from collections.abc import Callable
from urllib.parse import parse_qs

from flask import Flask
from flask_login import current_user

from community.chat.push import presence
from community.network_address import client_address


class AddressCounts:
    """Live sockets per client address, in this process (sid -> address)."""

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._by_sid: dict[str, str] = {}
        self._counts: Counter[str] = Counter()

    def add(self, sid: str, address: str) -> None:
        with self._lock:
            if sid not in self._by_sid:
                self._by_sid[sid] = address
                self._counts[address] += 1

    def remove(self, sid: str) -> None:
        with self._lock:
            address = self._by_sid.pop(sid, None)
            if address is not None:
                self._counts[address] -= 1
                if self._counts[address] <= 0:
                    del self._counts[address]

    def count(self, address: str) -> int:
        with self._lock:
            return self._counts.get(address, 0)


class SocketGate:
    """WSGI middleware: see the module docstring."""

    def __init__(
        self,
        app: Flask,
        wsgi_app: Callable,
        accept_origin: Callable[[str | None, dict], bool],
        path: str = "socket.io",
    ) -> None:
        self.app = app
        self.wsgi_app = wsgi_app
        self.accept_origin = accept_origin
        self.prefix = "/" + path.strip("/")

    def __call__(self, environ: dict, start_response):
        path = environ.get("PATH_INFO", "")
        if path == self.prefix or path.startswith(self.prefix + "/"):
            query = parse_qs(environ.get("QUERY_STRING", ""))
            if "sid" not in query:
                refusal = self.refusal(environ, query)
                if refusal is not None:
                    status, text = refusal
                    body = text.encode()
                    start_response(
                        status,
                        [
                            ("Content-Type", "text/plain; charset=utf-8"),
                            ("Content-Length", str(len(body))),
                            ("Connection", "close"),
                        ],
                    )
                    return [body]
        return self.wsgi_app(environ, start_response)

    def refusal(self, environ: dict, query: dict) -> tuple[str, str] | None:
        """Why this new connection is refused (an HTTP status and text), or None."""
        origin = environ.get("HTTP_ORIGIN")
        websocket = query.get("transport", [""])[0] == "websocket" or (
            environ.get("HTTP_UPGRADE", "").lower() == "websocket"
        )
        if websocket and not origin:
            return "403 Forbidden", "A websocket needs this site's Origin."
        if origin and not self.accept_origin(origin, environ):
            return "403 Forbidden", "Not an accepted origin."
        if not _has_cookie(environ, self.app):
            return "401 Unauthorized", "Please log in to chat."
        with self.app.request_context(environ):
            if not current_user.is_authenticated:
                return "401 Unauthorized", "Please log in to chat."
            config = self.app.config
            if len(presence().sids_of_user(current_user.id)) >= config["SOCKET_MAX_PER_MEMBER"]:
                return "429 Too Many Requests", "Too many open chat connections."
            counts: AddressCounts = self.app.extensions["kindred_socket_addresses"]
            if counts.count(client_address()) >= config["SOCKET_MAX_PER_ADDRESS"]:
                return "429 Too Many Requests", "Too many open chat connections."
        return None


def _has_cookie(environ: dict, app: Flask) -> bool:
    """Whether the request carries a session or remember-me cookie at all
    (without one nobody is logged in, and no query is needed to know it)."""
    cookies = environ.get("HTTP_COOKIE", "")
    names = (
        app.config.get("SESSION_COOKIE_NAME") or "session",
        app.config.get("REMEMBER_COOKIE_NAME") or "remember_token",
    )
    return any(f"{name}=" in cookies for name in names)
