"""Help requests: posting, editing, the lifecycle, expiry, and the board.

Lifecycle (``RequestStatus``)::

    open --(every helper place filled)--> matched --(a match cancelled)--> open
    open | matched --(requester: "I got the help")--> completed
    open | matched --(requester closes)--> closed --(requester reopens)--> open
    open --(no activity for REQUEST_EXPIRY_DAYS)--> expired --(keep it open)--> open

A reminder with a one-click "keep it open" link goes out
REQUEST_REMINDER_DAYS before expiry. Functions flush, never commit.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime, timedelta

from flask import current_app
from itsdangerous import BadSignature, URLSafeTimedSerializer
from sqlalchemy import exists, func, select, update
from sqlalchemy.orm import joinedload, selectinload

from community import jobs, trust
from community.db import ID_MAX, db, utcnow
from community.errors import RateLimited
from community.helping import asks, search
from community.helping.errors import HelpingError, NotAllowed, NotFound
from community.helping.models import (
    Answer,
    HelpFormat,
    HelpRequest,
    Match,
    MatchStatus,
    RequestStatus,
    request_skills,
)
from community.limits import record_act
from community.moderation.models import HiddenItem
from community.notifications.service import notify
from community.profiles.models import Genre, Profile, Skill

TITLE_MIN, TITLE_MAX = 5, 120
DETAILS_MIN, DETAILS_MAX = 20, 5000
EFFORT_MAX = 100
SKILLS_MAX = 3
HELPERS_MAX = 5
PER_PAGE = 20
VISIBLE_TO_ALL = {RequestStatus.OPEN, RequestStatus.MATCHED, RequestStatus.COMPLETED}


@dataclass
class RequestInput:
    title: str
    details: str
    skill_ids: list[int]
    genre_id: int | None
    format: str
    effort: str
    deadline: date | None
    helpers_wanted: int


def require_verified(user) -> None:
    if not user.is_verified:
        raise NotAllowed(
            "Please confirm your email address first: the link is in the email we sent you."
        )


def _clean(data: RequestInput, *, places_taken: int = 0) -> RequestInput:
    """Check every field; raise HelpingError naming the first field at fault."""
    title = " ".join((data.title or "").split())
    details = (data.details or "").replace("\r\n", "\n").strip()
    effort = " ".join((data.effort or "").split())
    if not TITLE_MIN <= len(title) <= TITLE_MAX:
        raise HelpingError(
            f"Give your request a title of {TITLE_MIN} to {TITLE_MAX} characters.", "title"
        )
    if not DETAILS_MIN <= len(details) <= DETAILS_MAX:
        raise HelpingError(
            f"Tell volunteers what you need in {DETAILS_MIN} to {DETAILS_MAX:,} characters.",
            "details",
        )
    skill_ids = list(dict.fromkeys(data.skill_ids or []))
    if not 1 <= len(skill_ids) <= SKILLS_MAX:
        raise HelpingError(f"Choose 1 to {SKILLS_MAX} kinds of help.", "skills")
    found = db.session.scalars(select(Skill.id).where(Skill.id.in_(skill_ids))).all()
    if len(found) != len(skill_ids):
        raise HelpingError("Choose from the list.", "skills")
    if data.genre_id is not None and db.session.get(Genre, data.genre_id) is None:
        raise HelpingError("Choose from the list.", "genre")
    if data.format not in {f.value for f in HelpFormat}:
        raise HelpingError("Choose how you would like the help.", "format")
    if len(effort) > EFFORT_MAX:
        raise HelpingError(f"Use at most {EFFORT_MAX} characters.", "effort")
    today = utcnow().date()
    if data.deadline is not None and not today <= data.deadline <= today + timedelta(days=730):
        raise HelpingError("Choose a date from today to two years ahead, or none.", "deadline")
    if not 1 <= (data.helpers_wanted or 0) <= HELPERS_MAX:
        raise HelpingError(f"Choose 1 to {HELPERS_MAX} helpers.", "helpers_wanted")
    if data.helpers_wanted < places_taken:
        raise HelpingError(
            f"{places_taken} helpers are already matched: you cannot ask for fewer.",
            "helpers_wanted",
        )
    return RequestInput(
        title,
        details,
        skill_ids,
        data.genre_id,
        data.format,
        effort,
        data.deadline,
        data.helpers_wanted,
    )


def post_request(
    user, data: RequestInput, *, max_open: int | None = None, per_day: int | None = None
) -> HelpRequest:
    """Post a request for help. Only verified members may. Flushes.

    ``max_open``: refused while the member has that many open requests.
    ``per_day``: refused past that many posts a day, counted as acts (posting
    and closing does not give a post back). The site passes its settings
    (MAX_OPEN_REQUESTS, REQUESTS_PER_DAY); None is no limit (seeding, tests).
    """
    require_verified(user)
    data = _clean(data)
    refused = trust.refusal(user, "request")
    if refused:
        raise NotAllowed(refused)
    _check_links(user, data)
    _check_open_requests(user, max_open)
    if per_day is not None:
        try:
            record_act(user.id, "post_request", per_day, "day")
        except RateLimited:
            raise HelpingError(
                "You have asked for help many times today. Please come back tomorrow."
            ) from None
    now = utcnow()
    request = HelpRequest(
        requester_id=user.id,
        title=data.title,
        details=data.details,
        genre_id=data.genre_id,
        format=data.format,
        effort=data.effort,
        deadline=data.deadline,
        helpers_wanted=data.helpers_wanted,
        created_at=now,
        updated_at=now,
        last_activity_at=now,
    )
    request.skills = list(db.session.scalars(select(Skill).where(Skill.id.in_(data.skill_ids))))
    db.session.add(request)
    db.session.flush()
    search.index_request(request.id, request.title, request.details)
    asks.schedule_first_round(request)
    return request


def _check_open_requests(user, max_open: int | None) -> None:
    if max_open is None:
        return
    open_now = db.session.scalar(
        select(func.count())
        .select_from(HelpRequest)
        .where(HelpRequest.requester_id == user.id, HelpRequest.status == RequestStatus.OPEN)
    )
    if open_now >= max_open:
        raise NotAllowed(
            f"You have {open_now} open requests. Close or complete one before asking for "
            "more: volunteers answer a few clear requests best."
        )


def check_editable(user, request: HelpRequest) -> None:
    """Raise NotAllowed unless ``user`` may edit ``request`` now (the edit page asks first)."""
    _require_owner(user, request)
    if request.status in (RequestStatus.COMPLETED, RequestStatus.CLOSED, RequestStatus.EXPIRED):
        raise NotAllowed("This request has ended; reopen it to change it.")


def edit_request(user, request: HelpRequest, data: RequestInput) -> HelpRequest:
    """Change a request. Only its requester, and not once it has ended."""
    check_editable(user, request)
    data = _clean(data, places_taken=request.places_taken)
    _check_links(user, data, before=request)
    request.title, request.details = data.title, data.details
    request.genre_id, request.format, request.effort = data.genre_id, data.format, data.effort
    request.deadline, request.helpers_wanted = data.deadline, data.helpers_wanted
    request.skills = list(db.session.scalars(select(Skill).where(Skill.id.in_(data.skill_ids))))
    _update_fill_status(request)
    touch(request)
    search.index_request(request.id, request.title, request.details)
    return request


def _check_links(user, data: RequestInput, before: HelpRequest | None = None) -> None:
    """A link the member's trust level does not allow yet is refused on its
    field (on an edit, the links the request already had may stay)."""
    for field in ("title", "details", "effort"):
        was = "" if before is None else getattr(before, field) or ""
        refused = trust.link_refusal(user, getattr(data, field), before=was)
        if refused:
            raise HelpingError(refused, field)


def _require_owner(user, request: HelpRequest) -> None:
    if request.requester_id != user.id:
        raise NotAllowed("Only the member who asked can do that.")


def _update_fill_status(request: HelpRequest) -> None:
    if request.status == RequestStatus.OPEN and request.places_left <= 0:
        request.status = RequestStatus.MATCHED.value
    elif request.status == RequestStatus.MATCHED and request.places_left > 0:
        request.status = RequestStatus.OPEN.value


def touch(request: HelpRequest) -> None:
    """Something happened on the request: the expiry clock starts again."""
    now = utcnow()
    request.last_activity_at = now
    request.updated_at = now
    request.reminder_sent_at = None


def close_request(user, request: HelpRequest) -> None:
    """The requester no longer needs help. Matches already made carry on."""
    _require_owner(user, request)
    if request.status not in (RequestStatus.OPEN, RequestStatus.MATCHED):
        raise NotAllowed("This request has already ended.")
    request.status = RequestStatus.CLOSED.value
    request.ended_at = utcnow()
    search.unindex_request(request.id)


def reopen_request(user, request: HelpRequest, *, max_open: int | None = None) -> None:
    """Open a closed or expired request again (``max_open`` as in post_request)."""
    _require_owner(user, request)
    require_verified(user)
    if request.status not in (RequestStatus.CLOSED, RequestStatus.EXPIRED):
        raise NotAllowed("Only a closed or expired request can be reopened.")
    _check_open_requests(user, max_open)
    request.status = RequestStatus.OPEN.value
    request.ended_at = None
    _update_fill_status(request)
    touch(request)
    search.index_request(request.id, request.title, request.details)


def complete_request(user, request: HelpRequest) -> None:
    """The requester got the help: the request completes.

    Help received through an active match is marked on the match page, with
    a thank-you (:func:`community.helping.matches.complete_match`, called by
    :func:`community.kindness.service.complete_match`), so a request
    with active matches is refused here, naming the match pages. One whose
    matches all ended (at least one completed) may be marked done.
    """
    _require_owner(user, request)
    if request.status not in (RequestStatus.OPEN, RequestStatus.MATCHED):
        raise NotAllowed("This request has already ended.")
    on_request = db.session.scalars(
        select(Match).where(Match.request_id == request.id).order_by(Match.id)
    ).all()
    active = [match for match in on_request if match.status == MatchStatus.ACTIVE]
    if active:
        pages = ", ".join(f"{match.helper.display_name} (/matches/{match.id})" for match in active)
        raise NotAllowed(
            "Thank your helper first: mark the help received on the match page of " + pages + "."
        )
    if not any(match.status == MatchStatus.COMPLETED for match in on_request):
        raise NotAllowed("Accept a volunteer's offer first: there is nobody to thank yet.")
    request.status, request.ended_at = RequestStatus.COMPLETED.value, utcnow()
    search.unindex_request(request.id)


def complete_if_done(request: HelpRequest, now: datetime) -> None:
    """A matched request whose last active match completed is completed (and
    leaves the search index). Called by
    :func:`community.helping.matches.complete_match`."""
    if request.status != RequestStatus.MATCHED:
        return
    still_active = db.session.scalar(
        select(exists().where(Match.request_id == request.id, Match.status == MatchStatus.ACTIVE))
    )
    if not still_active:
        request.status, request.ended_at = RequestStatus.COMPLETED.value, now
        search.unindex_request(request.id)


# --- access -----------------------------------------------------------------


def is_participant(user, request: HelpRequest) -> bool:
    """The requester, or a member with an answer or invitation on the request."""
    if user is None or not getattr(user, "is_authenticated", False):
        return False
    if request.requester_id == user.id:
        return True
    return bool(
        db.session.scalar(
            select(exists().where(Answer.request_id == request.id, Answer.volunteer_id == user.id))
        )
    )


def access_request(user, request_id: int) -> HelpRequest:
    """The request, if ``user`` may see it; NotFound otherwise (as for a missing one).

    Open, matched and completed requests are seen by every signed-in member;
    closed and expired ones only by their participants and admins.
    """
    request = db.session.get(
        HelpRequest,
        request_id,
        options=[
            joinedload(HelpRequest.requester),
            selectinload(HelpRequest.skills),
            joinedload(HelpRequest.genre),
        ],
    )
    if request is None:
        raise NotFound()
    if request.status in VISIBLE_TO_ALL or getattr(user, "is_admin", False):
        return request
    if is_participant(user, request):
        return request
    raise NotFound()


def requests_of(user_id: int) -> list[HelpRequest]:
    """Every request the member has posted, newest first, for their own list."""
    return list(
        db.session.scalars(
            select(HelpRequest)
            .where(HelpRequest.requester_id == user_id)
            .order_by(HelpRequest.created_at.desc(), HelpRequest.id.desc())
            .options(joinedload(HelpRequest.genre), selectinload(HelpRequest.skills))
        ).unique()
    )


# --- expiry -----------------------------------------------------------------


def _keep_open_serializer() -> URLSafeTimedSerializer:
    return URLSafeTimedSerializer(current_app.config["SECRET_KEY"], salt="kindred.keep-open")


def keep_open_token(request: HelpRequest) -> str:
    """A signed link for the requester alone: it names the request and them,
    and stops working after KEEP_OPEN_LINK_DAYS."""
    return _keep_open_serializer().dumps({"r": request.id, "u": request.requester_id})


def read_keep_open_token(user, token: str) -> HelpRequest:
    """The request a "keep it open" link names, changing nothing.

    Raises NotFound (the same answer for every case, so a link tells a
    stranger nothing, not even the title) unless the link is genuine, not
    expired, made for ``user`` and the request is still theirs.
    """
    max_age = timedelta(days=current_app.config["KEEP_OPEN_LINK_DAYS"]).total_seconds()
    try:
        payload = _keep_open_serializer().loads(token, max_age=max_age)
    except BadSignature:  # SignatureExpired included
        raise NotFound("This link is not valid.") from None
    if not isinstance(payload, dict):
        raise NotFound("This link is not valid.")
    request_id, requester_id = payload.get("r"), payload.get("u")
    if type(request_id) is not int or type(requester_id) is not int:
        raise NotFound("This link is not valid.")
    if user is None or requester_id != user.id:
        raise NotFound("This link is not valid.")
    request = db.session.get(HelpRequest, request_id) if 0 < request_id <= ID_MAX else None
    if request is None or request.requester_id != user.id:
        raise NotFound("This link is not valid.")
    return request


def keep_open(user, token: str) -> HelpRequest:
    """The one-click "keep it open" from the reminder email. Idempotent.

    Restarts the expiry clock of an open request, and reopens one that has
    expired meanwhile. Only the requester the link was made for may use it
    (NotFound for anyone else, and for a bad or expired link), and only once
    their email is verified (NotAllowed), as for posting.
    """
    request = read_keep_open_token(user, token)
    require_verified(user)
    if request.status == RequestStatus.EXPIRED:
        request.status, request.ended_at = RequestStatus.OPEN.value, None
        _update_fill_status(request)
        search.index_request(request.id, request.title, request.details)
    if request.status in (RequestStatus.OPEN, RequestStatus.MATCHED):
        touch(request)
    return request


@jobs.commits
def send_expiry_reminders() -> int:
    """Remind requesters whose open request will expire soon. A periodic job.

    One reminder per quiet spell: ``reminder_sent_at`` is cleared by any
    activity. Commits. Returns how many reminders were sent.
    """
    config = current_app.config
    now = utcnow()
    expiry = timedelta(days=config["REQUEST_EXPIRY_DAYS"])
    remind_at = expiry - timedelta(days=config["REQUEST_REMINDER_DAYS"])
    due = db.session.scalars(
        select(HelpRequest)
        .where(
            HelpRequest.status == RequestStatus.OPEN,
            HelpRequest.last_activity_at <= now - remind_at,
            HelpRequest.last_activity_at > now - expiry,
            HelpRequest.reminder_sent_at.is_(None),
        )
        .options(joinedload(HelpRequest.requester))
        .limit(1000)
    ).all()
    for request in due:
        request.reminder_sent_at = now
        expires_on = (request.last_activity_at + expiry).date()
        notify(
            request.requester,
            "request_expiring",
            {
                "request_id": request.id,
                "title": request.title,
                "expires_on": f"{expires_on:%-d %B}",
                "token": keep_open_token(request),
            },
        )
    return len(due)


@jobs.commits
def expire_requests() -> int:
    """Close open requests with no activity for REQUEST_EXPIRY_DAYS. A periodic job."""
    now = utcnow()
    expiry = timedelta(days=current_app.config["REQUEST_EXPIRY_DAYS"])
    still_stale = (
        HelpRequest.status == RequestStatus.OPEN,
        HelpRequest.last_activity_at <= now - expiry,
    )
    stale = db.session.scalars(
        select(HelpRequest)
        .where(*still_stale)
        .options(joinedload(HelpRequest.requester))
        .limit(1000)
    ).all()
    # One conditional UPDATE, not a write of what was read: a request matched,
    # answered or kept open since the SELECT (or while this waited for its row
    # lock) no longer qualifies, and is left alone.
    expired_ids = set()
    if stale:
        expired_ids = set(
            db.session.scalars(
                update(HelpRequest)
                .where(HelpRequest.id.in_([request.id for request in stale]), *still_stale)
                .values(status=RequestStatus.EXPIRED.value, ended_at=now)
                .returning(HelpRequest.id)
                .execution_options(synchronize_session="fetch")
            )
        )
    for request in stale:
        if request.id not in expired_ids:
            continue
        search.unindex_request(request.id)
        notify(
            request.requester,
            "request_expired",
            {
                "request_id": request.id,
                "title": request.title,
                "token": keep_open_token(request),
            },
        )
    return len(expired_ids)


# --- the board --------------------------------------------------------------


@dataclass
class BoardFilters:
    q: str = ""
    skill: str = ""  # a skill slug
    genre: str = ""  # a genre slug
    format: str = ""


@dataclass
class BoardPage:
    items: list[HelpRequest]
    page: int
    has_prev: bool
    has_next: bool


def board_page(filters: BoardFilters, page: int = 1, per_page: int = PER_PAGE) -> BoardPage:
    """One page of open requests, newest first, matching ``filters``.

    The search (if any) picks the match set first; filters and joins apply
    to it after. Pages are counted by fetching one row more than shown, so
    no COUNT(*) over the whole board runs on every view. A bounded number of
    queries whatever the page size.
    """
    page = max(page, 1)
    # A request a moderator hid leaves the board (its page says it was removed).
    hidden = select(HiddenItem.item_id).where(HiddenItem.item_type == "request")
    statement = select(HelpRequest).where(
        HelpRequest.status == RequestStatus.OPEN, HelpRequest.id.not_in(hidden)
    )
    found = search.among_matches(HelpRequest.id, filters.q) if filters.q else None
    if found is not None:
        statement = statement.where(found)
    if filters.skill:
        skill_id = db.session.scalar(select(Skill.id).where(Skill.slug == filters.skill))
        statement = statement.where(
            exists().where(
                request_skills.c.request_id == HelpRequest.id,
                request_skills.c.skill_id == (skill_id or 0),
            )
        )
    if filters.genre:
        genre_id = db.session.scalar(select(Genre.id).where(Genre.slug == filters.genre))
        statement = statement.where(HelpRequest.genre_id == (genre_id or 0))
    if filters.format:
        statement = statement.where(HelpRequest.format == filters.format)
    statement = (
        statement.order_by(HelpRequest.created_at.desc(), HelpRequest.id.desc())
        .offset((page - 1) * per_page)
        .limit(per_page + 1)
        .options(
            joinedload(HelpRequest.requester),
            joinedload(HelpRequest.genre),
            selectinload(HelpRequest.skills),
        )
    )
    rows = list(db.session.scalars(statement).unique())
    return BoardPage(rows[:per_page], page, page > 1, len(rows) > per_page)


def requester_profiles(requests: list[HelpRequest]) -> dict[int, Profile]:
    """The requesters' profiles in one query, for summaries beside requests."""
    ids = {request.requester_id for request in requests}
    if not ids:
        return {}
    profiles = db.session.scalars(
        select(Profile).where(Profile.user_id.in_(ids)).options(selectinload(Profile.genres))
    )
    return {profile.user_id: profile for profile in profiles}
