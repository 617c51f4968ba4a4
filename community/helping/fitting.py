"""The weekly digest of requests that fit: for volunteers who choose it, once a
week, the few open requests that suit them best and that they have not seen.

Who gets one: a member who chose "Email me once a week" for the
``requests_that_fit`` notification kind (it is off unless chosen), with a
volunteer offer that is not on a break and has room this month, whose
address is confirmed, who is neither suspended nor deleted, and who was not
looked at in the last seven days.

What is in it: the matching engine's best requests for them
(:func:`community.helping.matching.suggest_requests`, which already leaves out
their own requests, those they answered or were invited to, those a
moderator hid, those of an unverified requester and those of anyone blocked
either way), less those they were asked about (a ``RequestAsk``) and those
an earlier digest showed them (a ``RequestDigestItem``); the best
``WEEKLY_DIGEST_REQUESTS`` of them, each with the engine's reasons. Nothing
fits: no email.

What is recorded: a ``RequestDigest`` row each time a volunteer is looked
at, even when nothing fit (so the job looks at them again a week later, not
every hour), and a ``RequestDigestItem`` per request shown (so it is never
shown to them again). The email goes through the outbox, after the commit.

The job (:func:`send_weekly_digests`) runs hourly and works in batches of
``BATCH`` volunteers, one transaction each. Its reads are batched: a fixed
number of queries per batch, plus the engine's own per volunteer (one per
kind of help they offer, and five more), so the queries per volunteer do
not grow with the community. On PostgreSQL a batch locks its volunteers'
offers (skipping those another run holds), so two runs at once write to
nobody twice.
"""

from __future__ import annotations

from collections import defaultdict
from datetime import datetime, timedelta

from flask import current_app
from sqlalchemy import exists, or_, select

from community import jobs
from community.accounts.models import User
from community.db import db, utcnow
from community.helping.capacity import is_available
from community.helping.matching import Suggestion, load_offers, suggest_requests
from community.helping.models import (
    HelpRequest,
    RequestAsk,
    RequestDigest,
    RequestDigestItem,
    RequestStatus,
    VolunteerOffer,
)
from community.mail.outbox import queue_email
from community.notifications.kinds import WEEKLY
from community.notifications.models import NotificationPreference
from community.notifications.service import notify
from community.urls import external_url

KIND = "requests_that_fit"
WEEK = timedelta(days=7)
BATCH = 200
# The engine scores every candidate it finds; all of them are considered, so
# that requests already seen do not crowd out the ones not seen yet.
ALL_CANDIDATES = 1_000_000


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
    offers = {offer.user_id: offer for offer in load_offers(due)}
    seen = _seen(due)
    cap = current_app.config["WEEKLY_DIGEST_REQUESTS"]
    sent = 0
    for volunteer_id in due:
        offer = offers[volunteer_id]
        fits = []
        if is_available(offer):
            fits = [
                suggestion
                for suggestion in suggest_requests(offer.user, limit=ALL_CANDIDATES)
                if suggestion.request.id not in seen[volunteer_id]
            ][:cap]
        digest = RequestDigest(volunteer_id=volunteer_id, made_at=now, request_count=len(fits))
        db.session.add(digest)
        if fits:
            db.session.flush()
            _send(offer.user, digest, fits)
            sent += 1
    db.session.flush()
    return sent


def _seen(volunteer_ids: list[int]) -> dict[int, set[int]]:
    """The open requests each volunteer was asked about or shown in a digest."""
    seen: dict[int, set[int]] = defaultdict(set)
    rows = db.session.execute(
        select(RequestAsk.volunteer_id, RequestAsk.request_id)
        .join(HelpRequest, HelpRequest.id == RequestAsk.request_id)
        .where(
            RequestAsk.volunteer_id.in_(volunteer_ids),
            HelpRequest.status == RequestStatus.OPEN.value,
        )
        .union_all(
            select(RequestDigestItem.volunteer_id, RequestDigestItem.request_id)
            .join(HelpRequest, HelpRequest.id == RequestDigestItem.request_id)
            .where(
                RequestDigestItem.volunteer_id.in_(volunteer_ids),
                HelpRequest.status == RequestStatus.OPEN.value,
            )
        )
    )
    for volunteer_id, request_id in rows:
        seen[volunteer_id].add(request_id)
    return seen


def _send(volunteer: User, digest: RequestDigest, fits: list[Suggestion]) -> None:
    for suggestion in fits:
        db.session.add(
            RequestDigestItem(
                volunteer_id=volunteer.id, request_id=suggestion.request.id, digest_id=digest.id
            )
        )
    best = fits[0]
    # On the site too (the notifications page); its email is the one below.
    notify(
        volunteer,
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
