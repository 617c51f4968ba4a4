"""Check-ins: nobody is left hanging in a match that has gone quiet.

An active match with no chat message for ``CHECK_IN_AFTER_DAYS`` gets one
check-in, to both members: "How is it going?", with three one-click answers
that need nothing but the signed link (no login):

* **"we're on it"** (:func:`snooze`): the next check-in moves a full period on;
* **"the help is done"**: for the requester, the way to the thank-you form of
  the match page; for the helper, "I finished my part" (:func:`finish_part`);
* **"it stalled"** (:func:`stall`): a kind cancel with an optional word. The
  match ends through the cancel path (:func:`community.helping.matches.end_stalled`:
  the place is given back, the request is open again) and is marked
  ``stalled``; the requester is shown the next best volunteers, as an expired
  invitation shows them (:mod:`community.helping.honest`).

At most ``CHECK_INS_MAX`` check-ins go out per match. Every chat message in
the match pushes the next one back a full period and answers one that waits
(:func:`community.chat.service._push_back_check_in`, one UPDATE by key), so
members who talk are never checked on.

The due time lives on the match (``check_in_due_at``, indexed), so the
periodic job (:func:`send_check_ins`, "check-ins") reads only what is due. A
check-in is claimed by one conditional UPDATE (still active, still due, still
the same count), so a job run twice, or by two schedulers, sends it once.
``check_in_open_at`` holds a sent check-in until either member answers or
writes: it is what "what's waiting for me" lists.

"I finished my part" (:func:`finish_part`) is the helper's, once at least one
check-in has gone out or the match is a period old: it is recorded once
(``helper_done_at``) and the requester gets one reminder to thank.

Functions flush; the job commits.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta

from flask import current_app, url_for
from itsdangerous import BadSignature, SignatureExpired, URLSafeTimedSerializer
from sqlalchemy import select, update
from sqlalchemy.orm import joinedload

from community import blocks, jobs
from community.accounts.models import User
from community.chat.service import conversation_id_of_match
from community.db import ID_MAX, db, utcnow
from community.helping import matches
from community.helping.errors import NotAllowed, NotFound
from community.helping.matching import Suggestion, suggest_volunteers
from community.helping.models import Match, MatchStatus
from community.notifications.service import notify
from community.urls import external_url

# How many due check-ins one run of the job takes; the next run (hourly) takes the rest.
BATCH = 500
# How many next best volunteers a stalled match's requester is shown.
NEXT_BEST = 3
ON_IT, DONE, STALLED = "on_it", "done", "stalled"
ACTIONS = (ON_IT, DONE, STALLED)
STALL_WORDS = "It stalled, and that is all right: the place is free again."


def period() -> timedelta:
    """How long a match may be quiet before it is checked on."""
    return timedelta(days=current_app.config["CHECK_IN_AFTER_DAYS"])


def _most() -> int:
    return current_app.config["CHECK_INS_MAX"]


# --- the signed links -----------------------------------------------------------


def _serializer() -> URLSafeTimedSerializer:
    return URLSafeTimedSerializer(current_app.config["SECRET_KEY"], salt="kindred.check-in")


def check_in_token(match: Match, user_id: int, action: str) -> str:
    """A signed link for one member of ``match`` alone, naming the answer."""
    return _serializer().dumps({"m": match.id, "u": user_id, "do": action})


def answer_urls(match: Match, user_id: int, *, external: bool = True) -> dict[str, str]:
    """The three answers' links for one member (absolute for emails)."""
    if external:
        return {
            action: external_url("helping.check_in", token=check_in_token(match, user_id, action))
            for action in ACTIONS
        }
    return {
        action: url_for("helping.check_in", token=check_in_token(match, user_id, action))
        for action in ACTIONS
    }


@dataclass
class CheckInLink:
    match: Match
    member: User  # the member the link was sent to
    action: str  # ON_IT, DONE or STALLED

    @property
    def is_helper(self) -> bool:
        return self.member.id == self.match.helper_id

    @property
    def other(self) -> User:
        return self.match.requester if self.is_helper else self.match.helper


INVALID = "This link is not valid: it may have been changed or cut short."


def read_check_in_token(token: str, viewer=None) -> CheckInLink:
    """The match, member and answer a link names, changing nothing.

    Raises NotFound, with words fit for the page, for an expired link, a
    tampered or foreign one (another purpose, a match the named member is not
    in, or opened by another signed-in member).
    """
    max_age = timedelta(days=current_app.config["CHECK_IN_LINK_DAYS"]).total_seconds()
    try:
        payload = _serializer().loads(token, max_age=max_age)
    except SignatureExpired:
        raise NotFound(
            "This link has expired. You can still answer on your match page, or write in your chat."
        ) from None
    except BadSignature:
        payload = None
    if not isinstance(payload, dict):
        raise NotFound(INVALID)
    match_id, user_id, action = payload.get("m"), payload.get("u"), payload.get("do")
    if type(match_id) is not int or type(user_id) is not int or action not in ACTIONS:
        raise NotFound(INVALID)
    match = db.session.get(Match, match_id) if 0 < match_id <= ID_MAX else None
    if match is None or user_id not in match.participant_ids():
        raise NotFound(INVALID)
    member = db.session.get(User, user_id)
    if member is None or member.is_deleted:
        raise NotFound(INVALID)
    if getattr(viewer, "is_authenticated", False) and viewer.id != user_id:
        raise NotFound("This link was sent to another member, so it does nothing for you.")
    return CheckInLink(match, member, action)


