"""Fixtures of the profiles tests: members with a filled-in profile."""

from __future__ import annotations

import pytest

from community.db import db
from community.profiles import taxonomy


@pytest.fixture
def make_member(make_user):
    """Like ``make_user``, with the profile's genres and skills given by slug.

    ``make_member(genres=["fantasy"], wants=["critique"], offers=["marketing"],
    about="...", stage="querying", **user_fields)``; committed.
    """

    def make(*, genres=(), wants=(), offers=(), about=None, stage="drafting", **user_fields):
        user = make_user(**user_fields)
        profile = user.profile
        profile.genres = taxonomy.genres_by_slugs(genres)[0]
        profile.wanted_skills = taxonomy.skills_by_slugs(wants)[0]
        profile.offered_skills = taxonomy.skills_by_slugs(offers)[0]
        profile.stage = stage
        if about is not None:
            profile.about = about
        db.session.commit()
        return user

    return make
