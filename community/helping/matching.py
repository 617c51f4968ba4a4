"""The matching engine: the best volunteers for a request, the best requests
for a volunteer, each suggestion with its reasons in words.

No web code here: views, jobs and benchmarks call these functions.

How a suggestion is found (so that cost does not grow with the community):

1. Hard filters. A volunteer must share at least one skill with the request,
   not be the requester, not be on a break, have room left this month
   (capacity, less the answers already waiting for a reply: fair_limits),
   not have blocked or been blocked by the requester (community.blocks)
   and not have answered or been invited already.
2. Candidates. Each volunteer's request-independent score (``rank_score``:
   capacity, measured reliability, activity, fairness, reciprocity) is kept on their offer
   and copied onto their skill rows, which carry an availability flag. For
   each skill of the request, the best ``CANDIDATES_PER_SKILL`` available
   volunteers of three pools are taken, each pool one walk down that index
   from the top, stopping when the pool is full, whatever the number of
   volunteers: everyone offering the skill; those who also help with or
   write the request's genre; and, for live help, those of them whose clock
   is near the requester's (:func:`candidate_volunteer_ids`).
3. Scoring. The candidates are scored in full (adding skill and genre
   overlap, text relevance and timezone distance), and the best returned.

Why three pools: the request-dependent signals weigh as much as the rank
(genre 1.5, timezone 1.0), so a volunteer of the request's genre in the
requester's timezone beats many better-ranked ones who share neither. By
the rank alone, the engine found 3 of the 10 volunteers that scoring
everyone finds at 100k; with the pools, 10 of 10 (bench/matching.py,
docs/BENCHMARKS.md). What is left out is a volunteer whose only strength is
their text (weight 2.0, but in practice worth a few tenths: a cosine of
word sets): outside the top few hundred of every pool, they are not scored.

The weights of every signal (``WEIGHTS``) and the request-independent
signals live in :mod:`community.helping.rank`, capacity in
:mod:`community.helping.capacity`; this module only reads them.
"""

from __future__ import annotations

import math
from dataclasses import dataclass, field
from datetime import UTC, datetime
from functools import cache, lru_cache
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError, available_timezones

from sqlalchemy import Select, exists, func, or_, select
from sqlalchemy.orm import joinedload, selectinload

from community import blocks
from community.accounts.models import User
from community.db import db, utcnow
from community.helping.capacity import capacity_left, is_available
from community.helping.fair_limits import waiting_answers_of
from community.helping.models import (
    Answer,
    HelpFormat,
    HelpRequest,
    Match,
    MatchStatus,
    OfferSkill,
    RequestStatus,
    VolunteerOffer,
    offer_genres,
    request_skills,
)
from community.helping.rank import rank_signals, reciprocity_signal, weighted
from community.helping.reliability import kind_words
from community.moderation.models import HiddenItem
from community.profiles.models import Profile, profile_genres
from community.words import keywords

CANDIDATES_PER_SKILL = 200
NEAR_HOURS = 2


@dataclass
class Suggestion:
    """A suggested volunteer (or request), its score, and why, in words."""

    score: float
    reasons: list[str]
    signals: dict[str, float] = field(default_factory=dict)
    volunteer: User | None = None
    offer: VolunteerOffer | None = None
    request: HelpRequest | None = None


# --- signals ------------------------------------------------------------------


def text_relevance(request_words: frozenset[str], volunteer_words: frozenset[str]) -> float:
    """Cosine similarity of two word sets: 0 (nothing shared) to 1."""
    if not request_words or not volunteer_words:
        return 0.0
    shared = len(request_words & volunteer_words)
    return shared / math.sqrt(len(request_words) * len(volunteer_words))


@cache
def _zone(name: str) -> ZoneInfo | None:
    try:
        return ZoneInfo(name)
    except (ZoneInfoNotFoundError, ValueError):
        return None


def hours_apart(zone_a: str | None, zone_b: str | None, at: datetime | None = None) -> float | None:
    """Hours between two timezones' clocks now (0 to 12), or None if unknown."""
    a, b = _zone(zone_a or ""), _zone(zone_b or "")
    if a is None or b is None:
        return None
    at = at or datetime.now(UTC)
    difference = abs(at.astimezone(a).utcoffset() - at.astimezone(b).utcoffset())
    hours = difference.total_seconds() / 3600
    return min(hours, 24 - hours)


def timezone_signal(hours: float | None) -> float:
    return 0.5 if hours is None else max(0.0, 1 - hours / 12)


# --- volunteers for a request -------------------------------------------------


def _names(items) -> list[str]:
    return [item.name.lower() for item in items]


