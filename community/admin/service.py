"""What the site's hosts see and do: figures, failed emails, announcements."""

from __future__ import annotations

from sqlalchemy import func, select

from community.accounts.models import User
from community.db import db
from community.mail.models import OutboxEmail
from community.notifications.service import notify

ANNOUNCEMENT_BATCH = 500


def dashboard_figures() -> dict:
    members = db.session.execute(
        select(
            func.count(User.id),
            func.count(User.email_verified_at),
        ).where(User.deleted_at.is_(None))
    ).one()
    outbox = dict(
        db.session.execute(
            select(OutboxEmail.status, func.count(OutboxEmail.id)).group_by(OutboxEmail.status)
        ).all()
    )
    failed = db.session.scalars(
        select(OutboxEmail)
        .where(OutboxEmail.status == "failed")
        .order_by(OutboxEmail.id.desc())
        .limit(20)
    ).all()
    return {
        "members": members[0],
        "verified": members[1],
        "outbox": outbox,
        "failed_emails": failed,
    }


def announce(admin: User, title: str) -> int:
    """Notify every verified member of an announcement, and write it to the
    audit log. Returns how many."""
    from community.moderation.service import record

    count = 0
    last_id = 0
    while True:
        batch = db.session.scalars(
            select(User)
            .where(User.id > last_id, User.deleted_at.is_(None), User.email_verified_at.isnot(None))
            .order_by(User.id)
            .limit(ANNOUNCEMENT_BATCH)
        ).all()
        if not batch:
            record(admin, "announce", reason=title, members=count)
            return count
        for user in batch:
            notify(user, "announcement", {"title": title})
        count += len(batch)
        last_id = batch[-1].id
