"""Pledges lead somewhere: where a member who pledged to pay help forward could.

Right after pledging (the pledge's own page) and once more a week later if
the pledge is still open (:func:`nudge_open_pledges`, a periodic job sending
one ``pledge_nudge`` notification per pledge through the member's
preferences), the member is shown a few open requests they could help with.
They are chosen by the matching engine
(:func:`community.helping.matching.suggest_requests`): from the member's
volunteer offer when they have one, else from "I can offer" on their
profile, each with its reasons in words. The engine already leaves out the
member's own requests, closed ones, those of members they blocked or who
blocked them, and those of unverified or deleted members; requests a
moderator hid are left out here.

Keeping a pledge is unchanged: the next act of help the member gives
(:mod:`community.kindness.service`).

Functions flush, never commit; the job commits one pledge at a time.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta

from sqlalchemy import exists, select, update

from community import jobs, safety
from community.accounts.models import User
from community.db import db, utcnow
from community.errors import NotFound
from community.helping import matching, offers
from community.helping.models import Skill
from community.kindness.models import Pledge
from community.notifications.service import notify

SUGGESTIONS = 3
# The engine's list is cut to a handful after hidden requests are left out;
# this many are asked for so that a few hidden ones do not empty it.
ENGINE_LIMIT = 20
NUDGE_AFTER = timedelta(days=7)
# Pledges made longer ago than this before their nudge fell due (those made
# before nudges existed) are left alone: a nudge months late is no nudge.
NUDGE_WITHIN = timedelta(days=14)
NUDGE_BATCH = 500


@dataclass
class NextSteps:
    """What the pledge's page shows its maker."""

    pledge: Pledge
    suggestions: list[matching.Suggestion]
    has_offer: bool
    # "I can offer" on the profile: what a new volunteer offer is prefilled with.
    offered_skills: list[Skill]


def access_pledge(user, pledge_id: int) -> Pledge:
    """The member's own pledge; NotFound for anyone else's, or none."""
    pledge = db.session.get(Pledge, pledge_id)
    if pledge is None or pledge.user_id != getattr(user, "id", None):
        raise NotFound()
    return pledge


def pledge_for_thanks(thanks_id: int) -> Pledge | None:
    """The pledge made with a thank-you, if one was."""
    return db.session.scalar(select(Pledge).where(Pledge.thanks_id == thanks_id))


def suggestions_for(user: User, limit: int = SUGGESTIONS) -> list[matching.Suggestion]:
    """A few open requests ``user`` could help with, best first, with reasons."""
    hidden = safety.hidden_ids("request")
    return [
        suggestion
        for suggestion in matching.suggest_requests(user, limit=ENGINE_LIMIT)
        if suggestion.request.id not in hidden
    ][:limit]


def next_steps(user: User, pledge: Pledge) -> NextSteps:
    """The pledge's page: suggestions while it is open, the way to an offer."""
    profile = user.profile
    return NextSteps(
        pledge=pledge,
        suggestions=suggestions_for(user) if pledge.kept_at is None else [],
        has_offer=offers.offer_of(user.id) is not None,
        offered_skills=list(profile.offered_skills) if profile else [],
    )


# --- the week-later nudge -------------------------------------------------------


def _some_requests(count: int) -> str:
    return "An open request" if count == 1 else f"{count} open requests"


def nudge_open_pledges(now: datetime | None = None) -> int:
    """The week-later nudge: each pledge still open NUDGE_AFTER after it was
    made is looked at once (``nudged_at``), and its maker told of a few
    requests that fit, if any do. A periodic job, one transaction per pledge,
    safe to run twice. Returns how many members were notified."""
    now = now or utcnow()
    due = db.session.scalars(
        select(Pledge.id)
        .where(
            Pledge.kept_at.is_(None),
            Pledge.nudged_at.is_(None),
            Pledge.created_at <= now - NUDGE_AFTER,
            Pledge.created_at > now - NUDGE_AFTER - NUDGE_WITHIN,
        )
        .order_by(Pledge.created_at, Pledge.id)
        .limit(NUDGE_BATCH)
    ).all()
    return sum(jobs.in_transaction(_nudge, pledge_id, now) for pledge_id in due)


def _nudge(pledge_id: int, now: datetime) -> int:
    """Claim the pledge's one nudge (a conditional UPDATE: of two runs, one
    wins) and notify its maker if anything fits. Flushes."""
    claimed = db.session.execute(
        update(Pledge)
        .where(Pledge.id == pledge_id, Pledge.kept_at.is_(None), Pledge.nudged_at.is_(None))
        .values(nudged_at=now)
        .execution_options(synchronize_session=False)
    )
    if claimed.rowcount != 1:
        return 0
    pledge = db.session.get(Pledge, pledge_id)
    user = db.session.get(User, pledge.user_id)
    if user is None or user.is_deleted or not user.is_verified:
        return 0
    # Gentle: one nudge a week at most, however many pledges fell due.
    nudged_lately = db.session.scalar(
        select(
            exists().where(
                Pledge.user_id == user.id,
                Pledge.id != pledge_id,
                Pledge.nudged_at > now - NUDGE_AFTER,
            )
        )
    )
    if nudged_lately:
        return 0
    found = suggestions_for(user)
    if not found:
        return 0
    best = found[0]
    notify(
        user,
        "pledge_nudge",
        {
            "pledge_id": pledge_id,
            "some": _some_requests(len(found)),
            "title": best.request.title,
            "reasons": "; ".join(best.reasons) or "it fits what you offer",
        },
    )
    return 1
