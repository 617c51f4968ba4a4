"""The act of blocking: one place that does everything a block means.

A block (the row is :mod:`community.blocks`) stops chat both ways, ends the
pair's active matches (helping frees the places), and tells both members'
open pages. Those are three areas' work, so the act sits above chat and
helping and asks each to do its part; every other rule (follows, answers,
suggestions, the feed) reads the block from :mod:`community.blocks`.

Both functions flush, never commit; live sockets are told after commit.
"""

from __future__ import annotations

from sqlalchemy.exc import IntegrityError

from community.blocks import Block, has_blocked
from community.chat import push
from community.db import after_commit, db, utcnow
from community.errors import Invalid
from community.helping.matches import end_matches_between


def block(user, other) -> bool:
    """``user`` blocks ``other``: no chat either way, their active matches are
    cancelled, and every other rule skips the pair. Returns False if the
    block was already there. Raises Invalid for oneself."""
    if other.id == user.id:
        raise Invalid("You cannot block yourself.")
    if has_blocked(user.id, other.id):
        return False
    try:
        with db.session.begin_nested():
            db.session.add(Block(blocker_id=user.id, blocked_id=other.id, created_at=utcnow()))
    except IntegrityError:  # the same block, made at the same moment elsewhere
        return False
    end_matches_between(user, other)
    pair = (user.id, other.id)
    after_commit(lambda: push.tell_blocked(pair, blocked=True))
    return True


def unblock(user, other) -> bool:
    """Lift ``user``'s block of ``other`` (only the blocker can). Cancelled
    matches stay cancelled. Returns False when there was no such block."""
    row = db.session.get(Block, (user.id, other.id))
    if row is None:
        return False
    db.session.delete(row)
    db.session.flush()
    pair = (user.id, other.id)
    after_commit(lambda: push.tell_blocked(pair, blocked=False))
    return True
