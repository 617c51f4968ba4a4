"""A realistic demo community, so that a newcomer has people to look at.

Members get varied names, stages, genres, wants and offers, timezones and
links, all drawn from a seeded random generator, so the same seed gives the
same community. Running it again adds nothing that is already there.
"""

from __future__ import annotations

import random
from datetime import timedelta

import click
from sqlalchemy import select

from community.accounts.models import User
from community.accounts.passwords import hash_password
from community.db import db, utcnow
from community.profiles.models import Genre, Profile, ProfileLink, Skill, WritingStage

DEMO_PASSWORD = "kindred-demo-2026"  # noqa: S105  (public, documented in the README)
DEMO_DOMAIN = "example.com"
HOST_EMAIL = f"host@{DEMO_DOMAIN}"

FIRST_NAMES = (
    "Ann Raj Maya Tomás Ingrid Kwame Li Sofia Daniel Priya Oliver Amara Hiro Elena Marcus "
    "Nadia Felix Zainab Jonas Chloe Mateo Aisha Ben Yuki Grace Omar Lena Samuel Ifeoma Pablo "
    "Rosa Theo Mira Kofi Hannah Arjun Beatriz Noah Leila Ewan Carmen Dev Freya Tariq Isla "
    "Victor Nkechi Rhys Paloma Sven Ayesha Luca Martha Jun Esther Idris Clara Bruno Wanjiru"
).split()
LAST_NAMES = (
    "Okafor Lindqvist Moreau Tanaka Petrova Mensah Chen Rossi Kowalski Sharma Byrne Haddad "
    "Nakamura Silva Fischer Adeyemi Novak Garcia Walsh Ibrahim Larsen Duarte Kaur Murphy "
    "Oyelaran Dubois Jensen Costa Mwangi Reyes Takahashi Brennan Eriksen Achebe Horvat Quinn"
).split()
TIMEZONES = (
    "Europe/London Europe/Dublin Europe/Paris Europe/Berlin Europe/Stockholm America/New_York "
    "America/Chicago America/Denver America/Los_Angeles America/Toronto America/Sao_Paulo "
    "Africa/Lagos Africa/Nairobi Asia/Kolkata Asia/Tokyo Asia/Singapore Australia/Sydney "
    "Pacific/Auckland"
).split()

OPENINGS = (
    "I write {genre} in the early mornings before my day job.",
    "Retired teacher, now finally writing the {genre} novel I always talked about.",
    "Nurse by day; {genre} writer by night and on long train rides.",
    "I came to {genre} late, after twenty years in sales, and I love it.",
    "Former journalist working on my first book of {genre}.",
    "Parent of three, writing {genre} in stolen half-hours.",
    "Librarian who reads everything and writes {genre}.",
    "I have been writing {genre} since I was twelve and I am still learning.",
)
WORK = {
    "drafting": "I am deep in a first draft and trying not to edit as I go.",
    "revising": "My draft is done and I am in my third round of revisions.",
    "querying": "I am querying agents and learning to take the rejections kindly.",
    "on_submission": "My agent has the book out on submission and I am biting my nails.",
    "published": "My debut came out last year and I am working on the second book.",
    "self_published": "I self-published two books and I am learning marketing the hard way.",
}
CLOSINGS = (
    "Tell me about your book: I would love to hear what you are working on.",
    "If I can help you, ask me: that is what I am here for.",
    "Happy to swap chapters with anyone writing something similar.",
    "I answer every message, even if it takes me a day or two.",
    "Other writers helped me when I started, and I want to pass that on.",
    "Write to me and tell me all about yourself.",
)


def _about(rng: random.Random, genre_name: str, stage: str) -> str:
    first = rng.choice(OPENINGS).format(genre=genre_name.lower())
    return f"{first} {WORK[stage]}\n\n{rng.choice(CLOSINGS)}"


def seed_demo_community(members: int = 60, seed: int = 2011) -> int:
    """Create up to ``members`` demo members (plus a host account). Commits.

    Returns how many were created; existing demo members are left as they are.
    """
    rng = random.Random(seed)
    genres = db.session.scalars(select(Genre).order_by(Genre.position)).all()
    skills = db.session.scalars(select(Skill).order_by(Skill.position)).all()
    if not genres or not skills:
        raise click.ClickException("The taxonomy is missing: run `flask db upgrade` first.")
    existing = set(
        db.session.scalars(select(User.email).where(User.email.like(f"%@{DEMO_DOMAIN}")))
    )
    password_hash = hash_password(DEMO_PASSWORD)
    now = utcnow()
    created = 0

    names = [(first, last) for first in FIRST_NAMES for last in LAST_NAMES]
    rng.shuffle(names)
    people = [("Kindred", "Host", HOST_EMAIL)] + [
        (first, last, f"{first}.{last}@{DEMO_DOMAIN}".lower()) for first, last in names[:members]
    ]
    with click.progressbar(people, label="Creating demo members") as bar:
        for first, last, email in bar:
            if email in existing:
                continue
            stage = rng.choice(list(WritingStage)).value
            member_genres = rng.sample(genres, k=rng.randint(1, 3))
            offers = rng.sample(skills, k=rng.randint(1, 4))
            wants = rng.sample([s for s in skills if s not in offers], k=rng.randint(1, 3))
            user = User(
                email=email,
                display_name=f"{first} {last}",
                password_hash=password_hash,
                email_verified_at=now - timedelta(days=rng.randint(1, 400)),
                created_at=now - timedelta(days=rng.randint(1, 400)),
                is_admin=email == HOST_EMAIL,
            )
            profile = Profile(
                about=_about(rng, member_genres[0].name, stage),
                stage=stage,
                timezone=rng.choice(TIMEZONES),
                genres=member_genres,
                offered_skills=offers,
                wanted_skills=wants,
            )
            if rng.random() < 0.6:
                slug = f"{first}{last}".lower()
                profile.links = [
                    ProfileLink(position=0, label="Website", url=f"https://{slug}.example.org/")
                ]
            user.profile = profile
            db.session.add(user)
            created += 1
    db.session.commit()
    total = len(existing) + created
    click.echo(
        f"Demo community ready: {created} members created, {total} in all. "
        f"Log in as {HOST_EMAIL} (admin) or any member with the password {DEMO_PASSWORD}."
    )
    return created