def _join_words(words: list[str]) -> str:
    if len(words) <= 1:
        return "".join(words)
    return ", ".join(words[:-1]) + " and " + words[-1]


def score_volunteer(
    request: HelpRequest,
    request_words: frozenset[str],
    offer: VolunteerOffer,
    now: datetime,
) -> Suggestion:
    """Score one volunteer for one request. Pure: reads loaded objects only."""
    volunteer = offer.user
    profile: Profile | None = volunteer.profile
    offer_skill_ids = {link.skill_id for link in offer.skill_links}
    shared_skills = [skill for skill in request.skills if skill.id in offer_skill_ids]
    helps_genres = {genre.id for genre in offer.genres} | {
        genre.id for genre in (profile.genres if profile else [])
    }
    genre_shared = request.genre_id is not None and request.genre_id in helps_genres
    volunteer_words = keywords(f"{profile.about if profile else ''} {offer.note}")
    shared_words = sorted(request_words & volunteer_words)
    live = HelpFormat(request.format).is_live
    apart = (
        hours_apart(
            request.requester.profile.timezone if request.requester.profile else None,
            profile.timezone if profile else None,
            now,
        )
        if live
        else None
    )

    signals = {
        "skills": len(shared_skills) / max(len(request.skills), 1),
        "genre": 1.0 if genre_shared else 0.0,
        "text": text_relevance(request_words, volunteer_words),
        "timezone": timezone_signal(apart) if live else 0.0,
        **rank_signals(offer, now),
    }

    reasons = []
    in_common = _names(shared_skills) + ([request.genre.name.lower()] if genre_shared else [])
    if in_common:
        reasons.append(f"{_join_words(in_common)} in common")
    if shared_words:
        reasons.append("writes about " + _join_words([f"“{w}”" for w in shared_words[:2]]))
    left = capacity_left(offer)
    reasons.append(f"{left} place{'s' if left != 1 else ''} free this month")
    # Measured, in kind words only (none for a weak or short record).
    reasons.extend(kind_words(offer))
    if live and apart is not None:
        reasons.append("same timezone" if apart < 1 else f"{apart:g} hours apart")
    if offer.recent_matches == 0:
        reasons.append("has not been matched lately")
    if offer.received_count:
        reasons.append("was helped here and is paying it forward")
    return Suggestion(
        score=weighted(signals), reasons=reasons, signals=signals, volunteer=volunteer, offer=offer
    )


def _already_involved(request_id: int) -> set[int]:
    return set(
        db.session.scalars(select(Answer.volunteer_id).where(Answer.request_id == request_id))
    )


@cache
def _zone_names() -> tuple[str, ...]:
    return tuple(sorted(available_timezones()))


@lru_cache(maxsize=256)
def _near_zones(zone: str, hour: datetime, hours: float) -> tuple[str, ...]:
    return tuple(
        name
        for name in _zone_names()
        if (apart := hours_apart(zone, name, hour)) is not None and apart <= hours
    )


def near_zones(zone: str | None, at: datetime, hours: float = NEAR_HOURS) -> list[str]:
    """The timezone names whose clocks are within ``hours`` of ``zone``'s at ``at``.

    Empty when ``zone`` is unknown. Worked out once per zone and hour (clocks
    change on the hour), so the cost does not depend on the community.
    """
    if _zone(zone or "") is None:
        return []
    return list(_near_zones(zone, at.replace(minute=0, second=0, microsecond=0), hours))


def _best_of_skill(skill_id: int, limit: int, *fits) -> Select:
    """The ``limit`` best-ranked available, verified volunteers offering ``skill_id``
    who also satisfy ``fits``: one walk down ``ix_offer_skills_rank`` from the
    highest rank, probing each row's fit until ``limit`` are found."""
    return (
        select(OfferSkill.user_id)
        .join(User, User.id == OfferSkill.user_id)
        .where(
            OfferSkill.skill_id == skill_id,
            OfferSkill.available.is_(True),
            User.email_verified_at.is_not(None),
            User.deleted_at.is_(None),
            *fits,
        )
        .order_by(OfferSkill.rank_score.desc())
        .limit(limit)
    )


def _helps_with_genre(genre_id: int):
    """The volunteer (an OfferSkill row's user) helps with or writes ``genre_id``:
    the same two sources as score_volunteer's genre signal.

    Each test is a probe of a primary key per row walked. ``OFFSET 0`` keeps
    PostgreSQL from turning them into hashed subplans, which would read every
    volunteer of the genre (and every profile) before the first row: a cost
    that grows with the community, which the walk does not.
    """
    return or_(
        exists(
            select(offer_genres.c.user_id)
            .where(
                offer_genres.c.user_id == OfferSkill.user_id,
                offer_genres.c.genre_id == genre_id,
            )
            .offset(0)
        ),
        exists(
            select(Profile.id)
            .join(profile_genres, profile_genres.c.profile_id == Profile.id)
            .where(Profile.user_id == OfferSkill.user_id, profile_genres.c.genre_id == genre_id)
            .offset(0)
        ),
    )


