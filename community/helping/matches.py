"""Matches: made when an offer or an invitation is accepted; cancelled kindly.

Making a match takes two things that others may be taking at the same
moment: a helper place of the request and a place in the volunteer's
monthly capacity. Each is taken by one conditional UPDATE; when either
fails, the caller rolls the whole transaction back (nothing half-made).

After the commit, :func:`send_introductions` (a job) introduces the two
members to each other by email and in the site, exactly once per match.

This module owns a match's status (active, completed, cancelled) and, with
:mod:`community.helping.requests`, its request's: other areas ask these
functions to move them (kindness to complete, blocking to cancel) and then
record their own part.
"""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import case, select, update
from sqlalchemy.exc import OperationalError
from sqlalchemy.orm import joinedload

from community import blocks, jobs, trust
from community.chat.service import open_for_match
from community.db import db, utcnow
from community.helping import fair_limits
from community.helping.answers import close_for_filled_places
from community.helping.errors import (
    AtCapacity,
    HelpingError,
    NoPlaceLeft,
    NotAllowed,
    NotFound,
    TryAgain,
)
from community.helping.first_contact import schedule_reminders
from community.helping.introductions import introduce
from community.helping.models import (
    Answer,
    AnswerKind,
    AnswerStatus,
    HelpRequest,
    Match,
    MatchStatus,
    RequestStatus,
)
from community.helping.offers import offer_of, release_capacity, take_capacity
from community.helping.rank import record_match, refresh_reliability
from community.helping.requests import complete_if_done, require_verified, touch
from community.notifications.service import notify

REASON_MAX = 500


def _take_place(request_id: int) -> bool:
    """Fill one helper place of an open request, if one is left."""
    result = db.session.execute(
        update(HelpRequest)
        .where(
            HelpRequest.id == request_id,
            HelpRequest.status == RequestStatus.OPEN,
            HelpRequest.places_taken < HelpRequest.helpers_wanted,
        )
        .values(
            places_taken=HelpRequest.places_taken + 1,
            status=case(
                (
                    HelpRequest.places_taken + 1 >= HelpRequest.helpers_wanted,
                    RequestStatus.MATCHED.value,
                ),
                else_=HelpRequest.status,
            ),
        )
        .execution_options(synchronize_session=False)
    )
    return result.rowcount == 1


def _free_place(request: HelpRequest) -> None:
    """Give back one helper place, whatever state the request is in (a closed or
    expired request may be reopened later), counted by the database rather than
    from what this session read: another match may have been made since."""
    db.session.execute(
        update(HelpRequest)
        .where(HelpRequest.id == request.id, HelpRequest.places_taken > 0)
        .values(
            places_taken=HelpRequest.places_taken - 1,
            status=case(
                (HelpRequest.status == RequestStatus.MATCHED, RequestStatus.OPEN.value),
                else_=HelpRequest.status,
            ),
        )
        .execution_options(synchronize_session=False)
    )
    db.session.refresh(request)


def _make_match(answer: Answer) -> Match:
    request = answer.request
    if blocks.is_blocked_between(answer.volunteer_id, request.requester_id):
        raise NotFound()
    try:
        if not _take_place(request.id):
            raise NoPlaceLeft("Every helper place of this request is already taken.")
        if not take_capacity(answer.volunteer_id):
            if offer_of(answer.volunteer_id) is not None:
                raise AtCapacity(
                    "This volunteer has no room left this month (or is taking a break)."
                )
            # No offer: a one-off room of one help a month (fair_limits).
            if not fair_limits.take_one_off_place(answer.volunteer_id):
                raise AtCapacity(
                    "This member has already helped with a request this month without "
                    "a volunteer offer, so there is no room left this month."
                )
    except OperationalError as error:
        # SQLite: another writer committed first (a stale snapshot or a lock).
        raise TryAgain("Someone else was doing the same just now. Please try again.") from error
    db.session.refresh(request)
    now = utcnow()
    answer.status, answer.responded_at = AnswerStatus.ACCEPTED.value, now
    answer.expires_at = None  # answered: it no longer expires
    match = Match(
        request_id=request.id,
        answer_id=answer.id,
        requester_id=request.requester_id,
        helper_id=answer.volunteer_id,
        created_at=now,
    )
    db.session.add(match)
    db.session.flush()
    if request.status == RequestStatus.MATCHED:
        # The last place is filled: nobody else waits for a reply.
        close_for_filled_places(request, now)
    open_for_match(match)
    schedule_reminders(match)
    touch(request)
    record_match(match)
    refresh_reliability(match.helper_id)
    jobs.enqueue(send_introductions, match.id)
    return match


