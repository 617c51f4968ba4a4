"""Kindness privacy: a member may keep their acts of help off public pages.

Their numbers still count (ripples reach through them), but wherever a page,
a notification or a chain would name them, others read "someone" instead
(:mod:`community.kindness.wording`); they still see their own name. This
module only knows who asked for that; it flushes, never commits.
"""

from __future__ import annotations

from sqlalchemy import Select, select

from community.db import db
from community.kindness.models import KindnessPrivacy


def is_private(user_id: int) -> bool:
    return db.session.get(KindnessPrivacy, user_id) is not None


def private_ids(user_ids) -> set[int]:
    """Those of ``user_ids`` who keep their kindness private (one query)."""
    ids = set(user_ids)
    if not ids:
        return set()
    return set(
        db.session.scalars(select(KindnessPrivacy.user_id).where(KindnessPrivacy.user_id.in_(ids)))
    )


def private_members() -> Select:
    """A subquery of every private member's id (for filters: ``~col.in_(...)``)."""
    return select(KindnessPrivacy.user_id)


def set_ripples_private(user, private: bool) -> None:
    """Keep the member's acts of help out of public pages: counts stay, the
    name becomes "someone"."""
    row = db.session.get(KindnessPrivacy, user.id)
    if private and row is None:
        db.session.add(KindnessPrivacy(user_id=user.id))
    elif not private and row is not None:
        db.session.delete(row)
    db.session.flush()
