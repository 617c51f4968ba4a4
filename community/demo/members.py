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


def add_member(
    email: str,
    name: str,
    now: datetime,
    *,
    joined_days: float,
    about_text: str = "",
    stage: WritingStage = WritingStage.DRAFTING,
    timezone: str = "Europe/London",
    genres: list[Genre] = (),
    offered: list[Skill] = (),
    wanted: list[Skill] = (),
) -> User:
    """One verified member with a profile, joined ``joined_days`` ago (a
    persona of a later phase: the moderator, say). Flushes."""
    joined = now - timedelta(days=joined_days)
    user = User(
        email=email,
        display_name=name,
        password_hash=hash_password(DEMO_PASSWORD),
        email_verified_at=joined,
        created_at=joined,
    )
    user.profile = Profile(
        about=about_text,
        stage=stage.value,
        timezone=timezone,
        genres=list(genres),
        offered_skills=list(offered),
        wanted_skills=list(wanted),
    )
    db.session.add(user)
    db.session.flush()
    return user
