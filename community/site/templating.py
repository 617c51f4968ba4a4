"""Template helpers: the navigation's counts (once per request), avatars, dates."""

from __future__ import annotations

import hashlib
from collections.abc import Callable
from datetime import datetime

from flask import Flask, request
from flask_login import current_user
from markupsafe import Markup, escape

from community.chat.service import unread_total
from community.chat.text import linkify
from community.notifications.service import unread_count
from community.safety import removed_text
from community.waiting.service import waiting_count

AVATAR_COLOURS = 8


def initials(name: str) -> str:
    parts = [part for part in name.split() if part[:1].isalnum()]
    if not parts:
        return "?"
    if len(parts) == 1:
        return parts[0][:1].upper()
    return (parts[0][:1] + parts[-1][:1]).upper()


def avatar_colour(seed: int | str) -> int:
    return int(hashlib.sha256(str(seed).encode()).hexdigest(), 16) % AVATAR_COLOURS


def nl2br(text: str | None) -> Markup:
    """Plain text with its line breaks kept; everything else escaped."""
    if not text:
        return Markup("")
    paragraphs = [p for p in text.replace("\r\n", "\n").split("\n\n") if p.strip()]
    return Markup("").join(
        Markup("<p>") + Markup("<br>").join(escape(line) for line in p.split("\n")) + Markup("</p>")
        for p in paragraphs
    )


def human_date(value: datetime | None) -> str:
    if value is None:
        return ""
    return f"{value:%-d %B %Y}"


def _once_per_request(name: str, count: Callable[[int], int]) -> int:
    """``count(member id)`` for the signed-in member, computed once per request:
    the layout shows each count in the wide and in the phone menu. Kept in
    the request's environ, not in g: g lives as long as the app context,
    which may outlast one request."""
    if not current_user.is_authenticated:
        return 0
    key = f"kindred.nav.{name}"
    cached = request.environ.get(key)
    if cached is None:
        cached = request.environ[key] = count(current_user.id)
    return cached


def _nav_unread() -> int:
    """The signed-in member's unread notifications."""
    return _once_per_request("unread", unread_count)


def _nav_chat_unread() -> int:
    """The signed-in member's unread chat messages."""
    return _once_per_request("chat_unread", unread_total)


def _nav_waiting() -> int:
    """How many things wait for the signed-in member (community/waiting)."""
    return _once_per_request("waiting", waiting_count)


def register_template_helpers(app: Flask) -> None:
    app.jinja_env.add_extension("jinja2.ext.do")
    app.jinja_env.filters["initials"] = initials
    app.jinja_env.filters["avatar_colour"] = avatar_colour
    app.jinja_env.filters["nl2br"] = nl2br
    app.jinja_env.filters["human_date"] = human_date
    app.jinja_env.filters["linkify"] = linkify
    # removed(type, id): "removed by a moderator" (or "held...") when hidden, else None.
    app.jinja_env.globals["removed"] = removed_text

    @app.context_processor
    def site_context():
        return {
            "site_name": app.config["SITE_NAME"],
            "nav_unread": _nav_unread,
            "nav_chat_unread": _nav_chat_unread,
            "nav_waiting": _nav_waiting,
        }
