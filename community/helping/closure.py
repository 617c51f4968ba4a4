"""Closure with a word: one private sentence from each side about how a match went.

When a match ends (thanks, cancel, stall), each of its two members is asked,
on the match page and in the email that tells them it ended, for one
sentence about how it went. It is private: moderators read it (on a member's
record, :func:`words_about`) and so may the rank, never the other member nor
anyone else. One per member and match, written within
``CLOSURE_WORD_DAYS`` of the end (after that nobody is asked any more);
"what's waiting for me" lists the ones not written yet.

Functions flush.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta

from flask import current_app
from sqlalchemy import exists, select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import aliased, joinedload

from community import trust
from community.accounts.models import User
from community.db import db, utcnow
from community.helping.errors import HelpingError, NotAllowed, NotFound
from community.helping.models import Match, MatchClosure, MatchStatus
from community.text import clean_text

WORD_MAX = 300


def window() -> timedelta:
    return timedelta(days=current_app.config["CLOSURE_WORD_DAYS"])


def closure_of(match: Match, user_id: int) -> MatchClosure | None:
    """The member's own closing words on ``match``, if written."""
    return db.session.scalar(
        select(MatchClosure).where(
            MatchClosure.match_id == match.id, MatchClosure.user_id == user_id
        )
    )


def may_write(match: Match, user_id: int, now: datetime | None = None) -> bool:
    """Whether the member is asked for closing words on ``match`` now (not
    whether they wrote them: see :func:`closure_of`)."""
    now = now or utcnow()
    return (
        user_id in match.participant_ids()
        and match.status != MatchStatus.ACTIVE
        and match.ended_at is not None
        and match.ended_at > now - window()
    )


def write_closure(user, match: Match, body: str | None) -> MatchClosure:
    """Record ``user``'s private sentence about ``match``. Flushes.

    Raises NotFound for anyone not in the match, NotAllowed while it is
    active, after the window or once written, HelpingError (field ``body``)
    for an empty, too long or link-carrying sentence.
    """
    if getattr(user, "id", None) not in match.participant_ids():
        raise NotFound()
    if match.status == MatchStatus.ACTIVE:
        raise NotAllowed("You can say how it went once the match has ended.")
    if closure_of(match, user.id) is not None:
        raise NotAllowed("You have already said how it went. Thank you!")
    if not may_write(match, user.id):
        raise NotAllowed("This match ended too long ago to say how it went.")
    body = " ".join(clean_text(body or "").split())
    if not body:
        raise HelpingError("Write a sentence about how it went.", "body")
    if len(body) > WORD_MAX:
        raise HelpingError(f"One sentence is enough: at most {WORD_MAX} characters.", "body")
    refused = trust.link_refusal(user, body)
    if refused:
        raise HelpingError(refused, "body")
    closure = MatchClosure(match_id=match.id, user_id=user.id, body=body, created_at=utcnow())
    try:
        with db.session.begin_nested():
            db.session.add(closure)
    except IntegrityError:  # the same member, from another tab, at the same moment
        raise NotAllowed("You have already said how it went. Thank you!") from None
    return closure


@dataclass(frozen=True)
class ClosureWord:
    """Closing words about a match, for moderators."""

    closure: MatchClosure
    writer: User
    other: User
    match: Match

    @property
    def ending(self) -> str:
        if self.match.status == MatchStatus.COMPLETED:
            return "ended with thanks"
        if self.match.stalled:
            return "stalled"
        return "cancelled"


def words_about(user_id: int, limit: int = 50) -> list[ClosureWord]:
    """Closing words on the member's matches, by them and by the other side,
    newest first (for moderators only). One query."""
    writer = aliased(User)
    rows = db.session.execute(
        select(MatchClosure, writer, Match)
        .join(writer, writer.id == MatchClosure.user_id)
        .join(Match, Match.id == MatchClosure.match_id)
        .where((Match.requester_id == user_id) | (Match.helper_id == user_id))
        .order_by(MatchClosure.created_at.desc(), MatchClosure.id.desc())
        .limit(limit)
        .options(joinedload(Match.request), joinedload(Match.requester), joinedload(Match.helper))
    ).all()
    return [
        ClosureWord(
            closure=closure,
            writer=writer_,
            other=match.helper if writer_.id == match.requester_id else match.requester,
            match=match,
        )
        for closure, writer_, match in rows
    ]


def unwritten(user_id: int, now: datetime | None = None):
    """Conditions of the member's ended matches still waiting for their words
    (for "what's waiting for me")."""
    now = now or utcnow()
    return (
        (Match.requester_id == user_id) | (Match.helper_id == user_id),
        Match.status != MatchStatus.ACTIVE,
        Match.ended_at > now - window(),
        ~exists().where(MatchClosure.match_id == Match.id, MatchClosure.user_id == user_id),
    )
