"""The weekly digest of requests that fit: for volunteers who choose it, once a
week, the few open requests that suit them best and that they have not seen.

Who gets one: a member who chose "Email me once a week" for the
``requests_that_fit`` notification kind (it is off unless chosen), with a
volunteer offer that is not on a break and has room this month, whose
address is confirmed, who is neither suspended nor deleted, and who was not
looked at in the last seven days.

What is in it: the open requests the matching engine scores best for them
(:func:`community.helping.matching.score_request`, as "best for me" and
``suggest_requests`` do, among the newest ``PER_SKILL`` open requests of each
kind of help they offer), leaving out their own, those they answered or were
invited to, those a moderator hid, those of an unverified or deleted
requester and those of anyone blocked either way (the engine's filters), and
also those they were asked about (a ``RequestAsk``) and those an earlier
digest showed them (a ``RequestDigestItem``): the best
``WEEKLY_DIGEST_REQUESTS`` of them, each with the engine's reasons. Nothing
fits: no email.

What is recorded: a ``RequestDigest`` row each time a volunteer is looked
at, even when nothing fit (so the job looks at them again a week later, not
every hour), and a ``RequestDigestItem`` per request shown (so it is never
shown to them again). The email goes through the outbox, after the commit.

The job (:func:`send_weekly_digests`) runs hourly and works in batches of
``BATCH`` volunteers, one transaction each. Its reads are batched
(:func:`fitting_requests`): a fixed number of queries per batch, whatever
its size, and per volunteer only the writes (the digest's rows, and for an
email its notification and outbox rows), so the queries per volunteer do
not grow with the community. On PostgreSQL a batch locks its volunteers'
offers (skipping those another run holds), so two runs at once write to
nobody twice.
"""

from __future__ import annotations

import heapq
from collections import defaultdict
from dataclasses import dataclass
from datetime import datetime, timedelta

from flask import current_app
from sqlalchemy import exists, func, or_, select, union_all
from sqlalchemy.orm import joinedload, selectinload

from community import jobs
from community.accounts.models import User
from community.blocks import Block
from community.db import db, utcnow
from community.helping.capacity import is_available
from community.helping.matching import (
    CANDIDATES_PER_SKILL,
    Suggestion,
    load_offers,
    score_request,
    text_relevance,
)
from community.helping.models import (
    Answer,
    HelpFormat,
    HelpRequest,
    Match,
    MatchStatus,
    RequestAsk,
    RequestDigest,
    RequestDigestItem,
    RequestStatus,
    VolunteerOffer,
    request_skills,
)
from community.helping.rank import WEIGHTS, reciprocity_signal
from community.mail.outbox import queue_email
from community.moderation.models import HiddenItem
from community.notifications.kinds import WEEKLY
from community.notifications.models import NotificationPreference
from community.notifications.service import record_round_up
from community.urls import external_url
from community.words import keywords

KIND = "requests_that_fit"
WEEK = timedelta(days=7)
BATCH = 500
# How many of the newest open requests of each kind of help a batch scores.
PER_SKILL = CANDIDATES_PER_SKILL


def _looked_at_lately(now: datetime):
    return exists().where(
        RequestDigest.volunteer_id == VolunteerOffer.user_id,
        RequestDigest.made_at > now - WEEK,
    )


def _due(now: datetime):
    """Offers whose volunteer chose the weekly digest and may get one now."""
    return (
        select(VolunteerOffer.user_id)
        .join(User, User.id == VolunteerOffer.user_id)
        .join(
            NotificationPreference,
            (NotificationPreference.user_id == VolunteerOffer.user_id)
            & (NotificationPreference.kind == KIND),
        )
        .where(
            NotificationPreference.delivery == WEEKLY,
            VolunteerOffer.on_break.is_(False),
            User.email_verified_at.is_not(None),
            User.deleted_at.is_(None),
            or_(User.suspended_until.is_(None), User.suspended_until <= now),
            ~_looked_at_lately(now),
        )
    )


