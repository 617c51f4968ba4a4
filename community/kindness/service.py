"""Kindness: thanks, acts of help and pledges.

Every act of help (:class:`HelpAct`) is made here, and only in two ways: the
requester of an active match marks the help received and thanks the helper
(:func:`complete_match`; helping completes the match and the request, this
module records the act and the thanks), or a member thanks someone for help given outside
a match and that someone confirms it (:func:`thank_outside`, then
:func:`confirm_thanks`). Nobody can type an act in directly, so nobody can
invent kindness. Each new act keeps the helper's pending pledges and queues
the ripples job (:func:`community.kindness.jobs.record_new_acts`).

Privacy is :mod:`community.kindness.privacy`, the wording of names and chains
:mod:`community.kindness.wording`, what the pages read
:mod:`community.kindness.reading`.

Functions flush, never commit; errors are :class:`KindnessError` (an
:class:`~community.errors.Invalid`) or :class:`~community.errors.NotFound` for
what is not the member's to see.
"""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import delete, exists, select, update
from sqlalchemy.orm import joinedload

from community import blocks, jobs, trust
from community.db import db, utcnow
from community.errors import Invalid, NotFound
from community.helping import matches
from community.helping.models import Match
from community.helping.requests import require_verified
from community.kindness.jobs import record_new_acts
from community.kindness.models import HelpAct, Pledge, Thanks, ThanksStatus
from community.notifications.service import notify
from community.text import clean_text

BODY_MIN_WORDS, BODY_MIN_CHARS, BODY_MAX = 3, 15, 2000
REPLY_MAX = 2000
EXCERPT = 120


class KindnessError(Invalid):
    """A rule of thanks, acts of help or pledges was broken (``field`` names
    the form field at fault, if any)."""


# --- checks -----------------------------------------------------------------


def check_thanks_body(body: str | None) -> str:
    """The thank-you, trimmed; at least a sentence, at most BODY_MAX characters."""
    body = clean_text(body).strip()
    if not body:
        raise KindnessError("Write your thank-you: a sentence or two.", "body")
    if len(body.split()) < BODY_MIN_WORDS or len(body) < BODY_MIN_CHARS:
        raise KindnessError("Say a little more: at least a sentence about how they helped.", "body")
    if len(body) > BODY_MAX:
        raise KindnessError(f"Keep it to at most {BODY_MAX:,} characters.", "body")
    return body


def _excerpt(text: str) -> str:
    text = " ".join(text.split())
    return text if len(text) <= EXCERPT else text[: EXCERPT - 1].rstrip() + "…"


# --- acts of help -----------------------------------------------------------


def _record_act(helper_id: int, helped_id: int, at: datetime) -> HelpAct:
    """The one place an act of help is made: keep the helper's pledges, queue
    the ripples job (after commit)."""
    act = HelpAct(helper_id=helper_id, helped_id=helped_id, at=at)
    db.session.add(act)
    db.session.flush()
    _keep_pledges(helper_id, helped_id, act)
    jobs.enqueue(record_new_acts)
    return act


def _keep_pledges(helper_id: int, helped_id: int, act: HelpAct) -> None:
    """A pledge is kept the first time its maker helps someone afterwards,
    someone other than the member they thanked when pledging."""
    thanked = select(Thanks.helper_id).where(Thanks.id == Pledge.thanks_id).scalar_subquery()
    db.session.execute(
        update(Pledge)
        .where(
            Pledge.user_id == helper_id,
            Pledge.kept_at.is_(None),
            Pledge.created_at < act.at,
            thanked != helped_id,
        )
        .values(kept_at=act.at, kept_act_id=act.id)
        .execution_options(synchronize_session=False)
    )


def _check_links(user, text: str, field: str) -> None:
    """A link the member's trust level does not allow yet is refused on its field."""
    refused = trust.link_refusal(user, text)
    if refused:
        raise KindnessError(refused, field)


def _make_pledge(user_id: int, thanks: Thanks) -> None:
    db.session.add(Pledge(user_id=user_id, thanks_id=thanks.id, created_at=thanks.created_at))


