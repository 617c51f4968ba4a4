"""Asks: a new request is brought to the few volunteers most likely to say yes.

When a request is posted, a job (after the commit, never in the request that
posts) asks the matching engine (:func:`community.helping.matching.suggest_volunteers`)
for every volunteer who suits it and may be suggested at all (verified, on no
break, with room this month, not blocked either way with the requester, not
the requester, not already answering) and tells the best ``ASKS_PER_REQUEST``
of them who may still be asked:

- nobody is asked twice about one request (one ``RequestAsk`` row each, unique);
- nobody is asked more than their weekly cap in any seven days (their offer's
  ``asks_per_week``, else the site's ``ASKS_PER_WEEK``; 0 is never): the asks
  a strong volunteer cannot take go to the next best, so they rotate;
- a volunteer who said "not for me" to requests sharing a kind of help lately
  ranks lower for the next ones (``NOT_FOR_ME_WEIGHT`` per refusal).

If nobody offers within ``ASK_AGAIN_AFTER_HOURS``, the periodic
:func:`ask_again` sends a second round to the next best. Each round is claimed
by one conditional UPDATE of the request's ``asks_round``, so a job run twice
asks once.

Every ask carries two signed links (no login needed, they expire after
``ASK_LINK_DAYS``): "not for me" (:func:`not_for_me`) and "pause me until"
(:func:`pause_until`), which puts the offer on a break until a day;
:func:`end_breaks` lifts such breaks when the day comes.

Functions flush; the jobs (:func:`ask_volunteers`, :func:`ask_again`,
:func:`end_breaks`) commit.
"""

from __future__ import annotations

import heapq
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import date, datetime, timedelta
from itertools import islice

from flask import current_app
from itsdangerous import BadSignature, SignatureExpired, URLSafeTimedSerializer
from sqlalchemy import exists, func, select, update
from sqlalchemy.orm import joinedload, selectinload

from community import jobs, safety
from community.db import ID_MAX, db, utcnow
from community.helping import offers
from community.helping.errors import NotFound
from community.helping.matching import Suggestion, suggest_volunteers
from community.helping.models import (
    Answer,
    AnswerKind,
    AskOutcome,
    HelpRequest,
    RequestAsk,
    RequestStatus,
    VolunteerOffer,
    request_skills,
)
from community.helping.rank import refresh_rank
from community.notifications.service import notify
from community.urls import external_url

WEEK = timedelta(days=7)
# "Not for me" on requests sharing a kind of help, within this window, lowers
# a volunteer's place for the next such request by this much (a skill in
# common is worth 3, see community.helping.rank.WEIGHTS) per refusal.
NOT_FOR_ME_WINDOW = timedelta(days=30)
NOT_FOR_ME_WEIGHT = 1.5
PAUSE_SUGGESTED = timedelta(days=14)  # the day the pause page offers first
# Every candidate the engine finds is ranked (it scores them all anyway).
ALL_CANDIDATES = 1_000_000
ROUNDS = 2
# A first round whose job never ran is swept up by the periodic ask_again.
FIRST_ROUND_SWEPT_AFTER = timedelta(minutes=10)
FIRST_ROUND_SWEPT_WITHIN = timedelta(days=1)
NOT_FOR_ME, PAUSE = "not_for_me", "pause"


# --- who is asked -------------------------------------------------------------


def weekly_cap(offer: VolunteerOffer) -> int:
    """How many asks the volunteer takes in any seven days."""
    if offer.asks_per_week is not None:
        return offer.asks_per_week
    return current_app.config["ASKS_PER_WEEK"]


def _recent_ask_counts(volunteer_ids: list[int], now: datetime) -> dict[int, int]:
    if not volunteer_ids:
        return {}
    return dict(
        db.session.execute(
            select(RequestAsk.volunteer_id, func.count(RequestAsk.id))
            .where(
                RequestAsk.volunteer_id.in_(volunteer_ids),
                RequestAsk.asked_at > now - WEEK,
                RequestAsk.asked_at <= now,
            )
            .group_by(RequestAsk.volunteer_id)
        ).all()
    )


def _not_for_me_counts(request: HelpRequest, volunteer_ids: list[int], now: datetime):
    """Each volunteer's recent "not for me"s to requests sharing a kind of help."""
    skill_ids = [skill.id for skill in request.skills]
    if not volunteer_ids or not skill_ids:
        return {}
    similar = select(request_skills.c.request_id).where(request_skills.c.skill_id.in_(skill_ids))
    return dict(
        db.session.execute(
            select(RequestAsk.volunteer_id, func.count(RequestAsk.id))
            .where(
                RequestAsk.volunteer_id.in_(volunteer_ids),
                RequestAsk.outcome == AskOutcome.NOT_FOR_ME.value,
                RequestAsk.outcome_at > now - NOT_FOR_ME_WINDOW,
                RequestAsk.request_id.in_(similar),
            )
            .group_by(RequestAsk.volunteer_id)
        ).all()
    )