def send_weekly_digests(now: datetime | None = None) -> int:
    """Send the weekly digest of requests that fit to every volunteer due one.

    A periodic job: one transaction per batch of volunteers. Safe to run
    twice (a volunteer looked at within seven days is not due). Returns how
    many emails were queued.
    """
    now = now or utcnow()
    sent, after = 0, 0
    while True:
        ids = db.session.scalars(
            _due(now)
            .where(VolunteerOffer.user_id > after)
            .order_by(VolunteerOffer.user_id)
            .limit(BATCH)
        ).all()
        if not ids:
            return sent
        sent += jobs.in_transaction(send_batch, ids, now)
        after = ids[-1]


def send_batch(volunteer_ids: list[int], now: datetime) -> int:
    """Look at these volunteers (those still due) and queue their digests.
    Flushes. Returns how many emails were queued."""
    due = db.session.scalars(
        _due(now)
        .where(VolunteerOffer.user_id.in_(volunteer_ids))
        .order_by(VolunteerOffer.user_id)
        .with_for_update(of=VolunteerOffer, skip_locked=True)
    ).all()
    if not due:
        return 0
    offers = [offer for offer in load_offers(due) if is_available(offer)]
    volunteers = {offer.user_id: offer.user for offer in offers}
    fits = fitting_requests(offers, current_app.config["WEEKLY_DIGEST_REQUESTS"], now)
    digests = {
        volunteer_id: RequestDigest(
            volunteer_id=volunteer_id,
            made_at=now,
            request_count=len(fits.get(volunteer_id, ())),
        )
        for volunteer_id in due
    }
    db.session.add_all(digests.values())
    db.session.flush()
    for volunteer_id, found in fits.items():
        if found:
            _send(volunteers[volunteer_id], digests[volunteer_id], found)
    db.session.flush()
    return sum(1 for found in fits.values() if found)


# --- the engine, for a batch of volunteers at once ----------------------------------
#
# suggest_requests() answers for one volunteer in its own queries; a batch
# shares its reads instead: the newest open requests of each kind of help the
# batch offers (one query per kind of help, a fixed taxonomy), loaded once,
# and what rules requests out for each volunteer (answers and invitations,
# asks, earlier digests; blocks) in one query each. They are scored by the
# engine's own score_request(), after the engine's filters (the requester
# verified and present, the request open and not hidden, not the volunteer's
# own, nobody blocked either way). A candidate is scored only while it could
# still enter the volunteer's best few, best bound first: its score cannot
# exceed a bound worked out from what the batch knows of it once (its words,
# skills, genre and format, its requester's help here), the timezone's signal
# at 1 for a live format; any signal the bound does not know counts at its
# full weight (every signal lies in 0..1). So each volunteer's few are the
# engine's own, for a handful of score_request() calls.


