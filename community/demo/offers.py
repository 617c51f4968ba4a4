"""Volunteer offers: most members keep one (skills, genres, capacity, a note,
some on a break), made through the domain so that ranks and availability hold."""

from __future__ import annotations

import random
from datetime import timedelta

from community.demo.content.members import CAPACITIES, HOST_EMAIL, OFFER_NOTES
from community.demo.play import Play
from community.helping import offers


def make_offer(play: Play, email: str, genres) -> None:
    rng = random.Random(f"{play.seed}:offer:{email}")
    user = play.users.get(email)
    is_host = email == HOST_EMAIL
    wants_offer = is_host or rng.random() < 0.85
    if user is None or not wants_offer or offers.offer_of(user.id) is not None:
        return
    profile = user.profile
    skill_ids = [skill.id for skill in (profile.offered_skills if profile else [])]
    if is_host:
        skill_ids = [play.skill_by_slug[s].id for s in ("beta-reading", "critique", "synopsis")]
    elif not skill_ids or rng.random() < 0.4:
        extra = rng.choice(list(play.skill_by_slug.values()))
        skill_ids = list(dict.fromkeys([*skill_ids, extra.id]))
    genre_ids = [genre.id for genre in (profile.genres if profile else [])]
    if is_host:
        genre_ids = [play.genre_by_slug[s].id for s in ("fantasy", "science-fiction")]
    elif rng.random() < 0.5:
        genre_ids = list(dict.fromkeys([*genre_ids, rng.choice(genres).id]))
    genre_name = profile.genres[0].name.lower() if profile and profile.genres else "stories"
    offer = offers.save_offer(
        user,
        offers.OfferInput(
            skill_ids=skill_ids,
            genre_ids=genre_ids,
            monthly_capacity=4 if is_host else rng.choice(CAPACITIES),
            note=rng.choice(OFFER_NOTES).format(genre=genre_name),
            on_break=not is_host and rng.random() < 0.08,
        ),
    )
    offer.created_at = play.now - timedelta(days=rng.uniform(20, 300))
    offer.updated_at = play.now - timedelta(days=rng.uniform(0, 20))
    if user.last_seen_at is None:
        user.last_seen_at = play.now - timedelta(hours=rng.uniform(1, 24 * 25))
    play.counts.offers += 1
