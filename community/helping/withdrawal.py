"""Taking a member out of helping: account deletion, and suspension by moderators.

:func:`withdraw_member` is the one place that ends a member's part in
helping, whatever the cause; account deletion (through the
:data:`community.accounts.signals.member_leaving` signal) and moderation
call it. The rules:

- their open (or full) requests close: gone from the board, the search
  index, the feed and every suggestion; pending offers on them are declined
  (with a kind sentence on the volunteer's page);
- their own pending offers are withdrawn and invitations to them declined
  (the requester is told);
- their active matches are cancelled, freeing the place; the other member
  is told kindly through the usual "match cancelled" notification;
- their standing offer is removed, so no suggestion names them again;
- their follows, both ways, are removed.

Completed matches, thanks and acts of help stay: they belong to the other
member's history and ripples too. What others are told never carries the
cause given by a moderator: ``reason`` is a word (``"deleted"`` or
``"suspended"``) that picks a kind sentence, not text shown as is.

Flushes, never commits; notifications go out after the caller's commit.
"""

from __future__ import annotations

from sqlalchemy import delete, or_, select
from sqlalchemy.orm import joinedload

from community.accounts.signals import member_leaving
from community.db import db, utcnow
from community.helping import search
from community.helping.matches import end_matches_of
from community.helping.models import (
    Answer,
    AnswerKind,
    AnswerStatus,
    HelpRequest,
    RequestStatus,
    VolunteerOffer,
)
from community.network.models import Follow
from community.notifications.service import notify

REASONS = ("deleted", "suspended")


def kind_sentence(name: str, reason: str) -> str:
    """What the other members read about why things ended (never a moderator's note)."""
    if reason == "deleted":
        return f"{name} has left Kindred, so this has ended. Thank you for your kindness."
    return f"{name} is no longer taking part in Kindred, so this has ended."


def withdraw_member(user, *, reason: str) -> None:
    """End ``user``'s part in helping (see the module docstring for what ends).

    ``reason`` is ``"deleted"`` or ``"suspended"`` (anything else reads as
    a suspension). Safe to call twice: what has ended stays ended.
    """
    sentence = kind_sentence(user.display_name, reason)
    now = utcnow()

    # Matches first: cancelling frees the helper's capacity, which lives on
    # the offer removed below.
    end_matches_of(user, sentence)

    own_requests = db.session.scalars(
        select(HelpRequest).where(
            HelpRequest.requester_id == user.id,
            HelpRequest.status.in_([RequestStatus.OPEN, RequestStatus.MATCHED]),
        )
    ).all()
    for request in own_requests:
        request.status, request.ended_at = RequestStatus.CLOSED.value, now
        search.unindex_request(request.id)

    pending = db.session.scalars(
        select(Answer)
        .join(HelpRequest, HelpRequest.id == Answer.request_id)
        .where(
            Answer.status == AnswerStatus.PENDING,
            or_(Answer.volunteer_id == user.id, HelpRequest.requester_id == user.id),
        )
        .options(joinedload(Answer.request).joinedload(HelpRequest.requester))
        .options(joinedload(Answer.volunteer))
    ).all()
    for answer in pending:
        answer.responded_at = now
        request = answer.request
        if answer.volunteer_id == user.id:
            if answer.kind == AnswerKind.OFFER:
                answer.status = AnswerStatus.WITHDRAWN.value
                continue  # a withdrawn offer is not announced, as when a volunteer withdraws
            answer.status = AnswerStatus.DECLINED.value
            answer.decline_reason = sentence
            notify(
                request.requester,
                "invitation_declined",
                {
                    "request_id": request.id,
                    "title": request.title,
                    "name": user.display_name,
                    "reason": sentence,
                },
            )
        else:
            # An offer on their closed request: declined with the kind
            # sentence, shown on the volunteer's page. Not notified, as when
            # a requester closes a request ("found help elsewhere" would be
            # untrue).
            answer.status = AnswerStatus.DECLINED.value
            answer.decline_reason = sentence

    offer = db.session.get(VolunteerOffer, user.id)
    if offer is not None:
        db.session.delete(offer)
    db.session.execute(
        delete(Follow).where(or_(Follow.follower_id == user.id, Follow.followed_id == user.id))
    )
    db.session.flush()


def _on_member_leaving(user, *, reason: str = "deleted", **_) -> None:
    withdraw_member(user, reason=reason)


def connect_signals() -> None:
    """Withdraw a member from helping whenever their account is deleted.
    Called once by ``create_app``; connecting again changes nothing."""
    member_leaving.connect(_on_member_leaving, weak=False)