def choose_volunteers(request: HelpRequest, count: int, now: datetime) -> list[Suggestion]:
    """The ``count`` volunteers to ask about ``request`` now, best first.

    The engine's suggestions, less those asked about it already and those at
    their weekly cap, ordered by the engine's score lowered for recent "not
    for me"s. On PostgreSQL the chosen volunteers' offers are locked and their
    counts read again, so that two rounds chosen at once cannot both take a
    volunteer's last ask of the week.
    """
    if count <= 0:
        return []
    suggestions = suggest_volunteers(request, limit=ALL_CANDIDATES)
    asked_here = set(
        db.session.scalars(
            select(RequestAsk.volunteer_id).where(RequestAsk.request_id == request.id)
        )
    )
    suggestions = [s for s in suggestions if s.volunteer.id not in asked_here]
    in_order = _eligible_in_order(request, suggestions, now, chunk=max(4 * count, 20))
    chosen: list[Suggestion] = []
    while len(chosen) < count:
        batch = list(islice(in_order, count - len(chosen)))
        if not batch:
            break
        batch_ids = sorted(s.volunteer.id for s in batch)
        db.session.execute(
            select(VolunteerOffer.user_id)
            .where(VolunteerOffer.user_id.in_(batch_ids))
            .order_by(VolunteerOffer.user_id)
            .with_for_update()
        ).all()
        counts = _recent_ask_counts(batch_ids, now)
        chosen += [s for s in batch if counts.get(s.volunteer.id, 0) < weekly_cap(s.offer)]
    return chosen


def _eligible_in_order(
    request: HelpRequest, suggestions: list[Suggestion], now: datetime, chunk: int
) -> Iterator[Suggestion]:
    """The suggestions under their weekly cap, in their place (the engine's
    score lowered for recent "not for me"s; then the volunteer's id).

    ``suggestions`` come best first by the engine's score, and a refusal only
    ever lowers a place, so the caps and refusals are read a chunk at a time
    from the top, only as far as the next one out could still come first: a
    few small queries instead of two over every candidate.
    """
    ranked: list[tuple[tuple[float, int], Suggestion]] = []  # a heap
    start = 0
    while True:
        while start < len(suggestions) and (
            not ranked or ranked[0][0][0] >= -suggestions[start].score
        ):
            part, start = suggestions[start : start + chunk], start + chunk
            ids = [s.volunteer.id for s in part]
            recent = _recent_ask_counts(ids, now)
            refused = _not_for_me_counts(request, ids, now)
            for suggestion in part:
                volunteer_id = suggestion.volunteer.id
                if recent.get(volunteer_id, 0) >= weekly_cap(suggestion.offer):
                    continue
                lowered = suggestion.score - NOT_FOR_ME_WEIGHT * refused.get(volunteer_id, 0)
                heapq.heappush(ranked, ((-lowered, volunteer_id), suggestion))
        if not ranked:
            return
        yield heapq.heappop(ranked)[1]


_TO_YOU = (
    ("writes about ", "you write about "),
    ("usually answers ", "you usually answer "),
    ("has not been matched lately", "you have not been matched lately"),
)


def reasons_for_volunteer(reasons: list[str]) -> str:
    """The engine's reasons, said to the volunteer: "beta reading and fantasy
    in common, you have 2 places free this month"."""
    said = []
    for reason in reasons:
        if reason.startswith("was helped here"):
            continue
        if reason.endswith("free this month"):
            reason = "you have " + reason
        for before, after in _TO_YOU:
            if reason.startswith(before):
                reason = after + reason[len(before) :]
        said.append(reason)
    return ", ".join(said)


def schedule_first_round(request: HelpRequest) -> None:
    """Ask volunteers about a just-posted request, after the commit (a job)."""
    if current_app.config["ASKS_PER_REQUEST"] > 0:
        jobs.enqueue(ask_volunteers, request.id, 1)


@jobs.commits
def ask_volunteers(request_id: int, round_number: int = 1, now: datetime | None = None) -> int:
    """Round ``round_number`` of asks for the request: tell the volunteers
    :func:`choose_volunteers` picks. A job; commits. Safe to run twice: the
    round is claimed first (a request already past it, or no longer open, is
    left alone). Returns how many volunteers were asked."""
    return _ask_round(request_id, round_number, now or utcnow())


