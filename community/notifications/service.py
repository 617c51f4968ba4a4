"""Business rules of notifications: notify, read, preferences, unsubscribe."""

from __future__ import annotations

from datetime import timedelta
from typing import Any

from flask import current_app, url_for
from sqlalchemy import func, select, update

from community.db import db, utcnow
from community.mail.outbox import queue_email
from community.mail.unsubscribe import ALL_KINDS
from community.notifications.kinds import DAILY, IMMEDIATE, KINDS, OFF, WEEKLY, kind
from community.notifications.models import Notification, NotificationPreference
from community.urls import external_url

PAGE_SIZE = 20


def delivery_for(user_id: int, kind_name: str) -> str:
    """The member's email delivery for ``kind_name``: their choice or the default."""
    chosen = db.session.scalar(
        select(NotificationPreference.delivery).where(
            NotificationPreference.user_id == user_id, NotificationPreference.kind == kind_name
        )
    )
    return chosen or kind(kind_name).default_delivery


def notify(
    user, kind_name: str, data: dict[str, Any], *, email_context: dict[str, Any] | None = None
) -> Notification:
    """Tell ``user`` of an event: an in-app notification, and an email by their choice.

    ``immediate`` queues an email now (sent after commit); ``daily`` leaves it
    for the digest job; ``off`` keeps it on the site only; ``weekly`` (only a
    weekly round-up kind offers it) is on the site only too, since the job
    that makes the round-up sends its own email. ``email_context``
    feeds a kind's own email template (see NotificationKind.email_template).
    """
    notification_kind = kind(kind_name)
    earlier = _same_notification(user.id, notification_kind, data)
    if earlier is not None:
        return earlier
    delivery = delivery_for(user.id, kind_name) if not user.is_deleted else OFF
    notification = Notification(user_id=user.id, kind=kind_name, data=data, delivery=delivery)
    db.session.add(notification)
    db.session.flush()
    if delivery == IMMEDIATE:
        queue_email(
            notification_kind.email_template,
            to_address=user.email,
            user_id=user.id,
            unsubscribe_kind=kind_name,
            name=user.display_name,
            message=render_message(notification),
            link=external_url(notification_kind.endpoint, **link_args(notification)),
            kind_label=notification_kind.label,
            **(email_context or {}),
        )
    return notification


def record_round_up(user_id: int, kind_name: str, data: dict[str, Any]) -> Notification:
    """The in-app notification of a weekly round-up that its own job emails
    (the member chose WEEKLY for ``kind_name``, so notify() would send no email
    either). No query of its own, for jobs that write to many members: the
    row goes in with the caller's next flush."""
    if WEEKLY not in kind(kind_name).deliveries:
        raise ValueError(f"{kind_name!r} is not a weekly round-up")
    notification = Notification(user_id=user_id, kind=kind_name, data=data, delivery=WEEKLY)
    db.session.add(notification)
    return notification


# The repeats of one kind about one thing a member could have been sent in the
# window is bounded (acts are limited, see community/limits.py); this many
# recent ones are compared.
REPEATS_COMPARED = 50


def _same_notification(user_id: int, notification_kind, data: dict[str, Any]):
    """The member's recent notification of this kind about the same thing
    (NotificationKind.same_thing), if one makes a new one a repeat; else None."""
    keys = notification_kind.same_thing
    if not keys:
        return None
    hours = current_app.config.get("NOTIFICATION_REPEAT_HOURS", 24)
    statement = (
        select(Notification)
        .where(
            Notification.user_id == user_id,
            Notification.kind == notification_kind.name,
            Notification.created_at > utcnow() - timedelta(hours=hours),
        )
        .order_by(Notification.id.desc())
        .limit(REPEATS_COMPARED)
    )
    if notification_kind.repeat_while_unread:
        statement = statement.where(Notification.read_at.is_(None))
    wanted = [data.get(key) for key in keys]
    for earlier in db.session.scalars(statement):
        if [(earlier.data or {}).get(key) for key in keys] == wanted:
            return earlier
    return None


def render_message(notification: Notification) -> str:
    try:
        return kind(notification.kind).message.format(**(notification.data or {}))
    except (KeyError, IndexError, ValueError):
        return kind(notification.kind).label


def link_args(notification: Notification) -> dict[str, Any]:
    data = notification.data or {}
    return {key: data[key] for key in kind(notification.kind).link_args if key in data}


def link(notification: Notification) -> str:
    return url_for(kind(notification.kind).endpoint, **link_args(notification))


def unread_count(user_id: int) -> int:
    return db.session.scalar(
        select(func.count(Notification.id)).where(
            Notification.user_id == user_id, Notification.read_at.is_(None)
        )
    )


def notifications_page(user_id: int, page: int):
    return db.paginate(
        select(Notification)
        .where(Notification.user_id == user_id)
        .order_by(Notification.created_at.desc(), Notification.id.desc()),
        page=page,
        per_page=PAGE_SIZE,
        error_out=False,
    )


def mark_read(user_id: int, notification_id: int | None = None) -> int:
    """Mark one of the member's notifications read, or all when no id is given."""
    statement = update(Notification).where(
        Notification.user_id == user_id, Notification.read_at.is_(None)
    )
    if notification_id is not None:
        statement = statement.where(Notification.id == notification_id)
    return db.session.execute(statement.values(read_at=utcnow())).rowcount


def preferences(user_id: int) -> dict[str, str]:
    chosen = dict(
        db.session.execute(
            select(NotificationPreference.kind, NotificationPreference.delivery).where(
                NotificationPreference.user_id == user_id
            )
        ).all()
    )
    return {name: chosen.get(name, k.default_delivery) for name, k in KINDS.items()}


def set_preferences(user_id: int, deliveries: dict[str, str]) -> None:
    """Set the delivery of each kind named in ``deliveries``. Flushes."""
    for kind_name, delivery in deliveries.items():
        set_preference(user_id, kind_name, delivery)


def set_preference(user_id: int, kind_name: str, delivery: str) -> None:
    if delivery not in kind(kind_name).deliveries:
        raise ValueError(f"delivery {delivery!r} is not offered for {kind_name!r}")
    row = db.session.scalar(
        select(NotificationPreference).where(
            NotificationPreference.user_id == user_id, NotificationPreference.kind == kind_name
        )
    )
    if row is None:
        db.session.add(NotificationPreference(user_id=user_id, kind=kind_name, delivery=delivery))
    else:
        row.delivery = delivery
    if delivery == OFF:
        # Turned off (or unsubscribed): what waits for the digest no longer goes out.
        db.session.execute(
            update(Notification)
            .where(
                Notification.user_id == user_id,
                Notification.kind == kind_name,
                Notification.delivery == DAILY,
                Notification.digested_at.is_(None),
            )
            .values(delivery=OFF)
        )
    db.session.flush()


def unsubscribe(user_id: int, kind_name: str) -> list[str]:
    """Turn email off for one kind, or every kind for ALL_KINDS. Returns the kinds."""
    names = list(KINDS) if kind_name == ALL_KINDS else [kind_name]
    for name in names:
        if name in KINDS:
            set_preference(user_id, name, OFF)
    return [name for name in names if name in KINDS]


__all__ = [
    "DAILY",
    "IMMEDIATE",
    "OFF",
    "WEEKLY",
    "delivery_for",
    "mark_read",
    "notifications_page",
    "notify",
    "preferences",
    "set_preference",
    "unread_count",
    "unsubscribe",
]