def _read_for(token: str, action: str, viewer) -> CheckInLink:
    link = read_check_in_token(token, viewer)
    if link.action != action:
        raise NotFound(INVALID)
    if link.match.status != MatchStatus.ACTIVE:
        raise NotAllowed("This match has already ended, so there is nothing to answer.")
    return link


# --- the answers -----------------------------------------------------------------


def _answered(match: Match, *, next_due: bool) -> None:
    """The open check-in is answered; the next one (if any are left) is a
    full period from now when ``next_due``, else none."""
    more = next_due and match.check_ins_sent < _most()
    match.check_in_open_at = None
    match.check_in_due_at = utcnow() + period() if more else None
    db.session.flush()


def snooze(token: str, viewer=None) -> Match:
    """ "We're on it": the next check-in moves a full period on (none when the
    last has been sent). Idempotent. Raises NotFound for a bad link,
    NotAllowed once the match has ended. Flushes."""
    link = _read_for(token, ON_IT, viewer)
    _answered(link.match, next_due=True)
    return link.match


def help_done(token: str, viewer=None) -> CheckInLink:
    """ "The help is done": the helper's is :func:`finish_part`; the requester's
    answers the check-in (the page then leads to the thank-you form)."""
    link = _read_for(token, DONE, viewer)
    if link.is_helper:
        finish_part(link.member, link.match, from_check_in=True)
    else:
        _answered(link.match, next_due=True)
    return link


@dataclass
class Stalled:
    match: Match
    member: User  # who said it stalled
    suggestions: list[Suggestion]  # the next best volunteers, for the requester


def stall(token: str, word: str | None, viewer=None) -> Stalled:
    """ "It stalled": the match ends kindly (see the module's docstring), with
    the member's word or a kind default, and the other member is told.
    Raises HelpingError (field ``reason``) for a word too long or with a link
    the member may not post yet. Flushes."""
    link = _read_for(token, STALLED, viewer)
    match, member = link.match, link.member
    word = matches.clean_reason(member, word, required=False)
    matches.end_stalled(member, match, word or STALL_WORDS)
    suggestions = suggest_volunteers(match.request, limit=NEXT_BEST)
    _tell_stalled(match, member, word, suggestions)
    return Stalled(match, member, suggestions)


def _tell_stalled(match: Match, by: User, word: str, suggestions: list[Suggestion]) -> None:
    """Tell the other member the match ended, kindly: the requester with the
    next best volunteers; both are asked for their closing words."""
    other = match.requester if by.id == match.helper_id else match.helper
    if blocks.is_blocked_between(by.id, other.id):
        return
    to_requester = other.id == match.requester_id
    names = ", ".join(s.volunteer.display_name for s in suggestions)
    notify(
        other,
        "match_stalled",
        {
            "match_id": match.id,
            "request_id": match.request_id,
            "title": match.request.title,
            "name": by.display_name,
            "next": (
                (f"Others who could help: {names}." if names else "Your request is open again.")
                if to_requester
                else "Thank you for the time you gave."
            ),
        },
        email_context={
            "other_name": by.display_name,
            "request_title": match.request.title,
            "word": word,
            "to_requester": to_requester,
            "others": [
                (
                    s.volunteer.display_name,
                    external_url("profiles.show", user_id=s.volunteer.id),
                )
                for s in suggestions
            ]
            if to_requester
            else [],
            "request_url": external_url("helping.show_request", request_id=match.request_id),
            "match_url": external_url("helping.show_match", match_id=match.id),
        },
    )


def can_finish_part(match: Match, user_id: int, now: datetime | None = None) -> bool:
    """Whether ``user_id`` may say "I finished my part" of ``match`` now: its
    helper, while it is active, not said yet, and once a check-in has gone out
    or the match is a check-in period old."""
    now = now or utcnow()
    return (
        user_id == match.helper_id
        and match.status == MatchStatus.ACTIVE
        and match.helper_done_at is None
        and (match.check_ins_sent > 0 or match.created_at <= now - period())
    )


def finish_part(helper, match: Match, *, from_check_in: bool = False) -> bool:
    """The helper says "I finished my part": recorded once, and the requester
    gets one reminder to mark the help received and thank them. No more
    check-ins: what waits now is the requester's thank-you. Returns whether
    this call recorded it (False when it was already said). Raises NotFound
    for anyone but the helper, NotAllowed for an ended match or too early.
    Flushes."""
    if match.helper_id != getattr(helper, "id", None):
        raise NotFound()
    if match.status != MatchStatus.ACTIVE:
        raise NotAllowed("This match has already ended.")
    if match.helper_done_at is not None:
        return False
    if not from_check_in and not can_finish_part(match, helper.id):
        days = current_app.config["CHECK_IN_AFTER_DAYS"]
        raise NotAllowed(
            f"You can say so once we have checked in with you both ({days} quiet days "
            "into the match). Until then, tell them in your chat."
        )
    now = utcnow()
    claimed = db.session.execute(
        update(Match)
        .where(Match.id == match.id, Match.helper_done_at.is_(None))
        .values(helper_done_at=now, check_in_due_at=None, check_in_open_at=None)
        .execution_options(synchronize_session=False)
    ).rowcount
    db.session.refresh(match)
    if claimed != 1:
        return False
    notify(
        match.requester,
        "helper_finished",
        {
            "match_id": match.id,
            "name": helper.display_name,
            "title": match.request.title,
        },
    )
    return True


