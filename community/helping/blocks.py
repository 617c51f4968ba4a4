"""The block hook: whether two members have blocked each other.

Blocking arrives with the live chat; until then nobody has blocked anybody.
Every rule that must respect a block (answers, invitations, suggestions,
matches) asks here, so adding blocks changes this module only.
"""

from __future__ import annotations

from sqlalchemy import ColumnElement, false


def is_blocked_between(user_id: int, other_id: int) -> bool:
    """True when either member has blocked the other."""
    return False


def blocked_with(user_id: int, other_column) -> ColumnElement[bool]:
    """A SQL condition, true for rows whose ``other_column`` member is blocked
    with ``user_id`` either way (for the matching engine's filters)."""
    return false()
