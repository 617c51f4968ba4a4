"""Which address a request came from, for rate limits and audit.

``request.remote_addr`` is the peer of the socket. Behind a reverse proxy it
is the proxy, and the client's address is in X-Forwarded-For, a header any
client can forge. ``create_app`` wraps the app in Werkzeug's ProxyFix only
when ``TRUSTED_PROXY_COUNT`` says how many proxies to trust, so a forged
header never changes the address that limits are keyed on.
"""

from flask import request


def client_address() -> str:
    return request.remote_addr or "unknown"