# --- the job ----------------------------------------------------------------------


def _claim(match: Match, now: datetime) -> bool:
    """Take one due check-in: count it, set the next due time (or none after
    the last), mark it waiting for an answer; only if still active, due and
    not counted by another run."""
    sent = match.check_ins_sent + 1
    return (
        db.session.execute(
            update(Match)
            .where(
                Match.id == match.id,
                Match.status == MatchStatus.ACTIVE,
                Match.check_in_due_at.is_not(None),
                Match.check_in_due_at <= now,
                Match.check_ins_sent == match.check_ins_sent,
            )
            .values(
                check_ins_sent=sent,
                check_in_due_at=now + period() if sent < _most() else None,
                check_in_open_at=now,
            )
            .execution_options(synchronize_session=False)
        ).rowcount
        == 1
    )


def _ask(match: Match, round_number: int) -> None:
    conversation_id = conversation_id_of_match(match.id)
    for me, other, i_am_helper in (
        (match.helper, match.requester, True),
        (match.requester, match.helper, False),
    ):
        urls = answer_urls(match, me.id)
        notify(
            me,
            "check_in",
            {
                "match_id": match.id,
                "round": round_number,
                "name": other.display_name,
                "title": match.request.title,
            },
            email_context={
                "other_name": other.display_name,
                "request_title": match.request.title,
                "i_am_helper": i_am_helper,
                "on_it_url": urls[ON_IT],
                "done_url": urls[DONE],
                "stalled_url": urls[STALLED],
                "last": round_number >= _most(),
                "days": current_app.config["CHECK_IN_AFTER_DAYS"],
                "chat_url": (
                    external_url("chat.show", conversation_id=conversation_id)
                    if conversation_id
                    else None
                ),
                "match_url": external_url("helping.show_match", match_id=match.id),
            },
        )


@jobs.commits
def send_check_ins(now: datetime | None = None) -> int:
    """Find the matches whose check-in is due and hand them, a batch at a
    time, to a job (:func:`send_check_in_batch`) that claims and sends them.
    A periodic job; commits. Returns how many matches were handed out.

    Its run is one indexed read of the due times whatever the number of
    matches (and one UPDATE emptying those no longer needed: the match ended,
    or its last check-in went out); the sending, a notification and maybe an
    email to each member, happens in the job after this commits, on a worker
    with Redis, so the scheduler is never held by it. A batch whose job is
    lost keeps its due times and is found again by the next run; the claim
    makes a batch sent twice send once.
    """
    now = now or utcnow()
    due = db.session.execute(
        select(Match.id, Match.status, Match.check_ins_sent)
        .where(Match.check_in_due_at <= now)
        .order_by(Match.check_in_due_at)
        .limit(BATCH)
    ).all()
    needed = [
        match_id
        for match_id, status, sent in due
        if status == MatchStatus.ACTIVE and sent < _most()
    ]
    _clear(sorted({match_id for match_id, _, _ in due} - set(needed)))
    if needed:
        jobs.enqueue(send_check_in_batch, needed, now)
    return len(needed)


@jobs.commits
def send_check_in_batch(match_ids: list[int], now: datetime | None = None) -> int:
    """Check in with both members of each of ``match_ids`` that is still due:
    a job queued by :func:`send_check_ins`; commits. Returns how many matches
    were checked on. Safe to run twice: each check-in is claimed before it is
    sent."""
    now = now or utcnow()
    due = db.session.scalars(
        select(Match)
        .where(Match.id.in_(list(match_ids)))
        .order_by(Match.id)
        .options(
            joinedload(Match.request),
            joinedload(Match.requester),
            joinedload(Match.helper),
        )
    ).all()
    sent, unneeded = 0, []
    for match in due:
        # (A block ends the pair's matches: community.blocking.)
        if (
            match.status != MatchStatus.ACTIVE
            or match.check_ins_sent >= _most()
            or match.requester.is_deleted
            or match.helper.is_deleted
        ):
            unneeded.append(match.id)
            continue
        if not _claim(match, now):
            continue  # another run took it, or it is no longer due
        _ask(match, match.check_ins_sent + 1)
        sent += 1
    _clear(unneeded)
    return sent


def _clear(match_ids: list[int]) -> None:
    """No check-in is needed any more for these matches."""
    if not match_ids:
        return
    db.session.execute(
        update(Match)
        .where(Match.id.in_(match_ids))
        .values(check_in_due_at=None)
        .execution_options(synchronize_session=False)
    )
