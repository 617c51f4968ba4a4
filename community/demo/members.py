"""Members and profiles: the host (an admin) and up to ``members`` authors with
varied names, stages, genres, wants and offers, timezones and links, all
verified, joined over the past year."""

from __future__ import annotations

import random
from datetime import datetime, timedelta

import click
from sqlalchemy import select

from community.accounts.models import User
from community.accounts.passwords import hash_password
from community.db import db
from community.demo.content.members import (
    DEMO_DOMAIN,
    DEMO_PASSWORD,
    FIRST_NAMES,
    HOST_EMAIL,
    LAST_NAMES,
    TIMEZONES,
    about,
)
from community.profiles.models import Genre, Profile, ProfileLink, Skill, WritingStage


def create_members(
    rng: random.Random,
    members: int,
    now: datetime,
    genres: list[Genre],
    skills: list[Skill],
) -> tuple[int, list[str]]:
    """Create the members not there yet; commit. Returns how many were created
    and every demo member's email, the host first."""
    existing = set(
        db.session.scalars(select(User.email).where(User.email.like(f"%@{DEMO_DOMAIN}")))
    )
    password_hash = hash_password(DEMO_PASSWORD)
    created = 0

    names = [(first, last) for first in FIRST_NAMES for last in LAST_NAMES]
    rng.shuffle(names)
    people = [("Kindred", "Host", HOST_EMAIL)] + [
        (first, last, f"{first}.{last}@{DEMO_DOMAIN}".lower()) for first, last in names[:members]
    ]
    with click.progressbar(people, label="Creating demo members") as bar:
        for first, last, email in bar:
            # Every member's draws are taken, new or not, so that the same seed
            # gives the same people whatever is already there.
            stage = rng.choice(list(WritingStage)).value
            member_genres = rng.sample(genres, k=rng.randint(1, 3))
            offered = rng.sample(skills, k=rng.randint(1, 4))
            wants = rng.sample([s for s in skills if s not in offered], k=rng.randint(1, 3))
            verified_days, joined_days = rng.randint(1, 400), rng.randint(1, 400)
            about_text = about(rng, member_genres[0].name, stage)
            timezone = rng.choice(TIMEZONES)
            with_link = rng.random() < 0.6
            if email in existing:
                continue
            user = User(
                email=email,
                display_name=f"{first} {last}",
                password_hash=password_hash,
                email_verified_at=now - timedelta(days=verified_days),
                created_at=now - timedelta(days=joined_days),
                is_admin=email == HOST_EMAIL,
            )
            profile = Profile(
                about=about_text,
                stage=stage,
                timezone=timezone,
                genres=member_genres,
                offered_skills=offered,
                wanted_skills=wants,
            )
            if with_link:
                slug = f"{first}{last}".lower()
                profile.links = [
                    ProfileLink(position=0, label="Website", url=f"https://{slug}.example.org/")
                ]
            user.profile = profile
            db.session.add(user)
            created += 1
    db.session.commit()
    return created, [email for _, _, email in people]