# --- completing a match -----------------------------------------------------


def complete_match(
    requester, match: Match, body: str, *, keep_private: bool = False, pledge: bool = False
) -> Thanks:
    """The requester of an active match marks the help received and thanks the
    helper. Flushes.

    Helping completes the match (and its request, when no active match is
    left on it): :func:`community.helping.matches.complete_match`. Then this
    records one act (helper -> requester, now), a confirmed thank-you and a
    pledge if asked, and tells the helper. Raises NotFound for anyone but the
    requester, NotAllowed for a match that is not active, KindnessError for
    a thank-you too short.
    """
    matches.check_completable(requester, match)
    body = check_thanks_body(body)
    _check_links(requester, body, "body")
    now = matches.complete_match(requester, match)
    act = _record_act(match.helper_id, match.requester_id, now)
    thanks = Thanks(
        author_id=match.requester_id,
        helper_id=match.helper_id,
        match_id=match.id,
        act_id=act.id,
        body=body,
        status=ThanksStatus.CONFIRMED.value,
        author_private=bool(keep_private),
        created_at=now,
        confirmed_at=now,
    )
    db.session.add(thanks)
    db.session.flush()
    if pledge:
        _make_pledge(requester.id, thanks)
    notify(
        match.helper,
        "thanks_received",
        {
            "thanks_id": thanks.id,
            "match_id": match.id,
            "name": requester.display_name,
            "title": match.request.title,
            "excerpt": _excerpt(body),
        },
    )
    return thanks


# --- help outside a match ---------------------------------------------------


def thank_outside(
    author, helper, body: str, *, keep_private: bool = False, pledge: bool = False
) -> Thanks:
    """ "X helped me": a pending thank-you that becomes an act of help only when
    X confirms it. Flushes; tells X.

    Raises NotFound for a deleted or blocked member, KindnessError for
    yourself, a thank-you already waiting for them, or a body too short.
    """
    require_verified(author)
    if helper is None or helper.is_deleted or blocks.is_blocked_between(author.id, helper.id):
        raise NotFound()
    if helper.id == author.id:
        raise KindnessError("You cannot thank yourself, however kind you were.")
    body = check_thanks_body(body)
    _check_links(author, body, "body")
    waiting = db.session.scalar(
        select(
            exists().where(
                Thanks.author_id == author.id,
                Thanks.helper_id == helper.id,
                Thanks.status == ThanksStatus.PENDING,
            )
        )
    )
    if waiting:
        raise KindnessError(
            f"Your thank-you to {helper.display_name} is already waiting for them to confirm it."
        )
    now = utcnow()
    thanks = Thanks(
        author_id=author.id,
        helper_id=helper.id,
        body=body,
        status=ThanksStatus.PENDING.value,
        author_private=bool(keep_private),
        created_at=now,
    )
    db.session.add(thanks)
    db.session.flush()
    if pledge:
        _make_pledge(author.id, thanks)
    notify(
        helper,
        "thanks_to_confirm",
        {"thanks_id": thanks.id, "name": author.display_name, "excerpt": _excerpt(body)},
    )
    return thanks


def _claim_pending(helper, thanks: Thanks, status: ThanksStatus, now: datetime) -> None:
    if thanks.helper_id != getattr(helper, "id", None):
        raise NotFound()
    claimed = db.session.execute(
        update(Thanks)
        .where(Thanks.id == thanks.id, Thanks.status == ThanksStatus.PENDING)
        .values(status=status.value, confirmed_at=now if status is ThanksStatus.CONFIRMED else None)
        .execution_options(synchronize_session=False)
    )
    if claimed.rowcount != 1:
        raise KindnessError("This thank-you has already been answered.")
    db.session.refresh(thanks)


