"""factory_boy factories for test data. The session is Flask-SQLAlchemy's."""

from __future__ import annotations

from functools import cache

import factory
from factory.alchemy import SQLAlchemyModelFactory

from community.accounts.models import User
from community.accounts.passwords import hash_password
from community.db import db, utcnow
from community.profiles.models import Profile

PASSWORD = "correct horse battery"


@cache
def _password_hash(password: str) -> str:
    return hash_password(password)


class ProfileFactory(SQLAlchemyModelFactory):
    class Meta:
        model = Profile
        sqlalchemy_session_factory = lambda: db.session  # noqa: E731
        sqlalchemy_session_persistence = "flush"

    about = factory.Faker("paragraph", nb_sentences=3)
    stage = "drafting"
    timezone = "Europe/London"


class UserFactory(SQLAlchemyModelFactory):
    class Meta:
        model = User
        sqlalchemy_session_factory = lambda: db.session  # noqa: E731
        sqlalchemy_session_persistence = "flush"

    class Params:
        unverified = factory.Trait(email_verified_at=None)
        password = PASSWORD

    email = factory.Sequence(lambda n: f"member{n}@example.com")
    display_name = factory.Faker("name")
    password_hash = factory.LazyAttribute(lambda o: _password_hash(o.password))
    email_verified_at = factory.LazyFunction(utcnow)
    profile = factory.RelatedFactory(ProfileFactory, factory_related_name="user")
