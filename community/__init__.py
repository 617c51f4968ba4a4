"""Kindred: a community where authors help each other and pay it forward."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from flask import Flask
from werkzeug.middleware.proxy_fix import ProxyFix

from community.config import load_config

ROOT = Path(__file__).resolve().parent.parent


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
    Path(app.instance_path).mkdir(parents=True, exist_ok=True)
    app.config.from_mapping(load_config(Path(app.instance_path), config))

    if app.config["TRUSTED_PROXY_COUNT"]:
        count = app.config["TRUSTED_PROXY_COUNT"]
        app.wsgi_app = ProxyFix(app.wsgi_app, x_for=count, x_proto=count, x_host=0)

    _init_extensions(app)
    _register_areas(app)
    _register_cli(app)

    from community.site import errors, security

    errors.register(app)
    security.register(app)
    return app


def _init_extensions(app: Flask) -> None:
    from community import jobs, models  # noqa: F401  (maps every table)
    from community.db import install_session_hooks
    from community.extensions import csrf, db, limiter, login_manager, migrate, socketio

    db.init_app(app)
    install_session_hooks()
    migrate.init_app(app, db, directory=str(ROOT / "migrations"), render_as_batch=True)
    csrf.init_app(app)
    limiter.init_app(app)
    login_manager.init_app(app)
    socketio.init_app(
        app,
        message_queue=app.config["SOCKETIO_MESSAGE_QUEUE"],
        async_mode="threading",
        # Same-origin only: the browser's Origin must match the site.
        cors_allowed_origins=[app.config["BASE_URL"]] if app.config["BASE_URL"] else [],
        max_http_buffer_size=64 * 1024,
    )
    jobs.init_app(app)


def _register_areas(app: Flask) -> None:
    from community.accounts import sessions
    from community.accounts.views import bp as accounts_bp
    from community.admin.views import bp as admin_bp
    from community.helping.views import bp as helping_bp
    from community.network.views import bp as network_bp
    from community.notifications.views import bp as notifications_bp
    from community.profiles.views import bp as profiles_bp
    from community.site.templating import register_template_helpers
    from community.site.views import bp as site_bp

    sessions.init_app(app)
    app.register_blueprint(site_bp)
    app.register_blueprint(accounts_bp)
    app.register_blueprint(profiles_bp)
    app.register_blueprint(helping_bp)
    app.register_blueprint(network_bp)
    app.register_blueprint(notifications_bp)
    app.register_blueprint(admin_bp)
    register_template_helpers(app)


def _register_cli(app: Flask) -> None:
    from community.cli import register_cli

    register_cli(app)
