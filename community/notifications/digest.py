"""The daily digest: one email gathering a member's "daily" notifications."""

from __future__ import annotations

from datetime import timedelta

from sqlalchemy import select

from community import jobs
from community.accounts.models import User
from community.db import db, utcnow
from community.mail.models import OutboxEmail
from community.mail.outbox import queue_email
from community.notifications.models import Notification
from community.notifications.service import render_message
from community.urls import external_url

DIGEST_TEMPLATE = "digest"
# The job runs hourly; a member gets at most one digest in this window.
MIN_GAP = timedelta(hours=23)


def send_daily_digests() -> int:
    """Queue a digest for every member with undigested "daily" notifications.

    Idempotent: notifications are marked digested in the same transaction
    that queues the email, and a member who had a digest within the last
    23 hours waits. Returns how many digests were queued. Commits per member.
    """
    now = utcnow()
    user_ids = db.session.scalars(
        select(Notification.user_id)
        .where(Notification.delivery == "daily", Notification.digested_at.is_(None))
        .distinct()
    ).all()
    return sum(1 for user_id in user_ids if jobs.in_transaction(_send_digest, user_id, now))


def _send_digest(user_id: int, now) -> bool:
    """Queue one member's digest, unless they had one lately or nothing waits."""
    recent = db.session.scalar(
        select(OutboxEmail.id).where(
            OutboxEmail.user_id == user_id,
            OutboxEmail.template == DIGEST_TEMPLATE,
            OutboxEmail.created_at > now - MIN_GAP,
        )
    )
    if recent is not None:
        return False
    user = db.session.get(User, user_id)
    pending = db.session.scalars(
        select(Notification)
        .where(
            Notification.user_id == user_id,
            Notification.delivery == "daily",
            Notification.digested_at.is_(None),
        )
        .order_by(Notification.created_at)
        .with_for_update(skip_locked=True)
    ).all()
    if not pending or user.is_deleted:
        return False
    queue_email(
        DIGEST_TEMPLATE,
        to_address=user.email,
        user_id=user.id,
        name=user.display_name,
        items=[render_message(n) for n in pending],
        notifications_url=external_url("notifications.index"),
        preferences_url=external_url("notifications.preferences"),
    )
    for notification in pending:
        notification.digested_at = now
    return True
