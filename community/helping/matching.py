"""The matching engine: the best volunteers for a request, the best requests
for a volunteer, each suggestion with its reasons in words.

No web code here: views, jobs and benchmarks call these functions.

How a suggestion is found (so that cost does not grow with the community):

1. Hard filters. A volunteer must share at least one skill with the request,
   not be the requester, not be on a break, have capacity left this month,
   not have blocked or been blocked by the requester (community.helping.blocks)
   and not have answered or been invited already.
2. Candidates. Each volunteer's request-independent score (``rank_score``:
   capacity, speed, activity, fairness, reciprocity) is kept on their offer
   and copied onto their skill rows, which carry an availability flag. The
   best ``CANDIDATES_PER_SKILL`` available volunteers of each skill of the
   request are one index range scan each, whatever the number of volunteers.
3. Scoring. The candidates are scored in full (adding skill and genre
   overlap, text relevance and timezone distance), and the best returned.

The trade-off is deliberate: a volunteer outside the top few hundred of every
skill of a request is not suggested for it, even if their text would match
well. ``bench/`` measures the cost against scoring everyone.

``WEIGHTS`` holds every weight, in one place; each is covered by a test that
shows its effect on the order (tests/helping/test_matching.py).
"""

from __future__ import annotations

import math
import re
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from functools import cache
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from sqlalchemy import func, select
from sqlalchemy.orm import joinedload, selectinload

from community.accounts.models import User
from community.db import db, utcnow
from community.helping import blocks
from community.helping.models import (
    Answer,
    HelpFormat,
    HelpRequest,
    Match,
    MatchStatus,
    OfferSkill,
    RequestStatus,
    VolunteerOffer,
    request_skills,
)
from community.helping.offers import capacity_left, is_available
from community.profiles.models import Profile

# Each signal is a number from 0 to 1; a suggestion's score is the weighted sum.
WEIGHTS: dict[str, float] = {
    # Request-dependent.
    "skills": 3.0,  # share of the request's skills the volunteer offers
    "genre": 1.5,  # the request's genre is one the volunteer helps with or writes
    "text": 2.0,  # words of the request found in the volunteer's about text and note
    "timezone": 1.0,  # live formats only: how close the two timezones are
    # Request-independent (kept in rank_score).
    "capacity": 1.0,  # share of this month's capacity still free
    "speed": 1.0,  # how quickly they have answered requests before
    "activity": 0.75,  # how recently they were active
    "fairness": 1.0,  # fewer recent matches rank higher, so help is spread around
    "reciprocity": 0.75,  # requests: requesters who help others; volunteers: helped before
}
CANDIDATES_PER_SKILL = 300
FAIRNESS_WINDOW = timedelta(days=30)
ACTIVITY_WINDOW_DAYS = 30


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

_STOPWORDS = frozenset(
    """about above after again against also among and any are because been before being
    below between both but can could did does doing down during each few for from further
    had has have having her here hers him his how into its itself just like more most
    much need needs not now off once only other our ours out over own really same she
    should some such than that the their theirs them then there these they this those
    through too under until very want was way were what when where which while who whom
    why will with would you your yours book books write writing writer help please""".split()
)
_WORD = re.compile(r"[a-zà-ÿ]{3,}")


def _stem(word: str) -> str:
    """A crude English stemmer: enough that "reading"/"reads"/"reader" meet."""
    if word.endswith("ies") and len(word) > 4:
        return word[:-3] + "y"
    if word.endswith(("sses", "xes", "zes", "ches", "shes")):
        return word[:-2]
    for suffix in ("ings", "ing", "ers", "ed", "er", "s"):
        if word.endswith(suffix) and len(word) - len(suffix) >= 3 and not word.endswith("ss"):
            return word[: -len(suffix)]
    return word


def keywords(text: str | None) -> frozenset[str]:
    """The content words of a text, lower-cased and crudely stemmed."""
    return frozenset(
        _stem(word) for word in _WORD.findall((text or "").lower()) if word not in _STOPWORDS
    )


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


def speed_signal(avg_response_hours: float | None) -> float:
    """1 for instant answers, 0.5 for a day, 0.5 when unknown."""
    if avg_response_hours is None:
        return 0.5
    return 1 / (1 + max(avg_response_hours, 0) / 24)


def activity_signal(last_active: datetime | None, now: datetime) -> float:
    if last_active is None:
        return 0.0
    days = (now - last_active).total_seconds() / 86400
    return max(0.0, 1 - days / ACTIVITY_WINDOW_DAYS)


def fairness_signal(recent_matches: int) -> float:
    return 1 / (1 + recent_matches)


def reciprocity_signal(count: int) -> float:
    return min(count, 3) / 3


def rank_signals(offer: VolunteerOffer, now: datetime) -> dict[str, float]:
    """The request-independent signals of a volunteer."""
    last_active = max(
        (moment for moment in (offer.user.last_seen_at, offer.updated_at) if moment),
        default=None,
    )
    return {
        "capacity": capacity_left(offer) / offer.monthly_capacity,
        "speed": speed_signal(offer.avg_response_hours),
        "activity": activity_signal(last_active, now),
        "fairness": fairness_signal(offer.recent_matches),
        "reciprocity": reciprocity_signal(offer.received_count),
    }


