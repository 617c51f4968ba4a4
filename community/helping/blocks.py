"""The block hook: whether two members have blocked each other.

Every rule that must respect a block (answers, invitations, suggestions,
matches, follows, welcomes, the feed, chat) asks here. Blocks are made and
lifted in :mod:`community.chat.blocking`; a block works both ways.
"""

from __future__ import annotations

from sqlalchemy import ColumnElement, and_, exists, or_, select, union

from community.chat.models import Block
from community.db import db


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
    with ``user_id`` either way (for the matching engine's filters)."""
    return _between(user_id, other_column)


def _between(user_id, other) -> ColumnElement[bool]:
    return exists().where(
        or_(
            and_(Block.blocker_id == user_id, Block.blocked_id == other),
            and_(Block.blocker_id == other, Block.blocked_id == user_id),
        )
    )