def _lives_near(zones: list[str]):
    return exists().where(Profile.user_id == OfferSkill.user_id, Profile.timezone.in_(zones))


def candidate_volunteer_ids(
    request: HelpRequest,
    per_skill: int = CANDIDATES_PER_SKILL,
    at: datetime | None = None,
    *,
    excluded: set[int] = frozenset(),
) -> set[int]:
    """The volunteers worth scoring for ``request``: for each of its skills, the
    best-ranked ``per_skill`` of up to three pools (index walks, so the cost
    does not grow with the community).

    1. everyone offering the skill;
    2. those who also help with or write the request's genre (genre weighs
       1.5, so a volunteer of the genre far down the overall rank can still
       come first);
    3. for live formats, those among them (or, without a genre, among
       everyone) whose clock is within ``NEAR_HOURS`` of the requester's.

    A pool only chooses whom to score; every candidate is then scored in full,
    so what is suggested, and why, is what scoring everyone would say about
    them. Only verified, present members: an address nobody confirmed is never
    suggested to anyone (filtered here, before the limit, so an unverified
    offer cannot take a verified volunteer's place); ``excluded`` (those who
    answered or were invited, the requester, blocks) likewise.
    """
    pools: list[tuple] = [()]
    if request.genre_id is not None:
        pools.append((_helps_with_genre(request.genre_id),))
    if HelpFormat(request.format).is_live:
        requester = request.requester.profile
        zones = near_zones(requester.timezone if requester else None, at or utcnow())
        if zones:
            pools.append((*pools[-1], _lives_near(zones)))
    if excluded:
        pools = [(*fits, OfferSkill.user_id.not_in(list(excluded))) for fits in pools]
    ids: set[int] = set()
    for skill in request.skills:
        for fits in pools:
            ids.update(db.session.scalars(_best_of_skill(skill.id, per_skill, *fits)))
    return ids - excluded


def load_offers(user_ids) -> list[VolunteerOffer]:
    """Offers with everything scoring reads, in a fixed number of queries."""
    if not user_ids:
        return []
    return list(
        db.session.scalars(
            select(VolunteerOffer)
            .where(VolunteerOffer.user_id.in_(list(user_ids)))
            .options(
                joinedload(VolunteerOffer.user)
                .joinedload(User.profile)
                .selectinload(Profile.genres),
                selectinload(VolunteerOffer.skill_links),
                selectinload(VolunteerOffer.genres),
            )
        ).unique()
    )


def suggest_volunteers(
    request: HelpRequest, limit: int = 10, per_skill: int = CANDIDATES_PER_SKILL
) -> list[Suggestion]:
    """The best volunteers for ``request``, best first, each with reasons."""
    if request.status != RequestStatus.OPEN:
        return []
    now = utcnow()
    # Left out before the pools' limits, so that nobody who cannot be suggested
    # takes the place of someone who can.
    excluded = (
        _already_involved(request.id)
        | {request.requester_id}
        | blocks.blocked_ids(request.requester_id)
    )
    candidates = candidate_volunteer_ids(request, per_skill, now, excluded=excluded)
    offers = [
        offer
        for offer in load_offers(candidates)
        if is_available(offer) and not offer.user.is_deleted and offer.user.is_verified
    ]
    # Answers waiting for a reply fill room too: nobody is suggested who
    # could not accept one more (community.helping.fair_limits).
    waiting = waiting_answers_of(offer.user_id for offer in offers)
    offers = [offer for offer in offers if capacity_left(offer) > waiting.get(offer.user_id, 0)]
    words = keywords(f"{request.title} {request.details}")
    suggestions = [score_volunteer(request, words, offer, now) for offer in offers]
    suggestions.sort(key=lambda s: (-s.score, s.volunteer.id))
    return suggestions[:limit]


# --- requests for a volunteer -------------------------------------------------


