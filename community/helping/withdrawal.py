"""A member leaves the helping area: deletion of their account, or suspension.

:func:`withdraw_member` ends what they take part in, kindly for the others:
their open requests close, their pending offers are withdrawn, their active
matches are cancelled (the other member is told the match could not go on,
nothing more), and their volunteer offer is taken off the board. Flushes.
"""

from __future__ import annotations

from sqlalchemy import select

from community.db import db, utcnow
from community.helping import search
from community.helping.matches import _cancel
from community.helping.models import (
    Answer,
    AnswerKind,
    AnswerStatus,
    HelpRequest,
    Match,
    MatchStatus,
    RequestStatus,
    VolunteerOffer,
)
from community.notifications.service import notify

KIND_WORDS = "The other member can no longer take part, so this match has ended. We are sorry."


def withdraw_member(user, *, reason: str) -> None:
    """End ``user``'s part in helping; ``reason`` is for the record, never shown
    to the other members (they read KIND_WORDS)."""
    now = utcnow()
    for request in db.session.scalars(
        select(HelpRequest).where(
            HelpRequest.requester_id == user.id,
            HelpRequest.status.in_((RequestStatus.OPEN.value, RequestStatus.MATCHED.value)),
        )
    ):
        request.status, request.ended_at = RequestStatus.CLOSED.value, now
        search.unindex_request(request.id)
    for answer in db.session.scalars(
        select(Answer).where(
            Answer.volunteer_id == user.id,
            Answer.status == AnswerStatus.PENDING.value,
            Answer.kind == AnswerKind.OFFER.value,
        )
    ):
        answer.status, answer.responded_at = AnswerStatus.WITHDRAWN.value, now
    active = db.session.scalars(
        select(Match).where(
            Match.status == MatchStatus.ACTIVE.value,
            (Match.requester_id == user.id) | (Match.helper_id == user.id),
        )
    ).all()
    for match in active:
        _cancel(user, match, KIND_WORDS)
        other = match.helper if match.requester_id == user.id else match.requester
        notify(
            other,
            "match_cancelled",
            {
                "match_id": match.id,
                "request_id": match.request_id,
                "title": match.request.title,
                "name": "Kindred",
                "reason": KIND_WORDS,
            },
        )
    offer = db.session.scalar(select(VolunteerOffer).where(VolunteerOffer.user_id == user.id))
    if offer is not None:
        offer.on_break = True
    db.session.flush()