def _ask_round(request_id: int, round_number: int, now: datetime) -> int:
    per_request = current_app.config["ASKS_PER_REQUEST"]
    if per_request <= 0 or not 1 <= round_number <= ROUNDS:
        return 0
    claimed = db.session.execute(
        update(HelpRequest)
        .where(
            HelpRequest.id == request_id,
            HelpRequest.asks_round == round_number - 1,
            HelpRequest.status == RequestStatus.OPEN.value,
        )
        .values(asks_round=round_number, asked_at=now)
        .execution_options(synchronize_session=False)
    ).rowcount
    if claimed != 1:
        return 0
    request = db.session.get(
        HelpRequest,
        request_id,
        options=[joinedload(HelpRequest.requester), selectinload(HelpRequest.skills)],
        populate_existing=True,
    )
    if safety.hidden_row("request", request.id) is not None or request.requester.is_deleted:
        return 0  # the round is spent: nobody is told of a removed request
    chosen = choose_volunteers(request, per_request, now)
    for suggestion in chosen:
        ask = RequestAsk(
            request_id=request.id,
            volunteer_id=suggestion.volunteer.id,
            round=round_number,
            asked_at=now,
        )
        db.session.add(ask)
        db.session.flush()
        notify(
            suggestion.volunteer,
            "request_ask",
            {
                "request_id": request.id,
                "title": request.title,
                "reasons": reasons_for_volunteer(suggestion.reasons),
            },
            email_context={
                "title": request.title,
                "link_days": current_app.config["ASK_LINK_DAYS"],
                "not_for_me_url": external_url(
                    "helping.answer_ask", token=ask_token(ask, NOT_FOR_ME)
                ),
                "pause_url": external_url("helping.answer_ask", token=ask_token(ask, PAUSE)),
            },
        )
    return len(chosen)


def _answered(request_id: int):
    return exists().where(Answer.request_id == request_id, Answer.kind == AnswerKind.OFFER.value)


def ask_again(now: datetime | None = None) -> int:
    """The second round: requests still open and unanswered ASK_AGAIN_AFTER_HOURS
    after their first round are brought to the next best volunteers. A
    periodic job; one transaction per request. Returns how many volunteers
    were asked.

    It also runs the first round of a request posted lately whose job was
    lost (Redis down at the commit, a worker killed): the row is the backstop,
    as the outbox is for emails. Requests older than FIRST_ROUND_SWEPT_WITHIN
    (those posted before asks existed) are left alone.
    """
    config = current_app.config
    if config["ASKS_PER_REQUEST"] <= 0:
        return 0
    now = now or utcnow()
    missed = db.session.scalars(
        select(HelpRequest.id)
        .where(
            HelpRequest.status == RequestStatus.OPEN.value,
            HelpRequest.asks_round == 0,
            HelpRequest.created_at <= now - FIRST_ROUND_SWEPT_AFTER,
            HelpRequest.created_at > now - FIRST_ROUND_SWEPT_WITHIN,
        )
        .order_by(HelpRequest.created_at)
        .limit(500)
    ).all()
    first = sum(jobs.in_transaction(_ask_round, request_id, 1, now) for request_id in missed)
    due = db.session.scalars(
        select(HelpRequest.id)
        .where(
            HelpRequest.status == RequestStatus.OPEN.value,
            HelpRequest.asks_round == 1,
            HelpRequest.asked_at <= now - timedelta(hours=config["ASK_AGAIN_AFTER_HOURS"]),
            ~_answered(HelpRequest.id),
        )
        .order_by(HelpRequest.asked_at)
        .limit(500)
    ).all()
    return first + sum(jobs.in_transaction(_ask_round, request_id, 2, now) for request_id in due)


# --- what the requester is told -----------------------------------------------


def _on(moment: datetime) -> str:
    return f"{moment:%-d %B}"


def ask_summary(request: HelpRequest) -> str | None:
    """For the requester's page, in words: how many suitable volunteers were
    told and when the next round goes out. No names. None when asks are off
    or the request was never open to them."""
    config = current_app.config
    per_request = config["ASKS_PER_REQUEST"]
    if per_request <= 0:
        return None
    if request.asks_round == 0:
        if not request.is_open or request.created_at <= utcnow() - FIRST_ROUND_SWEPT_WITHIN:
            return None  # posted before asks began (or while they were off)
        return "We are choosing the volunteers who suit your request best, to tell them soon."
    told = db.session.scalar(
        select(func.count(RequestAsk.id)).where(RequestAsk.request_id == request.id)
    )
    if told == 0:
        words = ["No volunteer with room this month suits your request yet."]
    else:
        volunteers = "volunteer" if told == 1 else "volunteers"
        words = [f"We have told {told} suitable {volunteers} about your request."]
    if not request.is_open:
        return " ".join(words)
    if request.asks_round < ROUNDS:
        if db.session.scalar(select(_answered(request.id))):
            words.append("Someone has offered to help, so we will not ask more for now.")
        else:
            due = request.asked_at + timedelta(hours=config["ASK_AGAIN_AFTER_HOURS"])
            words.append(
                f"If nobody offers by {_on(due)}, we will tell up to {per_request} more then."
            )
    else:
        words.append(
            "That was our last round: other volunteers can still find your request on the board."
        )
    return " ".join(words)


