"""Thanks back: helping goes both ways.

Once a match has ended (with thanks, a cancel or a stall), its helper may send
the requester one short thank-you note: for the trust, for the work they
shared. It is the two members' alone, shown on the match page to both, and
the requester is told (the "thanks_back" notification).

It is not a :class:`~community.kindness.models.Thanks` (which says "the helper
helped the author"): it records no act of help, keeps no pledge and never
reaches the ripples. One per match, sent from the ended match page.

Functions flush.
"""

from __future__ import annotations

from sqlalchemy import select
from sqlalchemy.exc import IntegrityError

from community import blocks, trust
from community.db import db, utcnow
from community.helping.errors import HelpingError, NotAllowed, NotFound
from community.helping.models import Match, MatchStatus, MatchThanksBack
from community.notifications.service import notify
from community.text import clean_text

BODY_MAX = 500
EXCERPT = 120
ALREADY = "You have already thanked them for this match. Thank you!"


def thanks_back_of(match: Match) -> MatchThanksBack | None:
    """The helper's note to the requester on ``match``, if sent."""
    return db.session.scalar(select(MatchThanksBack).where(MatchThanksBack.match_id == match.id))


def may_thank_back(match: Match, user_id: int) -> bool:
    """Whether the form is offered to ``user_id`` on ``match`` now: its helper,
    once the match has ended, while the pair is not blocked and the requester
    still has an account (not whether the note was sent: see
    :func:`thanks_back_of`)."""
    return (
        user_id == match.helper_id
        and match.status != MatchStatus.ACTIVE
        and not match.requester.is_deleted
        and not blocks.is_blocked_between(match.helper_id, match.requester_id)
    )


def _excerpt(text: str) -> str:
    text = " ".join(text.split())
    return text if len(text) <= EXCERPT else text[: EXCERPT - 1].rstrip() + "…"


def thank_back(helper, match: Match, body: str | None) -> MatchThanksBack:
    """The helper's one thank-you note to the requester of the ended ``match``;
    the requester is told. Flushes.

    Raises NotFound for anyone but the helper, or when either of the pair has
    blocked the other; NotAllowed while the match is active, once sent, or
    when the requester has left; HelpingError (field ``body``) for an empty,
    too long or link-carrying note.
    """
    if getattr(helper, "id", None) != match.helper_id:
        raise NotFound()
    if blocks.is_blocked_between(match.helper_id, match.requester_id):
        raise NotFound()
    requester = match.requester
    if match.status == MatchStatus.ACTIVE:
        raise NotAllowed(f"You can thank {requester.display_name} once the match has ended.")
    if thanks_back_of(match) is not None:
        raise NotAllowed(ALREADY)
    if requester.is_deleted:
        raise NotAllowed("They have left Kindred, so your note would reach nobody.")
    body = clean_text(body or "").strip()
    if not body:
        raise HelpingError("Write your thank-you: a sentence or two.", "body")
    if len(body) > BODY_MAX:
        raise HelpingError(f"Keep it short: at most {BODY_MAX} characters.", "body")
    refused = trust.link_refusal(helper, body)
    if refused:
        raise HelpingError(refused, "body")
    note = MatchThanksBack(match_id=match.id, helper_id=helper.id, body=body, created_at=utcnow())
    try:
        with db.session.begin_nested():
            db.session.add(note)
    except IntegrityError:  # the same helper, from another tab, at the same moment
        raise NotAllowed(ALREADY) from None
    notify(
        requester,
        "thanks_back",
        {
            "match_id": match.id,
            "name": helper.display_name,
            "title": match.request.title,
            "excerpt": _excerpt(body),
        },
    )
    return note
