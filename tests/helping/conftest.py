"""Fixtures for the helping area: members with offers, requests."""

from __future__ import annotations

import pytest
from sqlalchemy import inspect, select

from community.db import db
from community.helping import offers, requests
from community.profiles.models import Genre, Skill


def skill_ids(*slugs: str) -> list[int]:
    rows = db.session.execute(select(Skill.slug, Skill.id).where(Skill.slug.in_(slugs)))
    found = dict(rows.all())
    return [found[slug] for slug in slugs]


def genre_id(slug: str) -> int:
    return db.session.scalar(select(Genre.id).where(Genre.slug == slug))


@pytest.fixture
def make_offer(app):
    def make(user, *skills: str, capacity: int = 2, genres=(), note: str = "", on_break=False):
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

    return make


@pytest.fixture
def make_request(app):
    def make(
        user,
        *skills: str,
        title="Beta readers for my fantasy novel",
        helpers=1,
        details="A 90k-word epic fantasy about a lighthouse keeper; looking for pacing notes.",
        genre="fantasy",
        format="written",
        effort="about 6 hours",
        deadline=None,
    ):
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

    return make


# --- shared helpers of the domain tests ---------------------------------------


def reload(instance):
    """``instance`` as the database has it now (another session may have changed it)."""
    db.session.expire_all()
    return db.session.get(type(instance), inspect(instance).identity)


def notifications_of(user, kind: str | None = None) -> list:
    from community.notifications.models import Notification

    statement = select(Notification).where(Notification.user_id == user.id)
    if kind is not None:
        statement = statement.where(Notification.kind == kind)
    db.session.expire_all()
    return list(db.session.scalars(statement.order_by(Notification.id)))


def answer(volunteer, request, note: str = "I would love to help with this."):
    """The volunteer says "I can help"; committed."""
    from community.helping import answers

    made = answers.answer_request(volunteer, request, note)
    db.session.commit()
    return made


def accept(requester, made_answer):
    """The requester accepts the answer; committed (introductions run after it)."""
    from community.helping import matches

    match = matches.accept_answer(requester, made_answer)
    db.session.commit()
    return match


def pin_activity(*offers_, at=None, last_seen=None) -> None:
    """Give offers the same activity moment (and their members the same last visit),
    then refresh their ranks: members made a few milliseconds apart otherwise differ
    by a hair in the activity signal, which would decide ties."""
    from community.db import utcnow
    from community.helping import rank

    at = at or utcnow()
    for offer in offers_:
        offer.updated_at = at
        offer.user.last_seen_at = last_seen
        rank.refresh_rank(offer)
    db.session.commit()


@pytest.fixture
def make_volunteer(make_user, make_offer):
    """A member with a plain, controlled profile (no random about text) and an offer.

    ``make_volunteer("Vic", "beta-reading", "critique", about="...", timezone=...,
    profile_genres=[...], capacity=2, genres=[...], note="...", on_break=False)``
    """

    def make(
        name: str,
        *skills: str,
        about: str = "",
        timezone: str | None = "Europe/London",
        profile_genres=(),
        email: str | None = None,
        **offer_kwargs,
    ):
        fields = {"display_name": name, "profile__about": about, "profile__timezone": timezone}
        if email:
            fields["email"] = email
        user = make_user(**fields)
        if profile_genres:
            user.profile.genres = list(
                db.session.scalars(select(Genre).where(Genre.slug.in_(profile_genres)))
            )
            db.session.commit()
        make_offer(user, *skills, **offer_kwargs)
        return user

    return make