def weighted(signals: dict[str, float]) -> float:
    return sum(WEIGHTS[name] * value for name, value in signals.items())


def refresh_rank(offer: VolunteerOffer, now: datetime | None = None) -> None:
    """Recompute the offer's rank_score and copy it (and availability) to its skills."""
    from community.helping.offers import sync_availability

    offer.rank_score = round(weighted(rank_signals(offer, now or utcnow())), 6)
    sync_availability(offer)


def record_answer_speed(volunteer_id: int, request: HelpRequest, answered_at: datetime) -> None:
    """Fold one answer's delay into the volunteer's average response time."""
    offer = db.session.get(VolunteerOffer, volunteer_id)
    if offer is None:
        return
    hours = max((answered_at - request.created_at).total_seconds() / 3600, 0)
    count = offer.answers_given
    average = offer.avg_response_hours or 0.0
    offer.avg_response_hours = (average * count + hours) / (count + 1)
    offer.answers_given = count + 1
    refresh_rank(offer)


def record_match(match: Match) -> None:
    """A match was made: the helper's fairness and both sides' reciprocity move."""
    helper_offer = db.session.get(VolunteerOffer, match.helper_id)
    if helper_offer is not None:
        helper_offer.recent_matches += 1
        helper_offer.helped_count += 1
        refresh_rank(helper_offer)
    requester_offer = db.session.get(VolunteerOffer, match.requester_id)
    if requester_offer is not None:
        requester_offer.received_count += 1
        refresh_rank(requester_offer)


def rerank_all(batch: int = 1000) -> int:
    """Recompute every offer's signals and rank from the matches table. A periodic job.

    Fairness (matches in the last 30 days), helped and received counts
    decay or grow with time and events; this brings them up to date.
    Commits per batch. Returns how many offers were reranked.
    """
    now = utcnow()
    since = now - FAIRNESS_WINDOW
    recent = dict(
        db.session.execute(
            select(Match.helper_id, func.count(Match.id))
            .where(Match.created_at >= since, Match.status != MatchStatus.CANCELLED)
            .group_by(Match.helper_id)
        ).all()
    )
    helped = dict(
        db.session.execute(
            select(Match.helper_id, func.count(Match.id))
            .where(Match.status != MatchStatus.CANCELLED)
            .group_by(Match.helper_id)
        ).all()
    )
    received = dict(
        db.session.execute(
            select(Match.requester_id, func.count(Match.id))
            .where(Match.status != MatchStatus.CANCELLED)
            .group_by(Match.requester_id)
        ).all()
    )
    done, last_id = 0, 0
    while True:
        offers = db.session.scalars(
            select(VolunteerOffer)
            .where(VolunteerOffer.user_id > last_id)
            .order_by(VolunteerOffer.user_id)
            .limit(batch)
            .options(joinedload(VolunteerOffer.user), selectinload(VolunteerOffer.skill_links))
        ).all()
        if not offers:
            return done
        for offer in offers:
            offer.recent_matches = recent.get(offer.user_id, 0)
            offer.helped_count = helped.get(offer.user_id, 0)
            offer.received_count = received.get(offer.user_id, 0)
            refresh_rank(offer, now)
        db.session.commit()
        done += len(offers)
        last_id = offers[-1].user_id


# --- volunteers for a request -------------------------------------------------


def _names(items) -> list[str]:
    return [item.name.lower() for item in items]


def _join_words(words: list[str]) -> str:
    if len(words) <= 1:
        return "".join(words)
    return ", ".join(words[:-1]) + " and " + words[-1]


def _speed_words(avg_hours: float | None) -> str | None:
    if avg_hours is None:
        return None
    if avg_hours <= 24:
        return "usually answers within a day"
    if avg_hours <= 72:
        return "usually answers within three days"
    return None


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
    if speed := _speed_words(offer.avg_response_hours):
        reasons.append(speed)
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


def candidate_volunteer_ids(
    request: HelpRequest, per_skill: int = CANDIDATES_PER_SKILL
) -> set[int]:
    """The best available volunteers of each of the request's skills (index scans).

    Only verified, present members: an address nobody confirmed is never
    suggested to anyone (filtered here, before the per-skill limit, so an
    unverified offer cannot take a verified volunteer's place).
    """
    ids: set[int] = set()
    for skill in request.skills:
        ids.update(
            db.session.scalars(
                select(OfferSkill.user_id)
                .join(User, User.id == OfferSkill.user_id)
                .where(
                    OfferSkill.skill_id == skill.id,
                    OfferSkill.available.is_(True),
                    User.email_verified_at.is_not(None),
                    User.deleted_at.is_(None),
                )
                .order_by(OfferSkill.rank_score.desc())
                .limit(per_skill)
            )
        )
    return ids


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
    excluded = _already_involved(request.id) | {request.requester_id}
    candidates = candidate_volunteer_ids(request, per_skill) - excluded
    candidates -= blocks.blocked_ids(request.requester_id)
    offers = [
        offer
        for offer in load_offers(candidates)
        if is_available(offer) and not offer.user.is_deleted and offer.user.is_verified
    ]
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
            .where(HelpRequest.id.in_(list(candidate_ids)))
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
