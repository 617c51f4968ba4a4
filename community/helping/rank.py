"""The rank: a volunteer's request-independent score, and the weights of every signal.

Each signal is a number from 0 to 1; a suggestion's score is the weighted sum
(:func:`weighted`). The request-independent part (capacity, the measured
reliability: replies, first message, follow-through; activity, fairness,
reciprocity) is kept on the offer as ``rank_score`` and copied,
with the offer's availability, onto its skill rows, the index the matching
engine (:mod:`community.helping.matching`) scans. This module keeps that
copy up to date as events move the signals (an answer, a match, a change of
offer, the periodic :func:`rerank_all`).

``WEIGHTS`` holds every weight, request-dependent ones included, in one
place; each is covered by a test that shows its effect on the order
(tests/helping/test_matching.py). Flushes, except :func:`rerank_all` (a job).
"""

from __future__ import annotations

from datetime import datetime, timedelta

from sqlalchemy import func, select
from sqlalchemy.orm import joinedload, selectinload

from community import jobs
from community.db import db, utcnow
from community.helping import reliability
from community.helping.capacity import capacity_left, is_available
from community.helping.models import HelpRequest, Match, MatchStatus, VolunteerOffer

# Each signal is a number from 0 to 1; a suggestion's score is the weighted sum.
WEIGHTS: dict[str, float] = {
    # Request-dependent.
    "skills": 3.0,  # share of the request's skills the volunteer offers
    "genre": 1.5,  # the request's genre is one the volunteer helps with or writes
    "text": 2.0,  # words of the request found in the volunteer's about text and note
    "timezone": 1.0,  # live formats only: how close the two timezones are
    # Request-independent (kept in rank_score).
    "capacity": 1.0,  # share of this month's capacity still free
    # Measured reliability (community.helping.reliability), 0.5 when unknown.
    "replies": 0.75,  # share of invitations replied to (yes or "not this time")
    "first_message": 0.75,  # wrote soon after being matched, in how many matches
    "follow_through": 0.75,  # share of helps that ended with thanks
    "activity": 0.75,  # how recently they were active
    "fairness": 1.0,  # fewer recent matches rank higher, so help is spread around
    "reciprocity": 0.75,  # requests: requesters who help others; volunteers: helped before
}
FAIRNESS_WINDOW = timedelta(days=30)
ACTIVITY_WINDOW_DAYS = 30


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
    figures = reliability.stored(offer)
    return {
        "capacity": capacity_left(offer) / offer.monthly_capacity,
        "replies": reliability.replies_signal(figures),
        "first_message": reliability.first_message_signal(figures),
        "follow_through": reliability.follow_through_signal(figures),
        "activity": activity_signal(last_active, now),
        "fairness": fairness_signal(offer.recent_matches),
        "reciprocity": reciprocity_signal(offer.received_count),
    }


def weighted(signals: dict[str, float]) -> float:
    return sum(WEIGHTS[name] * value for name, value in signals.items())


def refresh_rank(offer: VolunteerOffer, now: datetime | None = None) -> None:
    """Recompute the offer's rank_score and copy it (and availability) to its skills."""
    offer.rank_score = round(weighted(rank_signals(offer, now or utcnow())), 6)
    sync_availability(offer)


def record_answer_speed(volunteer_id: int, request: HelpRequest, answered_at: datetime) -> None:
    """Fold one answer's delay into the volunteer's average response time.

    A fact kept on the offer (the demo and the benchmarks read it); the rank
    no longer guesses from it: it reads the measured reliability instead."""
    offer = db.session.get(VolunteerOffer, volunteer_id)
    if offer is None:
        return
    hours = max((answered_at - request.created_at).total_seconds() / 3600, 0)
    count = offer.answers_given
    average = offer.avg_response_hours or 0.0
    offer.avg_response_hours = (average * count + hours) / (count + 1)
    offer.answers_given = count + 1
    refresh_rank(offer)


def refresh_reliability(user_id: int, now: datetime | None = None) -> None:
    """Measure one volunteer's reliability again (a fact changed: an
    invitation answered or expired, a match made or ended) and rerank them.
    A few indexed queries; nothing for a member without an offer. Flushes."""
    offer = db.session.get(VolunteerOffer, user_id)
    if offer is None:
        return
    now = now or utcnow()
    figures = reliability.measure([user_id], now).get(user_id, reliability.Figures())
    reliability.store(offer, figures, now)
    refresh_rank(offer, now)


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
    decay or grow with time and events, and reliability is measured again
    (first messages are written in the chat, which does not call helping);
    this brings them up to date.
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

    def rerank_batch(after_id: int) -> tuple[int, int]:
        """Rerank the next batch of offers; how many, and the last user id done."""
        offers = db.session.scalars(
            select(VolunteerOffer)
            .where(VolunteerOffer.user_id > after_id)
            .order_by(VolunteerOffer.user_id)
            .limit(batch)
            .options(joinedload(VolunteerOffer.user), selectinload(VolunteerOffer.skill_links))
        ).all()
        measured = reliability.measure([offer.user_id for offer in offers], now)
        for offer in offers:
            reliability.store(offer, measured.get(offer.user_id, reliability.Figures()), now)
            offer.recent_matches = recent.get(offer.user_id, 0)
            offer.helped_count = helped.get(offer.user_id, 0)
            offer.received_count = received.get(offer.user_id, 0)
            refresh_rank(offer, now)
        return len(offers), offers[-1].user_id if offers else after_id

    # One transaction per batch, so that a long rerank holds no lock for long.
    done, last_id = 0, 0
    while True:
        count, last_id = jobs.in_transaction(rerank_batch, last_id)
        if not count:
            return done
        done += count


def sync_availability(offer: VolunteerOffer) -> None:
    """Copy the offer's availability onto its skill rows (the matching index)."""
    available = is_available(offer)
    for link in offer.skill_links:
        link.available = available
        link.rank_score = offer.rank_score
    db.session.flush()
