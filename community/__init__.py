"""Kindred: a community where authors help each other and pay it forward.

This module is the app factory, the top of the import order: it wires every
area together (extensions, blueprints, Socket.IO handlers, jobs, the CLI),
and no module of the package imports it but the job runner of a fresh RQ
worker (see docs/ARCHITECTURE.md).
"""

from __future__ import annotations

from functools import partial
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

from flask import Flask
from werkzeug.middleware.proxy_fix import ProxyFix
from werkzeug.routing import IntegerConverter

from community import jobs, models  # noqa: F401  (models: maps every table)
from community.accounts import sessions
from community.accounts.views import bp as accounts_bp
from community.admin.views import bp as admin_bp
from community.chat import realtime
from community.chat.handshake import SocketGate
from community.chat.views import bp as chat_bp
from community.cli import register_cli
from community.config import load_config
from community.db import ID_MAX, install_session_hooks
from community.extensions import csrf, db, limiter, login_manager, migrate, socketio
from community.helping import board_cache, withdrawal
from community.helping.views import bp as helping_bp
from community.kindness.views import bp as kindness_bp
from community.manuscripts.views import bp as manuscripts_bp
from community.moderation.views import bp as moderation_bp
from community.network.views import bp as network_bp
from community.notifications.views import bp as notifications_bp
from community.profiles.views import bp as profiles_bp
from community.site import errors, security
from community.site.templating import register_template_helpers
from community.site.views import bp as site_bp
from community.waiting.views import bp as waiting_bp

ROOT = Path(__file__).resolve().parent.parent


class DatabaseId(IntegerConverter):
    """``<int:...>`` in a route: an id, 1 to ID_MAX (anything else is a 404)."""

    def __init__(self, map, fixed_digits=0, min=1, max=ID_MAX, signed=False):
        super().__init__(map, fixed_digits=fixed_digits, min=min, max=max, signed=signed)


def create_app(config: dict[str, Any] | None = None) -> Flask:
    """Build the application: config -> extensions -> areas -> CLI -> error pages.

    ``config`` overrides settings read from the environment (tests use it).
    """
    app = Flask(
        __name__,
        instance_path=str((config or {}).get("INSTANCE_PATH") or ROOT / "instance"),
        template_folder=str(ROOT / "templates"),
        static_folder="static",
    )
    # Ids in paths fit the database's integer columns: a larger number is a
    # 404, not a PostgreSQL "integer out of range" error.
    app.url_map.converters["int"] = DatabaseId
    Path(app.instance_path).mkdir(parents=True, exist_ok=True)
    app.config.from_mapping(load_config(Path(app.instance_path), config))

    _init_extensions(app)
    # Outermost, so that Socket.IO's gate and Engine.IO see the client's
    # address too, not only Flask's views.
    if app.config["TRUSTED_PROXY_COUNT"]:
        count = app.config["TRUSTED_PROXY_COUNT"]
        app.wsgi_app = ProxyFix(app.wsgi_app, x_for=count, x_proto=count, x_host=0)
    _register_areas(app)
    _register_cli(app)

    errors.register(app)
    security.register(app)
    return app


def _init_extensions(app: Flask) -> None:
    db.init_app(app)
    install_session_hooks()
    board_cache.install()
    migrate.init_app(app, db, directory=str(ROOT / "migrations"), render_as_batch=True)
    csrf.init_app(app)
    limiter.init_app(app)
    login_manager.init_app(app)
    queue = app.config["SOCKETIO_MESSAGE_QUEUE"]
    socketio.init_app(
        app,
        message_queue=queue,
        # Flask-SocketIO keeps the queue it built for an earlier app in its
        # options; an app without a queue says so, or it would inherit one.
        **({} if queue else {"client_manager": None}),
        # Threading, chosen by measurement: see docs/BENCHMARKS.md (live chat).
        async_mode="threading",
        cors_allowed_origins=partial(_same_origin, app.config["BASE_URL"]),
        # A chat message is at most 4,000 characters (16 kB of UTF-8 at worst).
        max_http_buffer_size=32 * 1024,
    )
    # New Socket.IO connections are refused before the upgrade unless logged
    # in, from this site, and within the caps (community/chat/handshake.py).
    app.wsgi_app = SocketGate(app, app.wsgi_app, partial(_same_origin, app.config["BASE_URL"]))
    jobs.init_app(app)
    realtime.init_app(app)


def _same_origin(base_url: str | None, origin: str | None, environ: dict) -> bool:
    """Accept a Socket.IO handshake only from this site's own pages: the Origin is
    the configured BASE_URL, or the scheme and host the request was sent to.
    A request with no Origin is judged by the gate in front (a websocket
    handshake needs one: community/chat/handshake.py)."""
    if not origin:
        return True
    if base_url and origin == _origin_of(base_url):
        return True
    host = environ.get("HTTP_HOST")
    return bool(host) and origin == f"{environ.get('wsgi.url_scheme', 'http')}://{host}"


def _origin_of(url: str) -> str:
    parts = urlsplit(url)
    return f"{parts.scheme}://{parts.netloc}"


def _register_areas(app: Flask) -> None:
    sessions.init_app(app)
    withdrawal.connect_signals()
    app.register_blueprint(site_bp)
    app.register_blueprint(accounts_bp)
    app.register_blueprint(profiles_bp)
    app.register_blueprint(helping_bp)
    app.register_blueprint(kindness_bp)
    app.register_blueprint(manuscripts_bp)
    app.register_blueprint(network_bp)
    app.register_blueprint(chat_bp)
    app.register_blueprint(notifications_bp)
    app.register_blueprint(admin_bp)
    app.register_blueprint(moderation_bp)
    app.register_blueprint(waiting_bp)
    register_template_helpers(app)


def _register_cli(app: Flask) -> None:
    register_cli(app)
