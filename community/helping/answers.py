"""Answers ("I can help"), invitations, questions on them, and declines.

An :class:`Answer` joins a volunteer to a request. A volunteer makes one by
offering help (kind "offer"); a requester makes one by inviting a suggested
volunteer (kind "invitation"). The other side then accepts (a match, see
community.helping.matches) or declines. One answer per volunteer and request.
"""

from __future__ import annotations

from datetime import date, timedelta

from flask import current_app
from sqlalchemy import func, select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import joinedload, selectinload

from community import blocks, trust
from community.accounts.models import User
from community.db import db, utcnow
from community.errors import RateLimited
from community.helping import fair_limits
from community.helping.capacity import is_available
from community.helping.errors import HelpingError, NotAllowed, NotFound
from community.helping.models import (
    Answer,
    AnswerComment,
    AnswerKind,
    AnswerStatus,
    HelpRequest,
    RequestStatus,
)
from community.helping.offers import offer_of, pause_offer_until
from community.helping.rank import record_answer_speed, refresh_reliability
from community.helping.requests import require_verified, touch
from community.limits import record_act
from community.notifications.service import notify
from community.profiles.models import Profile

NOTE_MAX = 1000
COMMENT_MAX = 2000
REASON_MAX = 500
# Acts a member may do, counted as acts (community/limits.py); defaults, until
# trust levels set their own.
ANSWERS_PER_DAY = 30
COMMENTS_PER_HOUR = 30


def _count_act(user, kind: str, limit: int, per: str, why: str) -> None:
    try:
        record_act(user.id, kind, limit, per)
    except RateLimited:
        raise HelpingError(f"{why} Please come back a little later.") from None


def _clean_text(text: str | None, limit: int, field: str, *, required: bool) -> str:
    text = (text or "").replace("\r\n", "\n").strip()
    if required and not text:
        raise HelpingError("Write a few words.", field)
    if len(text) > limit:
        raise HelpingError(f"Use at most {limit:,} characters.", field)
    return text


def _check_links(user, text: str, field: str) -> None:
    """A link the member's trust level does not allow yet is refused on its field."""
    refused = trust.link_refusal(user, text)
    if refused:
        raise HelpingError(refused, field)


def _check_can_take_part(volunteer, request: HelpRequest) -> None:
    if request.requester_id == volunteer.id:
        raise NotAllowed("This is your own request.")
    if request.status != RequestStatus.OPEN:
        raise NotAllowed("This request is not taking offers of help any more.")
    if blocks.is_blocked_between(volunteer.id, request.requester_id):
        raise NotFound()


def expiry_days(kind: str) -> int:
    """How many days an answer of ``kind`` waits for a reply before it expires."""
    name = "INVITATION_EXPIRY_DAYS" if kind == AnswerKind.INVITATION else "ANSWER_EXPIRY_DAYS"
    return current_app.config[name]


def _start_waiting(answer: Answer, now) -> None:
    """The answer waits for the other side from ``now``: its expiry is due then."""
    answer.expires_at = now + timedelta(days=expiry_days(answer.kind))


def close_unanswered(
    answer: Answer,
    reason: str,
    now,
    *,
    expired: bool = False,
    filled: bool = False,
    remeasure: bool = True,
) -> None:
    """A pending answer ends without a match: a decline by either side, its
    expiry (community.helping.honest, ``expired``), or a match filling the
    request's last place (``filled``). It held no place on the request and
    took no capacity (only an accepted match takes those); it counted in the
    volunteer's room while it waited (community.helping.fair_limits), which
    is free again now that it no longer waits. ``remeasure=False`` leaves
    measuring the volunteer's reliability again to the caller (the expiry job
    does it in the note's job, after commit). Flushes."""
    answer.status = AnswerStatus.DECLINED.value
    answer.decline_reason = reason
    answer.responded_at = now
    answer.expires_at = None
    if expired:
        answer.expired_at = now
    if filled:
        answer.filled_at = now
    db.session.flush()
    if remeasure and answer.kind == AnswerKind.INVITATION:
        # Replied to or let expire: a fact of the volunteer's reliability.
        refresh_reliability(answer.volunteer_id)


def _renewable(answer: Answer) -> bool:
    """A volunteer may answer again after taking their offer back, or after
    the places were filled (a cancelled match may have freed one since)."""
    return answer.status == AnswerStatus.WITHDRAWN or answer.filled_at is not None


def close_for_filled_places(request: HelpRequest, now) -> int:
    """A match filled the request's last helper place: every answer still
    waiting on it closes at once, and its volunteer hears a kind "the places
    are filled" (nobody waits for a reply that cannot come). Flushes; returns
    how many closed. Called by :func:`community.helping.matches.accept_answer`
    and :func:`~community.helping.matches.accept_invitation` when the request
    is matched."""
    waiting = db.session.scalars(
        select(Answer)
        .where(Answer.request_id == request.id, Answer.status == AnswerStatus.PENDING)
        .options(joinedload(Answer.volunteer))
    ).all()
    for answer in waiting:
        close_unanswered(answer, "", now, filled=True)
        notify(
            answer.volunteer,
            "places_filled",
            {
                "request_id": request.id,
                "title": request.title,
                "name": request.requester.display_name,
                "invited": answer.kind == AnswerKind.INVITATION,
            },
        )
    db.session.flush()
    return len(waiting)


