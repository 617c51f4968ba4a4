"""Settings, read from the environment in one place.

Every setting has a documented default that suits ``make run`` on one
machine. ``KINDRED_ENV=production`` (the default, so that a forgotten
setting fails safe) refuses to start without a secret key, with debug on,
or without a canonical base URL.
"""

from __future__ import annotations

import os
import secrets
from datetime import timedelta
from pathlib import Path
from typing import Any


class ConfigurationError(RuntimeError):
    """The configuration is unsafe or incomplete; the app refuses to start."""


def _bool(value: str | None, default: bool = False) -> bool:
    if value is None or value == "":
        return default
    return value.strip().lower() in {"1", "true", "yes", "on"}


def _int(name: str, default: int) -> int:
    raw = os.environ.get(name)
    if raw is None or raw == "":
        return default
    try:
        return int(raw)
    except ValueError as error:
        raise ConfigurationError(f"{name} must be a whole number, not {raw!r}") from error


def _development_secret(instance_path: Path) -> str:
    """Generate a secret key once and keep it in ``instance/`` (development only)."""
    path = instance_path / "secret_key"
    if path.exists():
        return path.read_text().strip()
    instance_path.mkdir(parents=True, exist_ok=True)
    key = secrets.token_hex(32)
    path.write_text(key)
    path.chmod(0o600)
    return key