def score_request(
    volunteer: User,
    volunteer_words: frozenset[str],
    skill_ids: set[int],
    genre_ids: set[int],
    request: HelpRequest,
    requester_helped: int,
    now: datetime,
) -> Suggestion:
    """Score one open request for one volunteer. Pure: reads loaded objects only."""
    shared_skills = [skill for skill in request.skills if skill.id in skill_ids]
    genre_shared = request.genre_id is not None and request.genre_id in genre_ids
    request_words = keywords(f"{request.title} {request.details}")
    shared_words = sorted(request_words & volunteer_words)
    live = HelpFormat(request.format).is_live
    volunteer_zone = volunteer.profile.timezone if volunteer.profile else None
    requester_zone = request.requester.profile.timezone if request.requester.profile else None
    apart = hours_apart(volunteer_zone, requester_zone, now) if live else None
    signals = {
        "skills": len(shared_skills) / max(len(request.skills), 1),
        "genre": 1.0 if genre_shared else 0.0,
        "text": text_relevance(request_words, volunteer_words),
        "timezone": timezone_signal(apart) if live else 0.0,
        "reciprocity": reciprocity_signal(requester_helped),
    }
    reasons = []
    in_common = _names(shared_skills) + ([request.genre.name.lower()] if genre_shared else [])
    if in_common:
        reasons.append(f"{_join_words(in_common)} in common")
    if shared_words:
        reasons.append("mentions " + _join_words([f"“{w}”" for w in shared_words[:2]]))
    if live and apart is not None:
        reasons.append("same timezone" if apart < 1 else f"{apart:g} hours apart")
    if requester_helped:
        reasons.append(
            f"{request.requester.display_name.split()[0]} has helped "
            f"{requester_helped} member{'s' if requester_helped != 1 else ''} here"
        )
    return Suggestion(score=weighted(signals), reasons=reasons, signals=signals, request=request)


def suggest_requests(
    volunteer: User, limit: int = 20, per_skill: int = CANDIDATES_PER_SKILL
) -> list[Suggestion]:
    """The open requests that suit ``volunteer`` best, best first, with reasons.

    Skills come from their offer, or else from "I can offer" on their profile.
    """
    offer = db.session.get(
        VolunteerOffer,
        volunteer.id,
        options=[selectinload(VolunteerOffer.skill_links), selectinload(VolunteerOffer.genres)],
    )
    profile = volunteer.profile
    if offer is not None:
        skill_ids = {link.skill_id for link in offer.skill_links}
        genre_ids = {genre.id for genre in offer.genres}
        note = offer.note
    else:
        skill_ids = {skill.id for skill in (profile.offered_skills if profile else [])}
        genre_ids, note = set(), ""
    genre_ids |= {genre.id for genre in (profile.genres if profile else [])}
    if not skill_ids:
        return []
    candidate_ids: set[int] = set()
    for skill_id in skill_ids:
        candidate_ids.update(
            db.session.scalars(
                select(request_skills.c.request_id)
                .join(HelpRequest, HelpRequest.id == request_skills.c.request_id)
                .join(User, User.id == HelpRequest.requester_id)
                .where(
                    request_skills.c.skill_id == skill_id,
                    HelpRequest.status == RequestStatus.OPEN,
                    # Nobody unverified is suggested, as a volunteer or a requester.
                    User.email_verified_at.is_not(None),
                    User.deleted_at.is_(None),
                )
                .order_by(HelpRequest.created_at.desc())
                .limit(per_skill)
            )
        )
    candidate_ids -= set(
        db.session.scalars(select(Answer.request_id).where(Answer.volunteer_id == volunteer.id))
    )
    if not candidate_ids:
        return []
    blocked = blocks.blocked_ids(volunteer.id)
    requests = [
        request
        for request in db.session.scalars(
            select(HelpRequest)
            .where(
                HelpRequest.id.in_(list(candidate_ids)),
                # A request a moderator hid is suggested nowhere (as on the board).
                HelpRequest.id.not_in(
                    select(HiddenItem.item_id).where(HiddenItem.item_type == "request")
                ),
            )
            .options(
                joinedload(HelpRequest.requester).joinedload(User.profile),
                joinedload(HelpRequest.genre),
                selectinload(HelpRequest.skills),
            )
        ).unique()
        if request.requester_id != volunteer.id and request.requester_id not in blocked
    ]
    helped = dict(
        db.session.execute(
            select(Match.helper_id, func.count(Match.id))
            .where(
                Match.helper_id.in_({request.requester_id for request in requests} or {0}),
                Match.status != MatchStatus.CANCELLED,
            )
            .group_by(Match.helper_id)
        ).all()
    )
    now = utcnow()
    volunteer_words = keywords(f"{profile.about if profile else ''} {note}")
    suggestions = [
        score_request(
            volunteer,
            volunteer_words,
            skill_ids,
            genre_ids,
            request,
            helped.get(request.requester_id, 0),
            now,
        )
        for request in requests
    ]
    suggestions.sort(key=lambda s: (-s.score, -s.request.created_at.timestamp()))
    return suggestions[:limit]