def existing_answer(request_id: int, volunteer_id: int) -> Answer | None:
    return db.session.scalar(
        select(Answer).where(Answer.request_id == request_id, Answer.volunteer_id == volunteer_id)
    )


def answer_request(volunteer, request: HelpRequest, note: str) -> Answer:
    """The volunteer says "I can help", with a short note. Flushes.

    Only verified members; not on their own request; once per request (a
    withdrawn answer may be renewed); only while the request is open.
    """
    require_verified(volunteer)
    _check_can_take_part(volunteer, request)
    note = _clean_text(note, NOTE_MAX, "note", required=True)
    answer = existing_answer(request.id, volunteer.id)
    if answer is not None and not _renewable(answer):
        raise HelpingError("You have already answered this request.")
    refused = trust.refusal(volunteer, "answer", text=note)
    if refused:
        raise HelpingError(refused, "note")
    # Fair limits: the request's row, then the volunteer's, locked in this
    # order until the commit (community.helping.fair_limits).
    fair_limits.check_request_takes_offer(request)
    fair_limits.check_room_to_answer(volunteer)
    # Counted as acts: answer, withdraw, answer again is two answers.
    _count_act(volunteer, "answer", ANSWERS_PER_DAY, "day", "You have offered help a lot today.")
    now = utcnow()
    if answer is None:
        answer = Answer(request_id=request.id, volunteer_id=volunteer.id, created_at=now)
        db.session.add(answer)
    answer.kind, answer.note = AnswerKind.OFFER.value, note
    answer.status, answer.responded_at, answer.decline_reason = AnswerStatus.PENDING.value, None, ""
    answer.expired_at = answer.filled_at = None
    _start_waiting(answer, now)
    try:
        with db.session.begin_nested():
            db.session.flush()
    except IntegrityError:
        raise HelpingError("You have already answered this request.") from None
    touch(request)
    record_answer_speed(volunteer.id, request, now)
    notify(
        request.requester,
        "answer_received",
        {
            "request_id": request.id,
            "title": request.title,
            "name": volunteer.display_name,
            "user_id": volunteer.id,
        },
    )
    return answer


def invite_volunteer(requester, request: HelpRequest, volunteer, note: str = "") -> Answer:
    """The requester asks a (suggested) volunteer to help. Flushes."""
    require_verified(requester)
    if request.requester_id != requester.id:
        raise NotAllowed("Only the member who asked can invite helpers.")
    if volunteer.id == requester.id or volunteer.is_deleted:
        raise NotFound()
    if request.status != RequestStatus.OPEN:
        raise NotAllowed("This request is not open.")
    if blocks.is_blocked_between(volunteer.id, requester.id):
        raise NotFound()
    if not is_available(offer_of(volunteer.id)):
        raise HelpingError("This volunteer is not taking requests at the moment.")
    answer = existing_answer(request.id, volunteer.id)
    if answer is not None and answer.filled_at is None:
        raise HelpingError("This volunteer has already answered or been invited.")
    note = _clean_text(note, NOTE_MAX, "note", required=False)
    _check_links(requester, note, "note")
    # Fair limits, locked in the same order as answering (request, volunteer).
    fair_limits.check_request_takes_invitation(request)
    fair_limits.check_room_to_invite(volunteer)
    now = utcnow()
    if answer is None:
        answer = Answer(request_id=request.id, volunteer_id=volunteer.id)
        db.session.add(answer)
    # An answer closed because the places were filled is asked again.
    answer.kind, answer.note, answer.created_at = AnswerKind.INVITATION.value, note, now
    answer.status, answer.responded_at, answer.decline_reason = AnswerStatus.PENDING.value, None, ""
    answer.expired_at = answer.filled_at = None
    _start_waiting(answer, now)
    try:
        db.session.flush()
    except IntegrityError:
        # A double click (or the volunteer answering at the same moment) lost
        # to the unique constraint. The caller rolls back, as for any error.
        # (No savepoint: on SQLite one opened before any write would commit
        # on release.)
        raise HelpingError("This volunteer has already answered or been invited.") from None
    touch(request)
    notify(
        volunteer,
        "invitation_received",
        {"request_id": request.id, "title": request.title, "name": requester.display_name},
    )
    return answer


def access_answer(user, answer_id: int) -> Answer:
    """The answer, if ``user`` is its requester or volunteer; NotFound otherwise
    (also for nobody signed in: ``user`` None or Flask-Login's anonymous user)."""
    answer = db.session.get(Answer, answer_id)
    user_id = getattr(user, "id", None)
    participants = (answer.volunteer_id, answer.request.requester_id) if answer else ()
    if user_id is None or user_id not in participants:
        raise NotFound()
    return answer