# --- the one-click links ------------------------------------------------------


def _serializer() -> URLSafeTimedSerializer:
    return URLSafeTimedSerializer(current_app.config["SECRET_KEY"], salt="kindred.ask")


def ask_token(ask: RequestAsk, action: str) -> str:
    """A signed link for the asked volunteer alone, naming the ask and the action."""
    return _serializer().dumps({"a": ask.id, "u": ask.volunteer_id, "do": action})


def waiting_ask(request_id: int, volunteer_id: int) -> RequestAsk | None:
    """The volunteer's ask about the request, if they have not answered it yet."""
    return db.session.scalar(
        select(RequestAsk).where(
            RequestAsk.request_id == request_id,
            RequestAsk.volunteer_id == volunteer_id,
            RequestAsk.outcome == AskOutcome.ASKED.value,
        )
    )


@dataclass
class AskLink:
    ask: RequestAsk
    action: str  # NOT_FOR_ME or PAUSE


def read_ask_token(token: str, viewer=None) -> AskLink:
    """The ask and action a link names, changing nothing.

    Raises NotFound, with words fit for the page, for an expired link, a
    tampered or foreign one (another purpose, an ask that is not the named
    volunteer's, or opened by another signed-in member).
    """
    max_age = timedelta(days=current_app.config["ASK_LINK_DAYS"]).total_seconds()
    try:
        payload = _serializer().loads(token, max_age=max_age)
    except SignatureExpired:
        raise NotFound(
            "This link has expired. You can still change how often we ask you on "
            "your Volunteer page."
        ) from None
    except BadSignature:
        payload = None
    invalid = NotFound("This link is not valid: it may have been changed or cut short.")
    if not isinstance(payload, dict):
        raise invalid
    ask_id, volunteer_id, action = payload.get("a"), payload.get("u"), payload.get("do")
    if type(ask_id) is not int or type(volunteer_id) is not int:
        raise invalid
    if action not in (NOT_FOR_ME, PAUSE):
        raise invalid
    ask = db.session.get(RequestAsk, ask_id) if 0 < ask_id <= ID_MAX else None
    if ask is None or ask.volunteer_id != volunteer_id or ask.volunteer.is_deleted:
        raise invalid
    if getattr(viewer, "is_authenticated", False) and viewer.id != volunteer_id:
        raise NotFound("This link was sent to another member, so it does nothing for you.")
    return AskLink(ask, action)


def not_for_me(token: str, viewer=None) -> RequestAsk:
    """The volunteer's "not for me": recorded on the ask (it lowers their place
    for similar requests). Idempotent. Flushes."""
    link = _read_for(token, NOT_FOR_ME, viewer)
    if link.ask.outcome == AskOutcome.ASKED:
        link.ask.outcome, link.ask.outcome_at = AskOutcome.NOT_FOR_ME.value, utcnow()
    db.session.flush()
    return link.ask


def pause_until(token: str, until: date | None, viewer=None) -> VolunteerOffer:
    """The volunteer's "pause me until": their offer goes on a break until
    ``until`` (see :func:`offers.pause_offer_until`), when :func:`end_breaks`
    lifts it. Raises HelpingError (field ``until``) for another day. Flushes."""
    link = _read_for(token, PAUSE, viewer)
    offer = offers.pause_offer_until(link.ask.volunteer_id, until)
    link.ask.outcome, link.ask.outcome_at = AskOutcome.PAUSED.value, utcnow()
    return offer


def _read_for(token: str, action: str, viewer) -> AskLink:
    link = read_ask_token(token, viewer)
    if link.action != action:
        raise NotFound("This link is not valid: it may have been changed or cut short.")
    return link


@jobs.commits
def end_breaks(today: date | None = None) -> int:
    """Lift the breaks taken until a day that has come. A periodic job; commits."""
    today = today or utcnow().date()
    offers = db.session.scalars(
        select(VolunteerOffer)
        .where(VolunteerOffer.on_break.is_(True), VolunteerOffer.break_until <= today)
        .options(joinedload(VolunteerOffer.user), selectinload(VolunteerOffer.skill_links))
        .limit(1000)
    ).all()
    for offer in offers:
        offer.on_break, offer.break_until = False, None
        refresh_rank(offer)
    return len(offers)
