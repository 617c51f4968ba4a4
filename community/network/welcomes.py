"""Personal welcomes: a short note to a member who has just followed you.

Two rules are enforced here; everything else the coach only suggests:
a welcome that is only a link is refused, and so is one text sent to more
than TEMPLATE_LIMIT people within a day (a pasted template).
"""

from __future__ import annotations

from datetime import timedelta

from sqlalchemy import func, or_, select
from sqlalchemy.orm import joinedload

from community import blocks
from community.accounts.models import User
from community.db import db, utcnow
from community.moderation import trust
from community.network import coach
from community.network.follows import NetworkError, is_following
from community.network.models import Welcome
from community.notifications.service import notify
from community.text import clean_text

BODY_MAX = 1000
TEMPLATE_LIMIT = 3  # the same text to this many people in a day; the next is refused
WELCOMES_PER_DAY = 20
RECENT = timedelta(days=1)


def recipient_info(user: User) -> coach.Recipient:
    profile = user.profile
    return coach.Recipient(
        display_name=user.display_name,
        genres=tuple(genre.name for genre in (profile.genres if profile else [])),
        wants=tuple(skill.name for skill in (profile.wanted_skills if profile else [])),
        about=profile.about if profile else "",
        stage=profile.stage_label if profile else None,
    )


def recent_notes(sender_id: int, exclude_recipient: int | None = None) -> list[tuple[str, str]]:
    """(text, recipient name) of the sender's welcomes in the last day."""
    rows = db.session.execute(
        select(Welcome.body, User.display_name)
        .join(User, User.id == Welcome.recipient_id)
        .where(Welcome.sender_id == sender_id, Welcome.created_at > utcnow() - RECENT)
        .where(Welcome.recipient_id != (exclude_recipient or 0))
        .order_by(Welcome.created_at.desc())
        .limit(WELCOMES_PER_DAY * 2)
    ).all()
    return [(body, name) for body, name in rows]


def coach_draft(sender: User, recipient: User, draft: str) -> coach.Coaching:
    return coach.coach(draft, recipient_info(recipient), recent_notes(sender.id, recipient.id))


def can_welcome(sender: User, recipient: User) -> bool:
    """A member may welcome someone who follows them (so the note is wanted)."""
    return (
        sender.id != recipient.id
        and not recipient.is_deleted
        and is_following(recipient.id, sender.id)
        and not blocks.is_blocked_between(sender.id, recipient.id)
    )


def already_welcomed(sender_id: int, recipient_id: int) -> bool:
    return (
        db.session.scalar(
            select(Welcome.id).where(
                Welcome.sender_id == sender_id, Welcome.recipient_id == recipient_id
            )
        )
        is not None
    )


def send_welcome(sender: User, recipient: User, body: str) -> Welcome:
    """Send a welcome note. Flushes; the recipient is notified.

    Raises NetworkError (field "body" for text problems) when the sender
    is unverified, the recipient does not follow them, it was sent already,
    the note is empty, too long, only a link, a template sent to more than
    TEMPLATE_LIMIT people today, or the sender's 20 a day are used up.
    """
    if not sender.is_verified:
        raise NetworkError("Please confirm your email address before writing to members.")
    if not can_welcome(sender, recipient):
        raise NetworkError("You can welcome members who follow you.")
    if already_welcomed(sender.id, recipient.id):
        raise NetworkError(f"You have already welcomed {recipient.display_name}.")
    body = clean_text(body).strip()
    if not body:
        raise NetworkError("Write a few words to them.", "body")
    if len(body) > BODY_MAX:
        raise NetworkError(f"Keep it short: at most {BODY_MAX:,} characters.", "body")
    if coach.is_only_link(body):
        raise NetworkError(
            "A welcome needs some words of your own, not only a link. "
            "Ask them about their writing.",
            "body",
        )
    refused = trust.refusal(sender, "welcome", text=body)
    if refused:
        raise NetworkError(refused, "body")
    since = utcnow() - RECENT
    sent_today = db.session.scalar(
        select(func.count(Welcome.id)).where(
            Welcome.sender_id == sender.id, Welcome.created_at > since
        )
    )
    if sent_today >= WELCOMES_PER_DAY:
        raise NetworkError(
            f"You have written {WELCOMES_PER_DAY} welcomes today; the next ones can wait "
            "until tomorrow."
        )
    print_ = coach.fingerprint(body, recipient.display_name)
    same_today = sum(
        coach.fingerprint(text, name) == print_ for text, name in recent_notes(sender.id)
    )
    if same_today >= TEMPLATE_LIMIT:
        raise NetworkError(
            f"You have sent this same note to {same_today} people today. "
            f"Write {recipient.display_name.split()[0]} something of their own.",
            "body",
        )
    welcome = Welcome(sender_id=sender.id, recipient_id=recipient.id, body=body, fingerprint=print_)
    db.session.add(welcome)
    db.session.flush()
    excerpt = body if len(body) <= 120 else body[:117].rsplit(" ", 1)[0] + "…"
    notify(
        recipient,
        "welcome_received",
        {"user_id": sender.id, "name": sender.display_name, "excerpt": excerpt},
    )
    return welcome


def received(user_id: int, limit: int = 50) -> list[Welcome]:
    """Welcomes the member received, newest first."""
    return list(
        db.session.scalars(
            select(Welcome)
            .where(Welcome.recipient_id == user_id)
            .options(joinedload(Welcome.sender).joinedload(User.profile))
            .order_by(Welcome.created_at.desc())
            .limit(limit)
        ).unique()
    )


def between(a_id: int, b_id: int, limit: int = 5) -> list[Welcome]:
    """The welcomes two members wrote each other, oldest first: the opening of
    their conversation once they are connected."""
    return list(
        db.session.scalars(
            select(Welcome)
            .where(
                or_(
                    (Welcome.sender_id == a_id) & (Welcome.recipient_id == b_id),
                    (Welcome.sender_id == b_id) & (Welcome.recipient_id == a_id),
                )
            )
            .options(joinedload(Welcome.sender))
            .order_by(Welcome.created_at, Welcome.id)
            .limit(limit)
        )
    )
