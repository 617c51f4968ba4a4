"""Honest answers, fast: nobody waits for a reply that is not coming.

An invitation (the requester asked a volunteer) or an offer (a volunteer
said "I can help") that gets no reply expires by itself after a few days
(``INVITATION_EXPIRY_DAYS``, ``ANSWER_EXPIRY_DAYS``), counted from when it
started waiting (:func:`community.helping.answers.expiry_days`). It ends
exactly as a decline does (:func:`community.helping.answers.close_unanswered`):
a pending answer holds no place on the request and none of the volunteer's
monthly capacity, so there is nothing else to give back.

The other side gets a kind note through the notification preferences (its
own job, :func:`send_expiry_note`, queued when the expiry commits), and the
silent side is told nothing (nobody is told off for not answering):

* an expired invitation: the requester reads "Ben could not take this on
  right now; here are others who could help", with the next best
  volunteers named and linked (the request page lists them at once);
* an expired offer: the volunteer is thanked, and pointed to other requests.

The due time lives on the answer (``expires_at``, indexed), so the periodic
job (:func:`expire_quiet_answers`) reads only what is due. Each expiry is
claimed by one conditional UPDATE (still pending, still due), so a job run
twice, or by two schedulers, expires and notes it once.
"""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import select, update
from sqlalchemy.orm import joinedload

from community import blocks, jobs
from community.db import db, utcnow
from community.helping.answers import close_unanswered
from community.helping.matching import suggest_volunteers
from community.helping.models import Answer, AnswerKind, AnswerStatus, HelpRequest
from community.helping.rank import refresh_reliability
from community.notifications.service import notify
from community.urls import external_url

# How many due answers one run takes; the next run (hourly) takes the rest.
BATCH = 500
# How many next best volunteers the requester's note names.
NEXT_BEST = 3


def _claim(answer_id: int, now: datetime) -> bool:
    """Take one due expiry: empty its due time, if it is still pending and due."""
    return (
        db.session.execute(
            update(Answer)
            .where(
                Answer.id == answer_id,
                Answer.status == AnswerStatus.PENDING,
                Answer.expires_at.is_not(None),
                Answer.expires_at <= now,
            )
            .values(expires_at=None)
            .execution_options(synchronize_session=False)
        ).rowcount
        == 1
    )


def _note_to_requester(answer: Answer) -> None:
    request, volunteer = answer.request, answer.volunteer
    others = suggest_volunteers(request, limit=NEXT_BEST)
    names = ", ".join(suggestion.volunteer.display_name for suggestion in others)
    notify(
        request.requester,
        "invitation_expired",
        {
            "request_id": request.id,
            "title": request.title,
            "name": volunteer.display_name,
            "user_id": volunteer.id,
            "others": names or "invite another volunteer from your request's page",
        },
        email_context={
            "volunteer_name": volunteer.display_name,
            "request_title": request.title,
            "request_url": external_url("helping.show_request", request_id=request.id),
            "others": [
                (
                    suggestion.volunteer.display_name,
                    external_url("profiles.show", user_id=suggestion.volunteer.id),
                )
                for suggestion in others
            ],
        },
    )


def _note_to_volunteer(answer: Answer) -> None:
    request = answer.request
    notify(
        answer.volunteer,
        "answer_expired",
        {
            "request_id": request.id,
            "title": request.title,
            "name": request.requester.display_name,
        },
    )


def expire(answer: Answer, now: datetime) -> None:
    """End one claimed, due answer as a decline would, and queue the kind note
    to the other side (:func:`send_expiry_note`, after commit). Flushes."""
    # The volunteer's reliability is measured again in the note's job: a few
    # queries each, which the periodic job does not pay per expiry.
    close_unanswered(answer, "", now, expired=True, remeasure=False)
    jobs.enqueue(send_expiry_note, answer.id)


@jobs.commits
def send_expiry_note(answer_id: int) -> bool:
    """Tell the other side of an expired answer, kindly: a job, run after the
    expiry commits. Nothing when the answer was not expired, the request has
    stopped taking help, or the two have blocked each other (then there is
    nothing useful to say). Returns whether a note was written.

    Its own job because the requester's note names the next best volunteers,
    which asks the matching engine: the periodic job stays a few indexed
    statements per expiry, and a backlog does not hold one long transaction.
    It also measures the volunteer's reliability again when an invitation
    expired (see :func:`expire`). Safe to run twice: measuring is idempotent,
    and a second note about the same answer is a repeat
    (the kinds' ``same_thing``), which :func:`notify` does not send again.
    """
    answer = db.session.get(Answer, answer_id)
    if answer is None or answer.expired_at is None:
        return False
    if answer.kind == AnswerKind.INVITATION:
        # An invitation left to expire is a fact of the volunteer's reliability.
        refresh_reliability(answer.volunteer_id)
    request = answer.request
    if not request.is_open or blocks.is_blocked_between(answer.volunteer_id, request.requester_id):
        return False
    if answer.kind == AnswerKind.INVITATION:
        _note_to_requester(answer)
    else:
        _note_to_volunteer(answer)
    return True


@jobs.commits
def expire_quiet_answers(now: datetime | None = None) -> int:
    """Expire the invitations and offers that waited too long for a reply.
    A periodic job; commits. Returns how many expired.

    Safe to run twice: each expiry is claimed before it is made.
    """
    now = now or utcnow()
    # Due times left on answers that were answered another way meanwhile.
    db.session.execute(
        update(Answer)
        .where(Answer.expires_at <= now, Answer.status != AnswerStatus.PENDING)
        .values(expires_at=None)
        .execution_options(synchronize_session=False)
    )
    due = db.session.scalars(
        select(Answer)
        .where(Answer.expires_at <= now)
        .order_by(Answer.expires_at, Answer.id)
        .limit(BATCH)
        .options(
            joinedload(Answer.request).joinedload(HelpRequest.requester),
            joinedload(Answer.volunteer),
        )
    ).all()
    expired = 0
    for answer in due:
        if not _claim(answer.id, now):
            continue  # another run took it
        expire(answer, now)
        expired += 1
    return expired
