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
        # A pooled connection is checked before use, so a PostgreSQL restart
        # costs the requests made during it (a 503 page), not the ones after.
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
        # Redis down must not turn a limited form into a 500: count in this
        # process's memory meanwhile (Flask-Limiter logs a warning), and give
        # up on Redis quickly instead of holding the request.
        "RATELIMIT_IN_MEMORY_FALLBACK_ENABLED": True,
        # A request racing the one that noticed the outage would otherwise
        # raise (Flask-Limiter falls back once): let it through, logged.
        "RATELIMIT_SWALLOW_ERRORS": True,
        "RATELIMIT_STORAGE_OPTIONS": {"socket_connect_timeout": 2, "socket_timeout": 2},
        "RATELIMIT_ENABLED": _bool(env.get("RATELIMIT_ENABLED"), True),
        # Failed logins per account and IP address (slows a guesser), per account from
        # everywhere (a ceiling far above what one address may try), and all
        # attempts per IP address.
        "LOGIN_LIMIT_PER_ACCOUNT_AND_ADDRESS": env.get(
            "LOGIN_LIMIT_PER_ACCOUNT_AND_ADDRESS", "5 per 15 minutes"
        ),
        "LOGIN_LIMIT_PER_ACCOUNT": env.get("LOGIN_LIMIT_PER_ACCOUNT", "100 per hour"),
        "LOGIN_LIMIT_PER_ADDRESS": env.get("LOGIN_LIMIT_PER_ADDRESS", "30 per 15 minutes"),
        # Emails a member can make the site send: per IP address, and per account
        # or destination address, each across every route that sends one.
        "EMAIL_LIMIT_PER_ADDRESS": env.get("EMAIL_LIMIT_PER_ADDRESS", "10 per hour"),
        "EMAIL_LIMIT_PER_ACCOUNT": env.get("EMAIL_LIMIT_PER_ACCOUNT", "3 per hour"),
        # Argon2id at OWASP's recommended minimum (m=19 MiB, t=2, p=1).
        "ARGON2_TIME_COST": _int("ARGON2_TIME_COST", 2),
        "ARGON2_MEMORY_COST": _int("ARGON2_MEMORY_COST", 19 * 1024),
        "ARGON2_PARALLELISM": _int("ARGON2_PARALLELISM", 1),
        "VERIFY_TOKEN_MAX_AGE": timedelta(hours=_int("VERIFY_TOKEN_HOURS", 48)),
        "RESET_TOKEN_MAX_AGE": timedelta(minutes=_int("RESET_TOKEN_MINUTES", 60)),
        # Jobs: without Redis, periodic jobs run on a timer inside the web process.
        "IN_PROCESS_SCHEDULER": _bool(env.get("IN_PROCESS_SCHEDULER"), redis_url is None),
        # An email not sent this long after it was committed is handed out
        # again by the sweep, which runs every OUTBOX_SWEEP_INTERVAL_SECONDS
        # (community/jobs.py, read by rq cron too): together they bound how
        # late a verification email can be when Redis or the worker was down.
        # A claim older than OUTBOX_STALE_CLAIM belongs to a worker that died
        # mid-send (a live send gives up after MAIL_TIMEOUT).
        "OUTBOX_SWEEP_AFTER": timedelta(seconds=_int("OUTBOX_SWEEP_SECONDS", 120)),
        "OUTBOX_STALE_CLAIM": timedelta(seconds=_int("OUTBOX_STALE_CLAIM_SECONDS", 180)),
        # The web process runs the sweep itself when nobody else (rq cron) has
        # for this long: the scheduler is down, or Redis is. 0 turns it off.
        "SWEEP_WATCHDOG": timedelta(seconds=_int("SWEEP_WATCHDOG_SECONDS", 180)),
        # Help requests close after this many quiet days; a reminder goes out before.
        "REQUEST_EXPIRY_DAYS": _int("REQUEST_EXPIRY_DAYS", 30),
        "REQUEST_REMINDER_DAYS": _int("REQUEST_REMINDER_DAYS", 5),
        # A "keep it open" link works this long after its email was made.
        "KEEP_OPEN_LINK_DAYS": _int("KEEP_OPEN_LINK_DAYS", 14),
        # First contact in a new match: when nobody has written this many hours
        # after the match, the helper is reminded once; the requester, once,
        # this many hours after that.
        "FIRST_CONTACT_REMINDER_HOURS": _int("FIRST_CONTACT_REMINDER_HOURS", 24),
        "FIRST_CONTACT_REQUESTER_AFTER_HOURS": _int("FIRST_CONTACT_REQUESTER_AFTER_HOURS", 24),
        # Asks: when a request is posted, the best few volunteers with room are
        # told (ASKS_PER_REQUEST, 0 turns asking off), and the next few once
        # more if nobody offers within ASK_AGAIN_AFTER_HOURS. A volunteer is
        # asked at most ASKS_PER_WEEK times in any seven days unless their
        # offer says otherwise; the "not for me" and "pause me" links in an
        # ask work for ASK_LINK_DAYS.
        "ASKS_PER_REQUEST": _int("ASKS_PER_REQUEST", 5),
        # Honest answers: an invitation the volunteer has not answered, or an
        # offer the requester has not accepted or declined, expires by itself
        # after this many days, with a kind note to the other side.
        "INVITATION_EXPIRY_DAYS": _int("INVITATION_EXPIRY_DAYS", 4),
        "ANSWER_EXPIRY_DAYS": _int("ANSWER_EXPIRY_DAYS", 5),
        # Fair limits (community/helping/fair_limits.py): for each helper place
        # still free, a request holds at most this many invitations and this
        # many offers waiting for a reply at once.
        "PENDING_INVITATIONS_PER_REQUEST": _int("PENDING_INVITATIONS_PER_REQUEST", 3),
        "PENDING_ANSWERS_PER_REQUEST": _int("PENDING_ANSWERS_PER_REQUEST", 5),
        # Reliability (community/helping/reliability.py): measured over this
        # many months; words are shown to others from this many events on.
        "RELIABILITY_MONTHS": _int("RELIABILITY_MONTHS", 6),
        "RELIABILITY_MIN_EVENTS": _int("RELIABILITY_MIN_EVENTS", 3),
        "ASKS_PER_WEEK": _int("ASKS_PER_WEEK", 3),
        "ASK_AGAIN_AFTER_HOURS": _int("ASK_AGAIN_AFTER_HOURS", 48),
        "ASK_LINK_DAYS": _int("ASK_LINK_DAYS", 14),
        # Check-ins (community/helping/check_ins.py): an active match with no
        # chat message for CHECK_IN_AFTER_DAYS gets "how is it going?" (both
        # sides), at most CHECK_INS_MAX times; its one-click links work for
        # CHECK_IN_LINK_DAYS. Closure words can be written this many days
        # after a match ends (they show in "waiting" that long).
        "CHECK_IN_AFTER_DAYS": _int("CHECK_IN_AFTER_DAYS", 7),
        "CHECK_INS_MAX": _int("CHECK_INS_MAX", 2),
        "CHECK_IN_LINK_DAYS": _int("CHECK_IN_LINK_DAYS", 14),
        "CLOSURE_WORD_DAYS": _int("CLOSURE_WORD_DAYS", 30),
        # The weekly digest of requests that fit (community/helping/fitting.py):
        # at most this many requests in one volunteer's weekly email.
        "WEEKLY_DIGEST_REQUESTS": _int("WEEKLY_DIGEST_REQUESTS", 5),
        # Chat: messages a member may send, and how long a message stays unread
        # before the recipient gets one email for the conversation.
        "CHAT_RATE_LIMIT": env.get("CHAT_RATE_LIMIT", "30 per minute"),
        "CHAT_EMAIL_QUIET_SECONDS": _int("CHAT_EMAIL_QUIET_SECONDS", 600),
        # Live chat sockets: how many one member (all processes) and one
        # address (per web process) may hold open, and how often one
        # connection may send each of these events.
        "SOCKET_MAX_PER_MEMBER": _int("SOCKET_MAX_PER_MEMBER", 10),
        "SOCKET_MAX_PER_ADDRESS": _int("SOCKET_MAX_PER_ADDRESS", 50),
        "SOCKET_EVENT_LIMITS": {
            "typing": env.get("SOCKET_LIMIT_TYPING", "30 per minute"),
            "read": env.get("SOCKET_LIMIT_READ", "60 per minute"),
            "sync": env.get("SOCKET_LIMIT_SYNC", "20 per minute"),
            "history": env.get("SOCKET_LIMIT_HISTORY", "60 per minute"),
        },
        # Manuscripts (community/manuscripts): the largest upload, what a text
        # may hold, and how long readers keep access after their match completes.
        "MANUSCRIPT_MAX_BYTES": _int("MANUSCRIPT_MAX_BYTES", 8 * 1024 * 1024),
        "MANUSCRIPT_MAX_WORDS": _int("MANUSCRIPT_MAX_WORDS", 250_000),
        "MANUSCRIPT_MAX_CHAPTERS": _int("MANUSCRIPT_MAX_CHAPTERS", 200),
        "MANUSCRIPT_ACCESS_DAYS": _int("MANUSCRIPT_ACCESS_DAYS", 30),
        "MANUSCRIPT_SESSION_MINUTES": _int("MANUSCRIPT_SESSION_MINUTES", 60),
        # Floods: a repeat of a notification about the same thing within this many
        # hours is dropped (community/notifications/kinds.py, same_thing); a
        # member has at most this many open requests, and posts at most this
        # many a day.
        "NOTIFICATION_REPEAT_HOURS": _int("NOTIFICATION_REPEAT_HOURS", 24),
        "MAX_OPEN_REQUESTS": _int("MAX_OPEN_REQUESTS", 3),
        "REQUESTS_PER_DAY": _int("REQUESTS_PER_DAY", 6),
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
