"""The home feed: what the people a member follows have been doing.

Each source is a function returning the newest items of one kind, by a
query that joins through the member's follows (so the number of queries
does not depend on how many people they follow). Later features (thanks,
kindness that came back) add a source to SOURCES.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import func, select
from sqlalchemy.orm import aliased, joinedload, selectinload

from community import blocks
from community.accounts.models import User
from community.db import db
from community.helping.models import Answer, HelpRequest, RequestStatus, VolunteerOffer
from community.network.models import Follow
from community.profiles.models import Profile

PAGE_SIZE = 20
# Each source loads every item down to the page asked for, so the feed goes
# this deep and no deeper (the view clamps ?page=; this guards other callers).
PAGE_MAX = 25
SUGGESTION_POOL = 300


@dataclass
class FeedItem:
    kind: str  # "request" or "follow"
    at: datetime
    actor: User
    request: HelpRequest | None = None
    target: User | None = None


def _followed_ids(user_id: int):
    return select(Follow.followed_id).where(Follow.follower_id == user_id).scalar_subquery()


def _requests(user_id: int, limit: int) -> list[FeedItem]:
    rows = db.session.scalars(
        select(HelpRequest)
        .where(
            HelpRequest.requester_id.in_(_followed_ids(user_id)),
            HelpRequest.status.in_([RequestStatus.OPEN, RequestStatus.MATCHED]),
        )
        # The feed shows names, titles and skills; profiles are not loaded.
        .options(joinedload(HelpRequest.requester), selectinload(HelpRequest.skills))
        .order_by(HelpRequest.created_at.desc(), HelpRequest.id.desc())
        .limit(limit)
    ).unique()
    return [FeedItem("request", r.created_at, r.requester, request=r) for r in rows]


def _follows(user_id: int, limit: int) -> list[FeedItem]:
    their = aliased(Follow)
    rows = db.session.scalars(
        select(their)
        .join(User, User.id == their.followed_id)
        # The member followed must be someone others may see: present and verified.
        .where(
            their.follower_id.in_(_followed_ids(user_id)),
            their.followed_id != user_id,
            User.deleted_at.is_(None),
            User.email_verified_at.is_not(None),
        )
        .options(joinedload(their.follower), joinedload(their.followed))
        .order_by(their.created_at.desc())
        .limit(limit)
    ).unique()
    return [
        FeedItem("follow", f.created_at, f.follower, target=f.followed)
        for f in rows
        if f.follower.is_verified
    ]


SOURCES: list[Callable[[int, int], list[FeedItem]]] = [_requests, _follows]


def feed_page(user_id: int, page: int = 1) -> tuple[list[FeedItem], bool]:
    """One page of the feed, newest first, and whether there is an older page."""
    if page > PAGE_MAX:
        return [], False
    page = max(page, 1)
    needed = page * PAGE_SIZE + 1
    items = [item for source in SOURCES for item in source(user_id, needed)]
    items.sort(key=lambda item: item.at, reverse=True)
    start = (page - 1) * PAGE_SIZE
    return items[start : start + PAGE_SIZE], page < PAGE_MAX and len(items) > start + PAGE_SIZE


def follows_anyone(user_id: int) -> bool:
    return (
        db.session.scalar(select(Follow.followed_id).where(Follow.follower_id == user_id))
        is not None
    )


@dataclass
class PersonToMeet:
    user: User
    score: int
    reasons: list[str]


def people_to_meet(user: User, limit: int = 5) -> list[PersonToMeet]:
    """Members the member might like to meet: shared genres, complementary skills.

    Scores a bounded pool of the newest verified members they do not follow
    (and have no block with).
    """
    mine = user.profile
    my_genres = {g.id for g in mine.genres} if mine else set()
    my_wants = {s.id for s in mine.wanted_skills} if mine else set()
    my_offers = {s.id for s in mine.offered_skills} if mine else set()
    if not (my_genres or my_wants or my_offers):
        return []  # nothing to have in common yet: the feed shows how to fill the profile
    pool = db.session.scalars(
        select(User)
        .join(Profile, Profile.user_id == User.id)
        .where(
            User.id != user.id,
            User.deleted_at.is_(None),
            User.email_verified_at.is_not(None),
            User.id.not_in(_followed_ids(user.id)),
            ~blocks.blocked_with(user.id, User.id),
        )
        .options(
            joinedload(User.profile).selectinload(Profile.genres),
            joinedload(User.profile).selectinload(Profile.offered_skills),
            joinedload(User.profile).selectinload(Profile.wanted_skills),
        )
        .order_by(User.created_at.desc())
        .limit(SUGGESTION_POOL)
    ).unique()
    people = []
    for other in pool:
        profile = other.profile
        genres = [g for g in profile.genres if g.id in my_genres]
        they_offer = [s for s in profile.offered_skills if s.id in my_wants]
        they_want = [s for s in profile.wanted_skills if s.id in my_offers]
        score = 2 * len(genres) + 2 * len(they_offer) + len(they_want)
        if not score:
            continue
        reasons = []
        if genres:
            reasons.append("also writes " + ", ".join(g.name.lower() for g in genres[:2]))
        if they_offer:
            reasons.append("can help with " + ", ".join(s.name.lower() for s in they_offer[:2]))
        if they_want:
            reasons.append("would love your " + ", ".join(s.name.lower() for s in they_want[:2]))
        people.append(PersonToMeet(other, score, reasons))
    people.sort(key=lambda p: (-p.score, -p.user.created_at.timestamp()))
    return people[:limit]


@dataclass
class Step:
    key: str
    title: str
    done: bool
    endpoint: str


def onboarding_steps(user: User) -> list[Step]:
    """The newcomer's four first steps, and which are done."""
    profile = user.profile
    profile_done = bool(profile and profile.about.strip() and profile.genres)
    following = db.session.scalar(select(func.count()).where(Follow.follower_id == user.id))
    helps = (
        db.session.scalar(
            select(func.count()).select_from(Answer).where(Answer.volunteer_id == user.id)
        )
        or db.session.get(VolunteerOffer, user.id) is not None
    )
    posted = db.session.scalar(
        select(func.count()).select_from(HelpRequest).where(HelpRequest.requester_id == user.id)
    )
    return [
        Step(
            "profile",
            "Tell others about yourself: your writing, what you'd love help with",
            profile_done,
            "profiles.edit",
        ),
        Step(
            "follow",
            "Follow a few people you have something in common with",
            following >= 3,
            "profiles.directory",
        ),
        Step(
            "help",
            "Look at open requests you could help with, or offer to volunteer",
            bool(helps),
            "helping.board",
        ),
        Step("ask", "Ask for the help you need", bool(posted), "helping.new_request"),
    ]
