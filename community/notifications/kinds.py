"""The kinds of notification, each with its wording and email default.

A feature that notifies adds its kind here. ``message`` is formatted with the
notification's data; ``endpoint`` (with ``link_args`` keys taken from the
data) is where clicking the notification leads.
"""

from __future__ import annotations

from dataclasses import dataclass, field

IMMEDIATE, DAILY, OFF = "immediate", "daily", "off"
DELIVERIES = {
    IMMEDIATE: "Email me straight away",
    DAILY: "Include in a daily digest",
    OFF: "Only show it on the site",
}


@dataclass(frozen=True)
class NotificationKind:
    name: str
    label: str  # how the preferences page names it
    message: str  # str.format()ed with the notification's data
    endpoint: str
    default_delivery: str = IMMEDIATE
    link_args: tuple[str, ...] = field(default=())


KINDS: dict[str, NotificationKind] = {
    kind.name: kind
    for kind in (
        NotificationKind(
            "welcome",
            "Welcome and getting started",
            "Welcome to Kindred! Tell other authors about yourself: what you write, "
            "what you would love help with, and what you can offer.",
            "profiles.edit",
        ),
        NotificationKind(
            "announcement",
            "Announcements from the site's hosts",
            "{title}",
            "notifications.index",
            default_delivery=DAILY,
        ),
    )
}


def kind(name: str) -> NotificationKind:
    try:
        return KINDS[name]
    except KeyError:
        raise ValueError(f"unknown notification kind {name!r}") from None
