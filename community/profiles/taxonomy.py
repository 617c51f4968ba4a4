"""The taxonomy members describe themselves with: genres and skills.

Both tables are seeded by a migration and only read here. Lists come back in
their curated ``position`` order, which is the order members see them in.
Nothing is cached in the process: an operator may add a genre in the database
and every web process sees it on the next request.
"""

from __future__ import annotations

import re
from collections.abc import Iterable

from sqlalchemy import select

from community.db import db
from community.profiles.models import Genre, Skill

# Seeded slugs are lower-case words joined by hyphens. Anything else (a typo in
# a URL, a crafted query string) cannot name a row, so it is refused before it
# reaches the database, where some bytes (NUL) would be an error, not a miss.
SLUG = re.compile(r"[a-z0-9][a-z0-9-]{0,39}")


def is_slug(value: str | None) -> bool:
    return bool(value) and SLUG.fullmatch(value) is not None


def all_genres() -> list[Genre]:
    return list(db.session.scalars(select(Genre).order_by(Genre.position, Genre.id)))


def all_skills() -> list[Skill]:
    return list(db.session.scalars(select(Skill).order_by(Skill.position, Skill.id)))


def genre_by_slug(slug: str | None) -> Genre | None:
    """The genre with this slug, or None (also for malformed slugs)."""
    if not is_slug(slug):
        return None
    return db.session.scalar(select(Genre).where(Genre.slug == slug))


def skill_by_slug(slug: str | None) -> Skill | None:
    """The skill with this slug, or None (also for malformed slugs)."""
    if not is_slug(slug):
        return None
    return db.session.scalar(select(Skill).where(Skill.slug == slug))


def genres_by_slugs(slugs: Iterable[str]) -> tuple[list[Genre], set[str]]:
    """The genres named by ``slugs`` in position order, and the slugs that name none."""
    return _by_slugs(Genre, slugs)


def skills_by_slugs(slugs: Iterable[str]) -> tuple[list[Skill], set[str]]:
    """The skills named by ``slugs`` in position order, and the slugs that name none."""
    return _by_slugs(Skill, slugs)


def _by_slugs(model, slugs: Iterable[str]):
    wanted = set(slugs)
    valid = {slug for slug in wanted if is_slug(slug)}
    found = (
        list(
            db.session.scalars(
                select(model).where(model.slug.in_(valid)).order_by(model.position, model.id)
            )
        )
        if valid
        else []
    )
    return found, wanted - {row.slug for row in found}
