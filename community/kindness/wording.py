"""How kindness is put in words: names as others may read them, dates, chains.

One place for the wording that pages, notifications and jobs share: a member
who keeps their kindness private is :data:`SOMEONE` to everyone but
themselves, a date reads "today" or "in March", and a chain reads "You helped
Ann in March; Ann helped Raj in May; Raj helped you today".
"""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import select

from community.accounts.models import User
from community.db import db
from community.kindness.privacy import private_ids

SOMEONE = "someone"


def public_names(ids, viewer_id: int | None = None) -> dict[int, str]:
    """Display names of ``ids``, :data:`SOMEONE` for members who keep their
    kindness private (the viewer sees their own name). Two queries."""
    ids = set(ids)
    hidden = private_ids(ids) - {viewer_id}
    users = db.session.execute(select(User.id, User.display_name).where(User.id.in_(ids))).all()
    return {uid: (SOMEONE if uid in hidden else name) for uid, name in users}


def name_of(names: dict[int, str], user_id: int) -> str:
    """The name to show for ``user_id`` (:data:`SOMEONE` when unknown or left)."""
    return names.get(user_id, SOMEONE)


def when(moment: datetime, now: datetime) -> str:
    """ "today", "in March", or "in March 2025" for another year."""
    if moment.date() == now.date():
        return "today"
    if moment.year == now.year:
        return f"in {moment:%B}"
    return f"in {moment:%B %Y}"


def when_iso(at: str | None, now: datetime) -> str:
    """:func:`when` for a stored ISO time (empty for none)."""
    return when(datetime.fromisoformat(at), now) if at else ""


def describe_chain(chain: list[dict], member_id: int, names: dict[int, str], now: datetime) -> str:
    """The chain as its member reads it: "You helped Ann in March; ...; Raj
    helped you today"."""

    def name(user_id: int, *, start: bool) -> str:
        if user_id == member_id:
            return "You" if start else "you"
        return name_of(names, user_id)

    return "; ".join(
        f"{name(step['helper'], start=True)} helped {name(step['helped'], start=False)} "
        f"{when(datetime.fromisoformat(step['at']), now)}"
        for step in chain
    )


def third_person(chain: list[dict], names: dict[int, str], now: datetime) -> str:
    """The chain as others read it: every member by name, nobody "you"."""
    return "; ".join(
        f"{name_of(names, step['helper'])} helped {name_of(names, step['helped'])} "
        f"{when(datetime.fromisoformat(step['at']), now)}"
        for step in chain
    )


def people_in(chain: list[dict]) -> set[int]:
    """Every member a chain names."""
    return {step["helper"] for step in chain} | {step["helped"] for step in chain}
