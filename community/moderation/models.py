"""Tables of moderation: reports, hidden items, appeals and the audit log.

A member's standing (moderator, trust level set by hand, limited, suspended)
lives on ``users`` (community.accounts.models.User), since the login loader
reads it on every request.
"""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import JSON, ForeignKey, Index, String, Text, UniqueConstraint, event
from sqlalchemy.orm import Mapped, mapped_column, relationship

from community.db import UTCDateTime, db, utcnow

# What a member can report, and the words the screens use for each.
ITEM_TYPES = {
    "profile": "profile",
    "request": "help request",
    "answer": "answer",
    "comment": "comment",
    "message": "chat message",
    "welcome": "welcome note",
    "thanks": "thank-you",
    # The beta-reading room: a report keeps only the reported words.
    "manuscript_comment": "comment on a manuscript",
    "manuscript_passage": "manuscript passage",
}

REASONS = {
    "spam": "Spam",
    "harassment": "Harassment or hate",
    "sexual": "Sexual content",
    "scam": "Scam or solicitation",
    "plagiarism": "Plagiarism or manuscript misuse",
    "danger": "Someone is in danger",
    "other": "Something else",
}


class Report(db.Model):
    """One member's report of one item. ``reporter_id`` is empty for what the
    system holds for review itself (a new member's link, say).

    ``context`` freezes what the moderator must see at report time (the item's
    text; for a chat message the messages around it), so a later edit or
    deletion by the sender changes nothing. ``status``: open, dismissed or
    actioned; it leaves "open" only by a conditional UPDATE, so of two
    moderators acting at once exactly one wins.
    """

    __tablename__ = "reports"
    __table_args__ = (
        # A member reports an item once: "N distinct reporters" counts rows.
        UniqueConstraint("reporter_id", "item_type", "item_id"),
        Index("ix_reports_open", "status", "reported_id", "item_type", "item_id"),
        # The queue reads open reports oldest first (moderation.service.queue).
        Index("ix_reports_open_id", "status", "id"),
        Index("ix_reports_reported", "reported_id", "created_at"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    reporter_id: Mapped[int | None] = mapped_column(ForeignKey("users.id", ondelete="CASCADE"))
    reported_id: Mapped[int] = mapped_column(ForeignKey("users.id", ondelete="CASCADE"))
    item_type: Mapped[str] = mapped_column(String(20))
    item_id: Mapped[int] = mapped_column()
    reason: Mapped[str] = mapped_column(String(20))
    words: Mapped[str] = mapped_column(Text, default="")
    context: Mapped[dict] = mapped_column(JSON, default=dict)
    status: Mapped[str] = mapped_column(String(20), default="open")
    created_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow)
    resolved_at: Mapped[datetime | None] = mapped_column(UTCDateTime())
    resolved_by_id: Mapped[int | None] = mapped_column(ForeignKey("users.id", ondelete="SET NULL"))
    outcome: Mapped[str] = mapped_column(String(200), default="")

    reporter: Mapped[User | None] = relationship(foreign_keys=[reporter_id])  # noqa: F821
    reported: Mapped[User] = relationship(foreign_keys=[reported_id])  # noqa: F821


class HiddenItem(db.Model):
    """An item a moderator (or the system, pending review) has hidden: pages
    and chat show "removed by a moderator" in its place. ``held`` marks a new
    member's link held for review rather than removed."""

    __tablename__ = "hidden_items"

    item_type: Mapped[str] = mapped_column(String(20), primary_key=True)
    item_id: Mapped[int] = mapped_column(primary_key=True)
    user_id: Mapped[int] = mapped_column(ForeignKey("users.id", ondelete="CASCADE"), index=True)
    automatic: Mapped[bool] = mapped_column(default=False)
    held: Mapped[bool] = mapped_column(default=False)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow)


class AuditEntry(db.Model):
    """One moderator, admin or system action. Append-only: the application
    inserts rows and never updates or deletes one (a mapper guard refuses).

    Members are named by id and by the name they had then, without foreign
    keys, so that no later change (a deletion) can rewrite the record.
    ``actor_id`` empty means "the system".
    """

    __tablename__ = "audit_log"
    __table_args__ = (
        Index("ix_audit_log_member", "member_id", "id"),
        Index("ix_audit_log_actor", "actor_id", "id"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow)
    actor_id: Mapped[int | None] = mapped_column()
    actor_name: Mapped[str] = mapped_column(String(80), default="the system")
    action: Mapped[str] = mapped_column(String(40))
    member_id: Mapped[int | None] = mapped_column()
    member_name: Mapped[str] = mapped_column(String(80), default="")
    item_type: Mapped[str] = mapped_column(String(20), default="")
    item_id: Mapped[int | None] = mapped_column()
    reason: Mapped[str] = mapped_column(Text, default="")
    details: Mapped[dict] = mapped_column(JSON, default=dict)


class Appeal(db.Model):
    """A member's one request for review of an action against them (unique per
    action). A moderator other than the one who acted decides it."""

    __tablename__ = "appeals"
    __table_args__ = (UniqueConstraint("audit_entry_id"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    user_id: Mapped[int] = mapped_column(ForeignKey("users.id", ondelete="CASCADE"), index=True)
    audit_entry_id: Mapped[int] = mapped_column(ForeignKey("audit_log.id"))
    words: Mapped[str] = mapped_column(Text, default="")
    status: Mapped[str] = mapped_column(String(20), default="open")
    created_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow)
    decided_at: Mapped[datetime | None] = mapped_column(UTCDateTime())
    decided_by_id: Mapped[int | None] = mapped_column(ForeignKey("users.id", ondelete="SET NULL"))

    user: Mapped[User] = relationship(foreign_keys=[user_id])  # noqa: F821
    entry: Mapped[AuditEntry] = relationship()


@event.listens_for(AuditEntry, "before_update")
@event.listens_for(AuditEntry, "before_delete")
def _refuse_change(mapper, connection, target) -> None:
    raise RuntimeError("the audit log is append-only: rows are never changed or deleted")