def confirm_thanks(helper, thanks: Thanks) -> HelpAct:
    """The helper confirms they helped: the act of help is recorded now. Flushes."""
    if thanks.helper_id == getattr(helper, "id", None) and blocks.is_blocked_between(
        thanks.author_id, thanks.helper_id
    ):
        raise NotFound()
    now = utcnow()
    _claim_pending(helper, thanks, ThanksStatus.CONFIRMED, now)
    act = _record_act(thanks.helper_id, thanks.author_id, now)
    thanks.act_id = act.id
    db.session.flush()
    notify(thanks.author, "thanks_confirmed", {"name": helper.display_name, "user_id": helper.id})
    return act


def decline_thanks(helper, thanks: Thanks) -> None:
    """The helper says it was not them: no act; a pledge made with it is dropped."""
    _claim_pending(helper, thanks, ThanksStatus.DECLINED, utcnow())
    db.session.execute(delete(Pledge).where(Pledge.thanks_id == thanks.id))


# --- replies and privacy ----------------------------------------------------


def access_thanks(user, thanks_id: int) -> Thanks:
    """The thank-you, if ``user`` wrote it or received it; NotFound otherwise."""
    thanks = db.session.get(Thanks, thanks_id)
    user_id = getattr(user, "id", None)
    if thanks is None or user_id is None or user_id not in (thanks.author_id, thanks.helper_id):
        raise NotFound()
    return thanks


def reply_to_thanks(helper, thanks: Thanks, text: str) -> None:
    """The helper answers a confirmed thank-you, once. Flushes."""
    if thanks.helper_id != getattr(helper, "id", None):
        raise NotFound()
    if thanks.status != ThanksStatus.CONFIRMED:
        raise KindnessError("Confirm this thank-you before replying to it.")
    if thanks.reply:
        raise KindnessError("You have already replied to this thank-you.")
    text = clean_text(text).strip()
    if not text:
        raise KindnessError("Write your reply.", "reply")
    if len(text) > REPLY_MAX:
        raise KindnessError(f"Keep it to at most {REPLY_MAX:,} characters.", "reply")
    _check_links(helper, text, "reply")
    thanks.reply, thanks.replied_at = text, utcnow()
    db.session.flush()
    notify(
        thanks.author,
        "thanks_replied",
        {"name": helper.display_name, "user_id": helper.id, "excerpt": _excerpt(text)},
    )


def set_thanks_private(user, thanks: Thanks, private: bool) -> None:
    """Either side keeps the thank-you off public pages (or shows it again)."""
    if user.id == thanks.author_id:
        thanks.author_private = bool(private)
    elif user.id == thanks.helper_id:
        thanks.helper_private = bool(private)
    else:
        raise NotFound()
    db.session.flush()


# --- reading ----------------------------------------------------------------


def thanks_for_match(match_id: int) -> Thanks | None:
    return db.session.scalar(select(Thanks).where(Thanks.match_id == match_id))


def public_thanks_of(helper_id: int, limit: int = 20) -> list[Thanks]:
    """Thank-yous the helper received that both sides let show, newest first."""
    return list(
        db.session.scalars(
            select(Thanks)
            .where(
                Thanks.helper_id == helper_id,
                Thanks.status == ThanksStatus.CONFIRMED,
                Thanks.author_private.is_(False),
                Thanks.helper_private.is_(False),
            )
            .order_by(Thanks.created_at.desc(), Thanks.id.desc())
            .limit(limit)
            .options(joinedload(Thanks.author))
        )
    )


def pending_thanks_for(helper_id: int) -> list[Thanks]:
    """Thank-yous waiting for ``helper_id`` to confirm, oldest first."""
    return list(
        db.session.scalars(
            select(Thanks)
            .where(Thanks.helper_id == helper_id, Thanks.status == ThanksStatus.PENDING)
            .order_by(Thanks.created_at, Thanks.id)
            .options(joinedload(Thanks.author))
        )
    )


def pledges_of(user_id: int) -> tuple[int, int]:
    """(pledges made, pledges kept) by the member."""
    pledges = db.session.execute(select(Pledge.kept_at).where(Pledge.user_id == user_id)).all()
    return len(pledges), sum(1 for (kept_at,) in pledges if kept_at is not None)