def _candidates(skill_ids: set[int], per_skill: int) -> list[HelpRequest]:
    ids: set[int] = set()
    for skill_id in sorted(skill_ids):
        ids.update(
            db.session.scalars(
                select(request_skills.c.request_id)
                .join(HelpRequest, HelpRequest.id == request_skills.c.request_id)
                .join(User, User.id == HelpRequest.requester_id)
                .where(
                    request_skills.c.skill_id == skill_id,
                    HelpRequest.status == RequestStatus.OPEN,
                    User.email_verified_at.is_not(None),
                    User.deleted_at.is_(None),
                )
                .order_by(HelpRequest.created_at.desc())
                .limit(per_skill)
            )
        )
    if not ids:
        return []
    return list(
        db.session.scalars(
            select(HelpRequest)
            .where(
                HelpRequest.id.in_(sorted(ids)),
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
    )


def _ruled_out(volunteer_ids: list[int], request_ids: list[int]) -> dict[int, set[int]]:
    """Of these requests, those each volunteer answered, was invited to, was
    asked about, or was shown in an earlier digest."""
    out: dict[int, set[int]] = defaultdict(set)
    rows = db.session.execute(
        union_all(
            select(Answer.volunteer_id, Answer.request_id).where(
                Answer.volunteer_id.in_(volunteer_ids), Answer.request_id.in_(request_ids)
            ),
            select(RequestAsk.volunteer_id, RequestAsk.request_id).where(
                RequestAsk.volunteer_id.in_(volunteer_ids),
                RequestAsk.request_id.in_(request_ids),
            ),
            select(RequestDigestItem.volunteer_id, RequestDigestItem.request_id).where(
                RequestDigestItem.volunteer_id.in_(volunteer_ids),
                RequestDigestItem.request_id.in_(request_ids),
            ),
        )
    )
    for volunteer_id, request_id in rows:
        out[volunteer_id].add(request_id)
    return out


def _blocked(volunteer_ids: list[int]) -> dict[int, set[int]]:
    """Everyone each volunteer has blocked or is blocked by."""
    found: dict[int, set[int]] = defaultdict(set)
    rows = db.session.execute(
        select(Block.blocker_id, Block.blocked_id).where(
            or_(Block.blocker_id.in_(volunteer_ids), Block.blocked_id.in_(volunteer_ids))
        )
    )
    for blocker_id, blocked_id in rows:
        found[blocker_id].add(blocked_id)
        found[blocked_id].add(blocker_id)
    return found


def _helped(requester_ids: set[int]) -> dict[int, int]:
    """How many members each requester has helped here (the reciprocity signal)."""
    return dict(
        db.session.execute(
            select(Match.helper_id, func.count(Match.id))
            .where(
                Match.helper_id.in_(sorted(requester_ids)),
                Match.status != MatchStatus.CANCELLED,
            )
            .group_by(Match.helper_id)
        ).all()
    )


@dataclass
class _Facts:
    """What bounds a request's score for any volunteer, worked out once a batch."""

    request: HelpRequest
    skill_ids: frozenset[int]
    fixed: float  # the timezone's (at most) and reciprocity's weighted signals
    newest_first: float
    _words: frozenset[str] | None = None

    @property
    def words(self) -> frozenset[str]:
        # Worked out at most once a batch, and only for requests a bound needs them of.
        if self._words is None:
            self._words = keywords(f"{self.request.title} {self.request.details}")
        return self._words


# The signals the bound below works out as score_request() does; any other
# signal score_request() gives is counted at its full weight.
_BOUNDED = frozenset({"skills", "genre", "text", "timezone", "reciprocity"})


def _at_most(
    facts: _Facts, skill_ids: set[int], genre_ids: set[int], words: frozenset[str] | None
) -> float:
    """The highest score score_request() can give the request: every signal
    as the engine works it out, but the timezone's, at 1 for a live format,
    and the text's at 1 too when ``words`` is None (a coarser bound, cheaper)."""
    genre_id = facts.request.genre_id
    return (
        WEIGHTS["skills"] * len(facts.skill_ids & skill_ids) / max(len(facts.skill_ids), 1)
        + (WEIGHTS["genre"] if genre_id is not None and genre_id in genre_ids else 0.0)
        + WEIGHTS["text"] * (1.0 if words is None else text_relevance(facts.words, words))
        + facts.fixed
        + 1e-9
    )


def _order(suggestion: Suggestion) -> tuple[float, float]:
    # suggest_requests()'s order: best first, then the newest.
    return -suggestion.score, -suggestion.request.created_at.timestamp()


def fitting_requests(
    offers: list[VolunteerOffer], count: int, now: datetime, per_skill: int = PER_SKILL
) -> dict[int, list[Suggestion]]:
    """Each volunteer's best ``count`` open requests that they have not seen
    (answered, been invited to, been asked about, been shown in a digest),
    best first, with the engine's reasons; by volunteer id. The offers must
    be loaded with :func:`community.helping.matching.load_offers`. Reads a
    fixed number of queries, whatever the number of offers."""
    if not offers or count <= 0:
        return {}
    skills_of = {offer.user_id: {link.skill_id for link in offer.skill_links} for offer in offers}
    candidates = _candidates(set().union(*skills_of.values()), per_skill)
    if not candidates:
        return {}
    volunteer_ids = [offer.user_id for offer in offers]
    ruled_out = _ruled_out(volunteer_ids, [request.id for request in candidates])
    blocked = _blocked(volunteer_ids)
    helped = _helped({request.requester_id for request in candidates})
    by_skill: dict[int, list[_Facts]] = defaultdict(list)
    for request in candidates:
        facts = _Facts(
            request,
            frozenset(skill.id for skill in request.skills),
            WEIGHTS["timezone"] * HelpFormat(request.format).is_live
            + WEIGHTS["reciprocity"] * reciprocity_signal(helped.get(request.requester_id, 0)),
            -request.created_at.timestamp(),
        )
        for skill_id in facts.skill_ids:
            by_skill[skill_id].append(facts)
    extra: float | None = None  # the weight of signals the bound does not know
    fits = {}
    for offer in offers:
        volunteer, profile = offer.user, offer.user.profile
        skill_ids = skills_of[offer.user_id]
        genre_ids = {genre.id for genre in offer.genres}
        genre_ids |= {genre.id for genre in (profile.genres if profile else [])}
        out, shut = ruled_out[offer.user_id], blocked[offer.user_id]
        open_to_them = {
            facts.request.id: facts
            for skill_id in skill_ids
            for facts in by_skill.get(skill_id, ())
            if facts.request.requester_id != offer.user_id
            and facts.request.id not in out
            and facts.request.requester_id not in shut
        }
        if not open_to_them:
            continue
        words = keywords(f"{profile.about if profile else ''} {offer.note}")
        # Two bounds: a coarse one (the text at its full weight) orders every
        # candidate; the tight one (the text worked out) is taken only of
        # those the coarse one cannot yet rule out, best first.
        coarse = sorted(
            (-_at_most(facts, skill_ids, genre_ids, None), facts.newest_first, facts.request.id)
            for facts in open_to_them.values()
        )
        tight: list[tuple[float, float, int]] = []  # a heap
        position, best = 0, []
        while True:
            while position < len(coarse) and (not tight or coarse[position][0] <= tight[0][0]):
                _, newest_first, request_id = coarse[position]
                facts = open_to_them[request_id]
                bound = _at_most(facts, skill_ids, genre_ids, words)
                heapq.heappush(tight, (-bound, newest_first, request_id))
                position += 1
            if not tight:
                break
            negative_bound, _, request_id = heapq.heappop(tight)
            full = len(best) >= count and extra is not None
            if full and -negative_bound + extra < best[count - 1].score:
                break  # nothing left can enter the best few
            request = open_to_them[request_id].request
            suggestion = score_request(
                volunteer,
                words,
                skill_ids,
                genre_ids,
                request,
                helped.get(request.requester_id, 0),
                now,
            )
            if extra is None:
                unknown = set(suggestion.signals) - _BOUNDED
                extra = sum(WEIGHTS.get(name, 1.0) for name in unknown)
            best.append(suggestion)
            best.sort(key=_order)
            del best[count:]
        fits[offer.user_id] = best
    return fits


def _send(volunteer: User, digest: RequestDigest, fits: list[Suggestion]) -> None:
    for suggestion in fits:
        db.session.add(
            RequestDigestItem(
                volunteer_id=volunteer.id, request_id=suggestion.request.id, digest_id=digest.id
            )
        )
    best = fits[0]
    # On the site too (the notifications page); its email is the one below.
    record_round_up(
        volunteer.id,
        KIND,
        {
            "count": len(fits),
            "requests": "request" if len(fits) == 1 else "requests",
            "title": best.request.title,
            "reasons": ", ".join(best.reasons) or "it needs what you offer",
        },
    )
    queue_email(
        "requests_that_fit",
        to_address=volunteer.email,
        user_id=volunteer.id,
        unsubscribe_kind=KIND,
        name=volunteer.display_name,
        items=[
            {
                "title": suggestion.request.title,
                "reasons": ", ".join(suggestion.reasons) or "it needs what you offer",
                "url": external_url("helping.show_request", request_id=suggestion.request.id),
            }
            for suggestion in fits
        ],
        board_url=external_url("helping.board", order="best"),
        offer_url=external_url("helping.edit_offer"),
        preferences_url=external_url("notifications.preferences"),
    )
