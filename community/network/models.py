"""Tables of the network area: follows and personal welcomes."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import CheckConstraint, ForeignKey, Index, String, Text
from sqlalchemy.orm import Mapped, mapped_column, relationship

from community.db import UTCDateTime, db, utcnow


class Follow(db.Model):
    """``follower`` follows ``followed``. Two follows, both ways, make them connected.

    Follower lists grow without bound: they are only ever read a page at a
    time, by query, never as a loaded collection on the member.
    """

    __tablename__ = "follows"
    __table_args__ = (
        CheckConstraint("follower_id <> followed_id", name="not_self"),
        Index("ix_follows_followed_created", "followed_id", "created_at"),
        Index("ix_follows_follower_created", "follower_id", "created_at"),
    )

    follower_id: Mapped[int] = mapped_column(
        ForeignKey("users.id", ondelete="CASCADE"), primary_key=True
    )
    followed_id: Mapped[int] = mapped_column(
        ForeignKey("users.id", ondelete="CASCADE"), primary_key=True
    )
    created_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow)

    follower: Mapped[User] = relationship(foreign_keys=[follower_id])  # noqa: F821
    followed: Mapped[User] = relationship(foreign_keys=[followed_id])  # noqa: F821


class Welcome(db.Model):
    """A short personal note to a new follower (or someone followed).

    ``fingerprint`` is a hash of the text with case, spacing, punctuation
    and the recipient's name taken out, so that one text pasted to many
    people is recognised as a template.
    """

    __tablename__ = "welcomes"
    __table_args__ = (
        Index("ix_welcomes_sender_created", "sender_id", "created_at"),
        Index("ix_welcomes_sender_fingerprint", "sender_id", "fingerprint"),
        Index("ix_welcomes_recipient_created", "recipient_id", "created_at"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    sender_id: Mapped[int] = mapped_column(ForeignKey("users.id", ondelete="CASCADE"))
    recipient_id: Mapped[int] = mapped_column(ForeignKey("users.id", ondelete="CASCADE"))
    body: Mapped[str] = mapped_column(Text)
    fingerprint: Mapped[str] = mapped_column(String(64))
    created_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow)

    sender: Mapped[User] = relationship(foreign_keys=[sender_id])  # noqa: F821
    recipient: Mapped[User] = relationship(foreign_keys=[recipient_id])  # noqa: F821