def accept_answer(requester, answer: Answer) -> Match:
    """The requester accepts a volunteer's offer: a match. Flushes.

    Raises NoPlaceLeft, AtCapacity or TryAgain (roll back and tell the
    member), NotAllowed when the offer was already answered.
    """
    require_verified(requester)
    if answer.request.requester_id != requester.id or answer.kind != AnswerKind.OFFER:
        raise NotFound()
    if answer.filled_at is not None:
        raise NoPlaceLeft("Every helper place of this request is already taken.")
    if answer.status != AnswerStatus.PENDING:
        raise NotAllowed("This offer has already been answered.")
    return _make_match(answer)


def accept_invitation(volunteer, answer: Answer) -> Match:
    """The invited volunteer says yes: a match. Same errors as accept_answer."""
    require_verified(volunteer)
    if answer.volunteer_id != volunteer.id or answer.kind != AnswerKind.INVITATION:
        raise NotFound()
    if answer.filled_at is not None:
        raise NoPlaceLeft("Every helper place of this request is already taken.")
    if answer.status != AnswerStatus.PENDING:
        raise NotAllowed("This invitation has already been answered.")
    return _make_match(answer)


def access_match(user, match_id: int) -> Match:
    """The match, if ``user`` takes part in it; NotFound (as for a missing one) otherwise."""
    match = db.session.get(Match, match_id)
    user_id = getattr(user, "id", None)  # None, or Flask-Login's anonymous user: no id
    if match is None or user_id is None or user_id not in match.participant_ids():
        raise NotFound()
    return match


def cancel_match(user, match: Match, reason: str) -> None:
    """Either participant cancels an active match, with a reason. Frees the place."""
    if user.id not in match.participant_ids():
        raise NotFound()
    if match.status != MatchStatus.ACTIVE:
        raise NotAllowed("Only an active match can be cancelled.")
    reason = clean_reason(user, reason)
    _cancel(user, match, reason)
    other = match.helper if user.id == match.requester_id else match.requester
    notify(
        other,
        "match_cancelled",
        {
            "match_id": match.id,
            "request_id": match.request_id,
            "title": match.request.title,
            "name": user.display_name,
            "reason": reason,
        },
    )


def clean_reason(user, reason: str | None, *, required: bool = True) -> str:
    """A cancel's reason, trimmed and checked (HelpingError on ``reason``)."""
    reason = " ".join((reason or "").split())
    if not reason and required:
        raise HelpingError("Tell the other member why, in a few words.", "reason")
    if len(reason) > REASON_MAX:
        raise HelpingError(f"Use at most {REASON_MAX} characters.", "reason")
    refused = trust.link_refusal(user, reason) if reason else None
    if refused:
        raise HelpingError(refused, "reason")
    return reason


def end_stalled(user, match: Match, reason: str) -> None:
    """``user`` says an active match stalled (from a check-in): it ends as a
    cancel does (the place freed, the request open again, the capacity
    given back) and is marked ``stalled``, so that it is told apart from a
    cancel and from help ended with thanks. ``reason`` is already checked
    (:func:`clean_reason`). Raises NotAllowed once the match has ended. Flushes.

    Claimed by one conditional UPDATE first: both members may click "it
    stalled" at the same moment, and the place must be given back once.
    """
    if user.id not in match.participant_ids():
        raise NotFound()
    claimed = db.session.execute(
        update(Match)
        .where(Match.id == match.id, Match.status == MatchStatus.ACTIVE)
        .values(status=MatchStatus.CANCELLED.value, stalled=True)
        .execution_options(synchronize_session=False)
    ).rowcount
    if claimed != 1:
        raise NotAllowed("This match has already ended.")
    db.session.refresh(match)
    _cancel(user, match, reason)
    match.stalled = True
    db.session.flush()


def check_completable(requester, match: Match) -> None:
    """Raise unless ``requester`` may mark ``match``'s help received now:
    NotFound for anyone but its requester, NotAllowed once it has ended."""
    if match.requester_id != getattr(requester, "id", None):
        raise NotFound()
    if match.status != MatchStatus.ACTIVE:
        raise NotAllowed("This match has already ended.")


