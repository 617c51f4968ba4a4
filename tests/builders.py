"""Builders of test data, through the domain functions.

One place where tests build offers, requests, answers, matches and follows.
Each builder calls the function a member's action calls (so the search
index, capacities, ranks, notifications and conversations hold, as they
would on the site) and commits, as the request that did it would: the
after-commit work (introductions, emails) runs as it does in production.
Members themselves come from ``tests.factories`` (``make_user``).

Fixtures (``make_offer``, ``make_request`` in tests/conftest.py) wrap these;
test modules import the plain functions from here, never from a conftest.
"""

from __future__ import annotations

from datetime import date, datetime

from sqlalchemy import insert, inspect, select

from community.chat.models import Conversation
from community.db import db, utcnow
from community.helping import answers, matches, offers, rank, requests
from community.network.models import Follow
from community.notifications.models import Notification
from community.profiles import taxonomy
from community.profiles.models import Genre, Skill
from tests.factories import UserFactory

NOVEL_DETAILS = "A 90k-word epic fantasy about a lighthouse keeper; looking for pacing notes."


# --- the taxonomy -------------------------------------------------------------


def skill_ids(*slugs: str) -> list[int]:
    rows = db.session.execute(select(Skill.slug, Skill.id).where(Skill.slug.in_(slugs)))
    found = dict(rows.all())
    return [found[slug] for slug in slugs]


def genre_id(slug: str) -> int:
    return db.session.scalar(select(Genre.id).where(Genre.slug == slug))


# --- helping: offers, requests, answers, matches ------------------------------


def make_offer(
    user, *skills: str, capacity: int = 2, genres=(), note: str = "", on_break: bool = False
):
    """``user``'s volunteer offer (beta reading unless ``skills`` say otherwise); committed."""
    offer = offers.save_offer(
        user,
        offers.OfferInput(
            skill_ids=skill_ids(*(skills or ("beta-reading",))),
            genre_ids=[genre_id(slug) for slug in genres],
            monthly_capacity=capacity,
            note=note,
            on_break=on_break,
        ),
    )
    db.session.commit()
    return offer


def make_request(
    user,
    *skills: str,
    title: str = "Beta readers for my fantasy novel",
    helpers: int = 1,
    details: str = NOVEL_DETAILS,
    genre: str | None = "fantasy",
    format: str = "written",
    effort: str = "about 6 hours",
    deadline: date | None = None,
):
    """``user`` posts a help request (beta reading unless ``skills`` say otherwise); committed."""
    request = requests.post_request(
        user,
        requests.RequestInput(
            title=title,
            details=details,
            skill_ids=skill_ids(*(skills or ("beta-reading",))),
            genre_id=genre_id(genre) if genre else None,
            format=format,
            effort=effort,
            deadline=deadline,
            helpers_wanted=helpers,
        ),
    )
    db.session.commit()
    return request


def answer(volunteer, request, note: str = "I would love to help with this."):
    """The volunteer says "I can help"; committed."""
    made = answers.answer_request(volunteer, request, note)
    db.session.commit()
    return made


def accept(requester, made_answer):
    """The requester accepts the answer; committed (introductions run after it)."""
    match = matches.accept_answer(requester, made_answer)
    db.session.commit()
    return match


def make_match(requester, helper, *, helpers: int = 3):
    """``helper`` (given an offer) answers a request of ``requester``'s, who
    accepts: returns (match, conversation), committed."""
    make_offer(helper, capacity=5)
    request = make_request(
        requester,
        title="Beta readers for my novel",
        details="A 90k-word fantasy; I would love notes on the pacing of the middle.",
        genre=None,
        helpers=helpers,
    )
    match = accept(requester, answer(helper, request, "I would love to read it."))
    conversation = db.session.scalar(select(Conversation).where(Conversation.match_id == match.id))
    return match, conversation


def pin_activity(*offers_, at: datetime | None = None, last_seen: datetime | None = None) -> None:
    """Give offers the same activity moment (and their members the same last visit),
    then refresh their ranks: members made a few milliseconds apart otherwise differ
    by a hair in the activity signal, which would decide ties."""
    at = at or utcnow()
    for offer in offers_:
        offer.updated_at = at
        offer.user.last_seen_at = last_seen
        rank.refresh_rank(offer)
    db.session.commit()


# --- network: members in bulk, follows ----------------------------------------


def bulk_members(count: int, genres=()) -> list:
    """``count`` verified members with profiles, in one flush (fast enough for 500)."""
    members = UserFactory.build_batch(count)
    shared = taxonomy.genres_by_slugs(genres)[0]
    for member in members:
        member.profile.about = ""
        member.profile.genres = list(shared)
    db.session.add_all(members)
    db.session.commit()
    return members


def add_follows(pairs, at: datetime | None = None) -> None:
    """Follow rows straight into the table (one executemany), committed: for
    tests that need many follows, or follows without notifications (the one
    builder that bypasses the domain, on purpose)."""
    at = at or utcnow()
    rows = [{"follower_id": a.id, "followed_id": b.id, "created_at": at} for a, b in pairs]
    if rows:
        db.session.execute(insert(Follow), rows)
    db.session.commit()


# --- reading back what was built ----------------------------------------------


def reload(instance):
    """``instance`` as the database has it now (another session may have changed it)."""
    db.session.expire_all()
    return db.session.get(type(instance), inspect(instance).identity)


def notifications_of(user, kind: str | None = None) -> list[Notification]:
    statement = select(Notification).where(Notification.user_id == user.id)
    if kind is not None:
        statement = statement.where(Notification.kind == kind)
    db.session.expire_all()
    return list(db.session.scalars(statement.order_by(Notification.id)))