def load_config(instance_path: Path, overrides: dict[str, Any] | None = None) -> dict[str, Any]:
    """Build the configuration mapping from the environment and ``overrides``."""
    env = os.environ
    overrides = dict(overrides or {})
    environment = overrides.get("ENV_NAME") or env.get("KINDRED_ENV", "production")
    if environment not in {"production", "development", "testing"}:
        raise ConfigurationError(
            f"KINDRED_ENV must be production, development or testing, not {environment!r}"
        )
    production = environment == "production"
    redis_url = env.get("REDIS_URL") or None

    config: dict[str, Any] = {
        "ENV_NAME": environment,
        "DEBUG": _bool(env.get("FLASK_DEBUG"), False),
        "TESTING": environment == "testing",
        "SITE_NAME": env.get("SITE_NAME", "Kindred"),
        "SECRET_KEY": env.get("SECRET_KEY") or None,
        "BASE_URL": env.get("BASE_URL") or (None if production else "http://127.0.0.1:5000"),
        "SQLALCHEMY_DATABASE_URI": env.get("DATABASE_URL")
        or f"sqlite:///{instance_path / 'kindred.sqlite3'}",
        "SQLALCHEMY_ENGINE_OPTIONS": {"pool_pre_ping": True},
        "REDIS_URL": redis_url,
        "RQ_QUEUE": env.get("RQ_QUEUE", "kindred"),
        "SOCKETIO_MESSAGE_QUEUE": env.get("SOCKETIO_MESSAGE_QUEUE") or None,
        # Mail: with no MAIL_SERVER, emails are written to MAIL_FILE_DIR as .eml.
        "MAIL_SERVER": env.get("MAIL_SERVER") or None,
        "MAIL_PORT": _int("MAIL_PORT", 587),
        "MAIL_USERNAME": env.get("MAIL_USERNAME") or None,
        "MAIL_PASSWORD": env.get("MAIL_PASSWORD") or None,
        "MAIL_USE_TLS": _bool(env.get("MAIL_USE_TLS"), True),
        "MAIL_USE_SSL": _bool(env.get("MAIL_USE_SSL"), False),
        "MAIL_TIMEOUT": _int("MAIL_TIMEOUT", 20),
        "MAIL_FROM": env.get("MAIL_FROM", "Kindred <no-reply@kindred.invalid>"),
        "MAIL_FILE_DIR": env.get("MAIL_FILE_DIR") or str(instance_path / "mail"),
        "MAIL_MAX_ATTEMPTS": _int("MAIL_MAX_ATTEMPTS", 6),
        # Security.
        "TRUSTED_PROXY_COUNT": _int("TRUSTED_PROXY_COUNT", 0),
        "PREFERRED_URL_SCHEME": "https" if production else "http",
        "SESSION_COOKIE_HTTPONLY": True,
        "SESSION_COOKIE_SAMESITE": "Lax",
        "SESSION_COOKIE_SECURE": production,
        "SESSION_COOKIE_NAME": "kindred_session",
        "REMEMBER_COOKIE_NAME": "kindred_remember",
        "REMEMBER_COOKIE_HTTPONLY": True,
        "REMEMBER_COOKIE_SAMESITE": "Lax",
        "REMEMBER_COOKIE_SECURE": production,
        "REMEMBER_COOKIE_DURATION": timedelta(days=30),
        "REMEMBER_COOKIE_REFRESH_EACH_REQUEST": False,
        "SESSION_LIFETIME": timedelta(days=7),  # server-side cap of a browser session
        "MAX_CONTENT_LENGTH": 1024 * 1024,
        "WTF_CSRF_TIME_LIMIT": None,  # tied to the session instead of a clock
        "RATELIMIT_STORAGE_URI": env.get("RATELIMIT_STORAGE_URI") or redis_url or "memory://",
        "RATELIMIT_HEADERS_ENABLED": True,
        "RATELIMIT_ENABLED": _bool(env.get("RATELIMIT_ENABLED"), True),
        "LOGIN_LIMIT_PER_ACCOUNT": env.get("LOGIN_LIMIT_PER_ACCOUNT", "5 per 15 minutes"),
        "LOGIN_LIMIT_PER_ADDRESS": env.get("LOGIN_LIMIT_PER_ADDRESS", "30 per 15 minutes"),
        "EMAIL_LIMIT_PER_ADDRESS": env.get("EMAIL_LIMIT_PER_ADDRESS", "10 per hour"),
        # Argon2id at OWASP's recommended minimum (m=19 MiB, t=2, p=1).
        "ARGON2_TIME_COST": _int("ARGON2_TIME_COST", 2),
        "ARGON2_MEMORY_COST": _int("ARGON2_MEMORY_COST", 19 * 1024),
        "ARGON2_PARALLELISM": _int("ARGON2_PARALLELISM", 1),
        "VERIFY_TOKEN_MAX_AGE": timedelta(hours=_int("VERIFY_TOKEN_HOURS", 48)),
        "RESET_TOKEN_MAX_AGE": timedelta(minutes=_int("RESET_TOKEN_MINUTES", 60)),
        # Jobs: without Redis, periodic jobs run on a timer inside the web process.
        "IN_PROCESS_SCHEDULER": _bool(env.get("IN_PROCESS_SCHEDULER"), redis_url is None),
        "OUTBOX_SWEEP_AFTER": timedelta(minutes=_int("OUTBOX_SWEEP_MINUTES", 5)),
        # Help requests close after this many quiet days; a reminder goes out before.
        "REQUEST_EXPIRY_DAYS": _int("REQUEST_EXPIRY_DAYS", 30),
        "REQUEST_REMINDER_DAYS": _int("REQUEST_REMINDER_DAYS", 5),
        # Chat: messages a member may send, and how long a message stays unread
        # before the recipient gets one email for the conversation.
        "CHAT_RATE_LIMIT": env.get("CHAT_RATE_LIMIT", "30 per minute"),
        "CHAT_EMAIL_QUIET_SECONDS": _int("CHAT_EMAIL_QUIET_SECONDS", 600),
        # Moderation (README, "Moderation"): reports a member may send; the
        # automatic first response (hide an item at N distinct reporters in good
        # standing, limit a member at M open reports); trust levels' daily
        # limits on or off; a new member's link in chat: "refuse" or "hold".
        "REPORT_RATE_LIMIT": env.get("REPORT_RATE_LIMIT", "10 per hour"),
        "AUTO_HIDE_REPORTERS": _int("AUTO_HIDE_REPORTERS", 3),
        "AUTO_LIMIT_REPORTS": _int("AUTO_LIMIT_REPORTS", 5),
        "TRUST_LIMITS": _bool(env.get("TRUST_LIMITS"), True),
        "TRUST_NEW_LINKS": env.get("TRUST_NEW_LINKS", "refuse"),
    }
    config.update(overrides)

    if config["SECRET_KEY"] is None and not production:
        config["SECRET_KEY"] = _development_secret(instance_path)
    if production:
        check_production_safety(config)
    return config


def check_production_safety(config: dict[str, Any]) -> None:
    """Refuse to run in production with a configuration that is unsafe."""
    problems = []
    key = config.get("SECRET_KEY")
    if not key:
        problems.append("SECRET_KEY is not set")
    elif len(key) < 32:
        problems.append("SECRET_KEY is shorter than 32 characters")
    if config.get("DEBUG"):
        problems.append("debug mode is on (unset FLASK_DEBUG)")
    if not config.get("BASE_URL"):
        problems.append("BASE_URL is not set (links in emails are built from it)")
    if problems:
        raise ConfigurationError(
            "Refusing to start in production: " + "; ".join(problems) + ". "
            "Set KINDRED_ENV=development for a local site."
        )
