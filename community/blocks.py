"""Blocks: the table, and the questions every area asks about it.

A block works both ways: once either member has blocked the other, no chat,
follow, welcome, answer, invitation, suggestion, match or thanks passes
between them, and the feed leaves each out of the other's. Every rule that
must respect a block asks here; this module sits below every area (it needs
only the database), so any of them may.

The act of blocking (which also ends the pair's matches and tells their open
pages) is :mod:`community.blocking`, above chat and helping.
"""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import (
    CheckConstraint,
    ColumnElement,
    ForeignKey,
    Index,
    and_,
    exists,
    or_,
    select,
    union,
)
from sqlalchemy.orm import Mapped, mapped_column

from community.db import UTCDateTime, db, utcnow


class Block(db.Model):
    """``blocker`` has blocked ``blocked``: no chat, follow, answer, invitation or
    suggestion between the two, either way, until it is lifted."""

    __tablename__ = "blocks"
    __table_args__ = (
        CheckConstraint("blocker_id <> blocked_id", name="not_self"),
        Index("ix_blocks_blocked", "blocked_id", "blocker_id"),
    )

    blocker_id: Mapped[int] = mapped_column(
        ForeignKey("users.id", ondelete="CASCADE"), primary_key=True
    )
    blocked_id: Mapped[int] = mapped_column(
        ForeignKey("users.id", ondelete="CASCADE"), primary_key=True
    )
    created_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow)


def has_blocked(user_id: int, other_id: int) -> bool:
    """True when ``user_id`` has blocked ``other_id`` (one way: whose block it is)."""
    return db.session.get(Block, (user_id, other_id)) is not None


def is_blocked_between(user_id: int, other_id: int) -> bool:
    """True when either member has blocked the other."""
    return db.session.scalar(select(_between(user_id, other_id))) or False


def blocked_ids(user_id: int) -> set[int]:
    """Every member ``user_id`` has blocked or is blocked by (one query)."""
    return set(
        db.session.scalars(
            union(
                select(Block.blocked_id).where(Block.blocker_id == user_id),
                select(Block.blocker_id).where(Block.blocked_id == user_id),
            )
        )
    )


def blocked_with(user_id: int, other_column) -> ColumnElement[bool]:
    """A SQL condition, true for rows whose ``other_column`` member is blocked
    with ``user_id`` either way (for the matching engine's and the feed's filters)."""
    return _between(user_id, other_column)


def _between(user_id, other) -> ColumnElement[bool]:
    return exists().where(
        or_(
            and_(Block.blocker_id == user_id, Block.blocked_id == other),
            and_(Block.blocker_id == other, Block.blocked_id == user_id),
        )
    )