def complete_match(requester, match: Match) -> datetime:
    """The requester got the help of an active match: it completes, and so does
    its request when no active match is left on it. Flushes; returns the
    moment, for what the caller records with it (the act of help, the thanks:
    :func:`community.kindness.service.complete_match`).

    Raises as :func:`check_completable`. Claimed by one conditional UPDATE,
    so a double submit completes it once (the second gets NotAllowed).
    """
    check_completable(requester, match)
    now = utcnow()
    claimed = db.session.execute(
        update(Match)
        .where(Match.id == match.id, Match.status == MatchStatus.ACTIVE)
        .values(
            status=MatchStatus.COMPLETED.value,
            ended_at=now,
            check_in_due_at=None,
            check_in_open_at=None,
        )
        .execution_options(synchronize_session=False)
    )
    if claimed.rowcount != 1:
        raise NotAllowed("This match has already ended.")
    db.session.refresh(match)
    complete_if_done(match.request, now)
    refresh_reliability(match.helper_id)
    return now


def end_matches_between(user, other) -> int:
    """Cancel every active match of two members (one blocked the other).

    The blocked member is not notified of the block itself; the match simply
    ends and its helper place is free again. Returns how many ended.
    """
    active = db.session.scalars(
        select(Match).where(
            Match.status == MatchStatus.ACTIVE,
            ((Match.requester_id == user.id) & (Match.helper_id == other.id))
            | ((Match.requester_id == other.id) & (Match.helper_id == user.id)),
        )
    ).all()
    for match in active:
        _cancel(user, match, "The match was closed.")
    return len(active)


def end_matches_of(user, reason: str) -> int:
    """Cancel every active match of ``user`` (they are leaving or suspended).

    The other member is told kindly, with ``reason`` (a sentence the caller
    chose for them, never a moderator's note). Returns how many ended.
    """
    active = db.session.scalars(
        select(Match)
        .where(
            Match.status == MatchStatus.ACTIVE,
            (Match.requester_id == user.id) | (Match.helper_id == user.id),
        )
        .options(joinedload(Match.request), joinedload(Match.requester), joinedload(Match.helper))
    ).all()
    for match in active:
        _cancel(user, match, reason)
        other = match.helper if user.id == match.requester_id else match.requester
        notify(
            other,
            "match_cancelled",
            {
                "match_id": match.id,
                "request_id": match.request_id,
                "title": match.request.title,
                "name": user.display_name,
                "reason": reason,
            },
        )
    return len(active)


def _cancel(user, match: Match, reason: str) -> None:
    now = utcnow()
    match.status, match.ended_at = MatchStatus.CANCELLED.value, now
    match.cancel_reason, match.cancelled_by_id = reason, user.id
    # No check-in for an ended match, and none left waiting for an answer.
    match.check_in_due_at = match.check_in_open_at = None
    request = match.request
    _free_place(request)
    if request.status in (RequestStatus.OPEN, RequestStatus.MATCHED):
        touch(request)
    release_capacity(match.helper_id, match.created_at.strftime("%Y-%m"))
    refresh_reliability(match.helper_id)


def matches_of(user_id: int) -> list[Match]:
    """The member's matches, active first, newest first, with the request and
    both members loaded (one query)."""
    return list(
        db.session.scalars(
            select(Match)
            .where((Match.requester_id == user_id) | (Match.helper_id == user_id))
            .order_by((Match.status == MatchStatus.ACTIVE).desc(), Match.created_at.desc())
            .options(
                joinedload(Match.request), joinedload(Match.requester), joinedload(Match.helper)
            )
        )
    )


def matches_on_request(user, request: HelpRequest) -> list[Match]:
    """The matches of ``request`` that ``user`` takes part in (all of them for the
    requester), oldest first."""
    statement = select(Match).where(Match.request_id == request.id)
    if user.id != request.requester_id:
        statement = statement.where(Match.helper_id == user.id)
    return list(
        db.session.scalars(
            statement.order_by(Match.created_at, Match.id).options(joinedload(Match.helper))
        )
    )


@jobs.commits
def send_introductions(match_id: int) -> bool:
    """Introduce the two members of a match to each other. A job; commits.

    Exactly once per match, however often it runs: the first run claims the
    match with a conditional UPDATE of ``introduced_at``; later runs find it
    set and do nothing. Returns whether this run sent the introductions.
    """
    claimed = db.session.execute(
        update(Match)
        .where(Match.id == match_id, Match.introduced_at.is_(None))
        .values(introduced_at=utcnow())
        .execution_options(synchronize_session=False)
    ).rowcount
    if claimed != 1:
        return False
    introduce(db.session.get(Match, match_id))
    return True
