"""Following: who follows whom, follow back, and who is connected.

Functions flush, never commit. Follower lists are read a page at a time.
"""

from __future__ import annotations

from datetime import timedelta

from sqlalchemy import and_, delete, exists, func, select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import aliased, joinedload

from community import blocks
from community.accounts.models import User
from community.db import db, utcnow
from community.errors import Invalid, RateLimited
from community.limits import record_act
from community.moderation import trust
from community.network.models import Follow
from community.notifications.service import notify

FOLLOWS_PER_DAY = 50
PAGE_SIZE = 30


class NetworkError(Invalid):
    """A rule of following or welcoming was broken; the message is for the member."""


def is_following(follower_id: int, followed_id: int) -> bool:
    return bool(
        db.session.scalar(
            select(
                exists().where(Follow.follower_id == follower_id, Follow.followed_id == followed_id)
            )
        )
    )


def are_connected(a_id: int, b_id: int) -> bool:
    """Mutual followers are connected."""
    return is_following(a_id, b_id) and is_following(b_id, a_id)


def follow(follower: User, followed: User) -> Follow:
    """``follower`` follows ``followed``, who is told and invited to follow back.

    Refused, changing nothing: following yourself, twice, a member who has
    blocked you (or whom you blocked), a deleted or unverified member, an
    unverified follower, or more than FOLLOWS_PER_DAY follows in a day.
    """
    if not follower.is_verified:
        raise NetworkError("Please confirm your email address before following members.")
    if follower.id == followed.id:
        raise NetworkError("You cannot follow yourself.")
    if (
        followed.is_deleted
        or not followed.is_verified
        or blocks.is_blocked_between(follower.id, followed.id)
    ):
        raise NetworkError("You cannot follow this member.")
    if is_following(follower.id, followed.id):
        raise NetworkError(f"You already follow {followed.display_name}.")
    refused = trust.refusal(follower, "follow")
    if refused:
        raise NetworkError(refused)
    since = utcnow() - timedelta(days=1)
    today = db.session.scalar(
        select(func.count()).where(Follow.follower_id == follower.id, Follow.created_at > since)
    )
    too_many = (
        f"You have followed {FOLLOWS_PER_DAY} members today. Get to know them first: "
        "you can follow more tomorrow."
    )
    if today >= FOLLOWS_PER_DAY:
        raise NetworkError(too_many)
    # The rows above forget an unfollowed member; the acts do not: follow,
    # unfollow, follow again is two follows (and one notification, see
    # NotificationKind.same_thing).
    try:
        record_act(follower.id, "follow", FOLLOWS_PER_DAY, "day")
    except RateLimited:
        raise NetworkError(too_many) from None
    record = Follow(follower_id=follower.id, followed_id=followed.id)
    db.session.add(record)
    try:
        with db.session.begin_nested():
            db.session.flush()
    except IntegrityError:
        raise NetworkError(f"You already follow {followed.display_name}.") from None
    notify(
        followed,
        "new_follower",
        {
            "user_id": follower.id,
            "name": follower.display_name,
            "follows_back": is_following(followed.id, follower.id),
        },
    )
    return record


def unfollow(follower: User, followed: User) -> bool:
    """Stop following. Returns whether there was a follow to end."""
    result = db.session.execute(
        delete(Follow).where(Follow.follower_id == follower.id, Follow.followed_id == followed.id)
    )
    return result.rowcount == 1


def counts(user_id: int) -> dict[str, int]:
    """How many follow the member, and how many they follow: members, as the lists
    show them (deleted and unverified members are not counted)."""

    def count(member_column, where) -> int:
        return db.session.scalar(
            select(func.count())
            .select_from(Follow)
            .join(User, User.id == member_column)
            .where(where, User.deleted_at.is_(None), User.email_verified_at.is_not(None))
        )

    return {
        "followers": count(Follow.follower_id, Follow.followed_id == user_id),
        "following": count(Follow.followed_id, Follow.follower_id == user_id),
    }


def relation(viewer_id: int | None, member_id: int) -> dict[str, bool]:
    """How the viewer and the member are linked, for the profile page."""
    if viewer_id is None or viewer_id == member_id:
        return {"following": False, "follows_you": False, "connected": False}
    following = is_following(viewer_id, member_id)
    follows_you = is_following(member_id, viewer_id)
    return {
        "following": following,
        "follows_you": follows_you,
        "connected": following and follows_you,
    }


def _people_page(where, order_column, viewer_id: int | None, page: int):
    """A page of members with, for each, whether the viewer follows them (one query)."""
    viewer_follow = aliased(Follow)
    statement = (
        select(User, viewer_follow.follower_id.is_not(None).label("viewer_follows"))
        .join(Follow, where)
        .outerjoin(
            viewer_follow,
            and_(
                viewer_follow.follower_id == (viewer_id or 0),
                viewer_follow.followed_id == User.id,
            ),
        )
        # Unverified members are listed to nobody (their profiles are hidden too).
        .where(User.deleted_at.is_(None), User.email_verified_at.is_not(None))
        .options(joinedload(User.profile))
        .order_by(order_column.desc(), User.id)
        .offset((max(page, 1) - 1) * PAGE_SIZE)
        .limit(PAGE_SIZE + 1)
    )
    rows = db.session.execute(statement).unique().all()
    return rows[:PAGE_SIZE], len(rows) > PAGE_SIZE


def followers_page(user_id: int, viewer_id: int | None, page: int = 1):
    """Members who follow ``user_id``, newest first: ([(User, viewer_follows)], has_next)."""
    return _people_page(
        and_(Follow.follower_id == User.id, Follow.followed_id == user_id),
        Follow.created_at,
        viewer_id,
        page,
    )


def following_page(user_id: int, viewer_id: int | None, page: int = 1):
    """Members ``user_id`` follows, newest first."""
    return _people_page(
        and_(Follow.followed_id == User.id, Follow.follower_id == user_id),
        Follow.created_at,
        viewer_id,
        page,
    )