def answers_on(request: HelpRequest, volunteer_id: int | None = None) -> list[Answer]:
    """The answers of a request (only ``volunteer_id``'s when given), oldest first,
    with each volunteer's profile and the comment threads loaded: a fixed
    number of queries, however many answers there are."""
    statement = (
        select(Answer)
        .where(Answer.request_id == request.id)
        .order_by(Answer.created_at, Answer.id)
        .options(
            joinedload(Answer.volunteer).joinedload(User.profile).selectinload(Profile.genres),
            selectinload(Answer.comments).joinedload(AnswerComment.author),
        )
    )
    if volunteer_id is not None:
        statement = statement.where(Answer.volunteer_id == volunteer_id)
    return list(db.session.scalars(statement).unique())


def pending_counts(request_ids) -> dict[int, int]:
    """How many answers wait for a reply on each of the requests (one query)."""
    ids = list(request_ids)
    if not ids:
        return {}
    rows = db.session.execute(
        select(Answer.request_id, func.count(Answer.id))
        .where(Answer.request_id.in_(ids), Answer.status == AnswerStatus.PENDING)
        .group_by(Answer.request_id)
    )
    return dict(rows.all())


def pending_answers_of(volunteer_id: int) -> list[Answer]:
    """The member's offers and invitations still waiting for an answer, newest first."""
    return list(
        db.session.scalars(
            select(Answer)
            .where(Answer.volunteer_id == volunteer_id, Answer.status == AnswerStatus.PENDING)
            .order_by(Answer.created_at.desc(), Answer.id.desc())
            .options(joinedload(Answer.request).joinedload(HelpRequest.requester))
        ).unique()
    )


def comment_on_answer(user, answer: Answer, body: str) -> AnswerComment:
    """A question or reply between the requester and the volunteer of an answer."""
    require_verified(user)
    if user.id not in (answer.volunteer_id, answer.request.requester_id):
        raise NotFound()
    if blocks.is_blocked_between(answer.volunteer_id, answer.request.requester_id):
        raise NotAllowed("You can no longer write to each other here.")
    if answer.status in (AnswerStatus.DECLINED, AnswerStatus.WITHDRAWN):
        # Nobody is waiting for an answer here any more; a comment would only
        # notify someone who has said no (or taken their offer back).
        raise NotAllowed("This offer has ended, so there is no more to say about it here.")
    body = _clean_text(body, COMMENT_MAX, "body", required=True)
    _check_links(user, body, "body")
    _count_act(user, "comment", COMMENTS_PER_HOUR, "hour", "You have written a lot lately.")
    comment = AnswerComment(answer_id=answer.id, author_id=user.id, body=body)
    db.session.add(comment)
    db.session.flush()
    touch(answer.request)
    other = answer.request.requester if user.id == answer.volunteer_id else answer.volunteer
    notify(
        other,
        "answer_comment",
        {
            "request_id": answer.request_id,
            "title": answer.request.title,
            "name": user.display_name,
            "user_id": user.id,
        },
    )
    return comment


def decline_answer(requester, answer: Answer, reason: str = "") -> None:
    """The requester kindly declines a volunteer's offer (reason optional)."""
    request = answer.request
    if request.requester_id != requester.id or answer.kind != AnswerKind.OFFER:
        raise NotFound()
    if answer.status != AnswerStatus.PENDING:
        raise NotAllowed("This offer has already been answered.")
    reason = _clean_text(reason, REASON_MAX, "reason", required=False)
    _check_links(requester, reason, "reason")
    close_unanswered(answer, reason, utcnow())
    notify(
        answer.volunteer,
        "answer_declined",
        {
            "request_id": request.id,
            "title": request.title,
            "name": requester.display_name,
            "reason": answer.decline_reason,
        },
    )


def decline_invitation(
    volunteer, answer: Answer, reason: str = "", pause_until: date | None = None
) -> None:
    """The invited volunteer's "not this time", with an optional kind word,
    and optionally "and pause me until ``pause_until``": their offer goes on
    a break until that day (see :func:`offers.pause_offer_until`). Nobody is
    told off for saying no: the requester gets a kind note. Flushes."""
    if answer.volunteer_id != volunteer.id or answer.kind != AnswerKind.INVITATION:
        raise NotFound()
    if answer.status != AnswerStatus.PENDING:
        raise NotAllowed("This invitation has already been answered.")
    reason = _clean_text(reason, REASON_MAX, "reason", required=False)
    _check_links(volunteer, reason, "reason")
    if pause_until is not None:
        pause_offer_until(volunteer.id, pause_until, field="pause_until")
    close_unanswered(answer, reason, utcnow())
    request = answer.request
    notify(
        request.requester,
        "invitation_declined",
        {
            "request_id": request.id,
            "title": request.title,
            "name": volunteer.display_name,
            "reason": answer.decline_reason,
        },
    )


def withdraw_answer(volunteer, answer: Answer) -> None:
    """The volunteer takes back a pending offer."""
    if answer.volunteer_id != volunteer.id:
        raise NotFound()
    if answer.status != AnswerStatus.PENDING or answer.kind != AnswerKind.OFFER:
        raise NotAllowed("Only an offer still waiting for an answer can be withdrawn.")
    answer.status = AnswerStatus.WITHDRAWN.value
    answer.responded_at = utcnow()
    answer.expires_at = None
