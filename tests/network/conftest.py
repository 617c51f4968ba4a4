"""Fixtures of the network tests: members with a known profile, follows in bulk."""

from __future__ import annotations

import pytest
from sqlalchemy import insert, select

from community.db import db, utcnow
from community.network.models import Follow
from community.notifications.models import Notification
from community.profiles import taxonomy
from tests.factories import UserFactory
from tests.helping.conftest import make_offer, make_request  # noqa: F401


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


def add_follows(pairs, at=None) -> None:
    """Follow rows straight into the table (one executemany), committed: for
    tests that need many follows, or follows without notifications."""
    at = at or utcnow()
    rows = [{"follower_id": a.id, "followed_id": b.id, "created_at": at} for a, b in pairs]
    if rows:
        db.session.execute(insert(Follow), rows)
    db.session.commit()


def notifications_of(user, kind: str | None = None) -> list[Notification]:
    statement = select(Notification).where(Notification.user_id == user.id)
    if kind is not None:
        statement = statement.where(Notification.kind == kind)
    db.session.expire_all()
    return list(db.session.scalars(statement.order_by(Notification.id)))


def login(client, user) -> None:
    response = client.post(
        "/login", data={"email": user.email, "password": "correct horse battery"}
    )
    assert response.status_code == 302, response.text


def flashes(client) -> list[tuple[str, str]]:
    with client.session_transaction() as session:
        return list(session.get("_flashes", []))
