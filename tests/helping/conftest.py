"""Fixtures for the helping area: members with offers, requests."""

from __future__ import annotations

import pytest
from sqlalchemy import select

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
