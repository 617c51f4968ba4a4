"""Settling the helping area after the play: the volunteers' signals
(answers given, response time, this month's capacity) brought in line with
the dated past, introductions and old news dated and read, everyone ranked,
and the periodic jobs run (reminders, expiry) as the site would have."""

from __future__ import annotations

from datetime import timedelta

from flask import current_app
from sqlalchemy import select

from community.accounts.models import User
from community.db import db
from community.demo.content.members import DEMO_DOMAIN
from community.demo.play import Play
from community.helping import offers, rank, requests
from community.helping.models import (
    Answer,
    AnswerKind,
    HelpRequest,
    Match,
    MatchStatus,
    RequestStatus,
    VolunteerOffer,
)
from community.notifications.models import Notification


def settle_helping(play: Play, started_notification_id: int) -> None:
    """Bring the volunteers' signals in line with the dated past, then rank everyone."""
    month = offers.current_month()
    month_start = play.now.replace(day=1, hour=0, minute=0, second=0, microsecond=0)
    demo_offers = db.session.scalars(
        select(VolunteerOffer)
        .join(User, User.id == VolunteerOffer.user_id)
        .where(User.email.like(f"%@{DEMO_DOMAIN}"))
    ).all()
    delays: dict[int, list[float]] = {}
    for volunteer_id, answered, posted in db.session.execute(
        select(Answer.volunteer_id, Answer.created_at, HelpRequest.created_at)
        .join(HelpRequest, HelpRequest.id == Answer.request_id)
        .where(Answer.kind == AnswerKind.OFFER)
    ):
        delays.setdefault(volunteer_id, []).append((answered - posted).total_seconds() / 3600)
    used: dict[int, int] = {}
    for helper_id, created in db.session.execute(
        select(Match.helper_id, Match.created_at).where(Match.status != MatchStatus.CANCELLED)
    ):
        if created >= month_start:
            used[helper_id] = used.get(helper_id, 0) + 1
    for offer in demo_offers:
        hours = delays.get(offer.user_id, [])
        offer.answers_given = len(hours)
        offer.avg_response_hours = sum(hours) / len(hours) if hours else None
        offer.capacity_month = month
        offer.capacity_used = min(used.get(offer.user_id, 0), offer.monthly_capacity)
    # Introductions were written by a job after each commit: date them with their match.
    for notification in db.session.scalars(
        select(Notification).where(
            Notification.id > started_notification_id, Notification.kind == "match_made"
        )
    ):
        match = db.session.get(Match, (notification.data or {}).get("match_id", 0))
        if match is not None:
            notification.created_at = match.created_at
    # What happened more than a week ago has been read.
    for notification in db.session.scalars(
        select(Notification).where(
            Notification.id > started_notification_id,
            Notification.read_at.is_(None),
            Notification.created_at < play.now - timedelta(days=7),
        )
    ):
        notification.read_at = notification.created_at + timedelta(hours=3)
    db.session.commit()
    rank.rerank_all()
    # The periodic jobs do the rest: reminders for quiet requests, expiry for silent ones.
    requests.send_expiry_reminders()
    requests.expire_requests()
    # Expired when their quiet month ran out, not today.
    expiry = timedelta(days=current_app.config["REQUEST_EXPIRY_DAYS"])
    expired = {}
    for request in db.session.scalars(
        select(HelpRequest).where(
            HelpRequest.status == RequestStatus.EXPIRED, HelpRequest.ended_at >= play.now
        )
    ):
        request.ended_at = min(request.last_activity_at + expiry, play.now)
        expired[request.id] = request.ended_at
    for notification in db.session.scalars(
        select(Notification).where(
            Notification.id > started_notification_id,
            Notification.kind == "request_expired",
        )
    ):
        when = expired.get((notification.data or {}).get("request_id"))
        if when is not None:
            notification.created_at = when
    db.session.commit()
