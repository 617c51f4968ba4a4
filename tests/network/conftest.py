"""Fixtures of the network tests: members with a known profile, logging in.

Follows in bulk and requests come from ``tests.builders``."""

from __future__ import annotations

import pytest

from community.db import db
from community.profiles import taxonomy


@pytest.fixture
def make_member(make_user):
    """A member whose profile says only what the test gives (no random about text).

    ``make_member("Maya Okafor", genres=["fantasy"], wants=["query-letters"],
    offers=["critique"], about="...", stage="querying", **user_fields)``; committed.
    """

    def make(
        name: str = "Member",
        *,
        genres=(),
        wants=(),
        offers=(),
        about: str = "",
        stage: str | None = "drafting",
        **user_fields,
    ):
        user = make_user(display_name=name, profile__about=about, **user_fields)
        profile = user.profile
        profile.genres = taxonomy.genres_by_slugs(genres)[0]
        profile.wanted_skills = taxonomy.skills_by_slugs(wants)[0]
        profile.offered_skills = taxonomy.skills_by_slugs(offers)[0]
        profile.stage = stage
        db.session.commit()
        return user

    return make


def login(client, user) -> None:
    response = client.post(
        "/login", data={"email": user.email, "password": "correct horse battery"}
    )
    assert response.status_code == 302, response.text


def flashes(client) -> list[tuple[str, str]]:
    with client.session_transaction() as session:
        return list(session.get("_flashes", []))
