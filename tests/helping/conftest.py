"""Fixtures for the helping area: volunteers with a controlled profile and an offer.

Offers, requests, answers and matches are built by ``tests.builders``."""

from __future__ import annotations

import pytest
from sqlalchemy import select

from community.db import db
from community.profiles.models import Genre


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
