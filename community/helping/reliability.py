"""Reliability, measured and kind: how a volunteer has answered and followed through.

Computed in one place (:func:`measure`) from the rows, over the last
``RELIABILITY_MONTHS`` months, per volunteer:

* **invitations**: replied to (accepted, or "not this time") versus let
  expire without a word (an answer closed because the places were filled
  counts as neither);
* **first messages**: in each of their matches, the hours from the match to
  the helper's first message in its chat (``ConversationMember.first_wrote_at``),
  their median, and the matches where the helper had still not written
  ``FIRST_MESSAGE_GRACE`` after the match (or before it ended);
* **helps**: matches that ended with thanks (completed) versus cancelled
  (a match ended by a block between the two is left out: nobody's
  reliability is judged by someone else's block).

The figures are stored on the volunteer's offer and refreshed when a fact
changes (an invitation answered or expired, a match made, completed or
cancelled: :func:`community.helping.rank.refresh_reliability`) and by the
periodic rerank for everyone (first messages are written in the chat, which
does not call up into helping). Lists and pages read the stored columns;
nothing is measured per row of a list.

Two readings, never a score:

* :func:`kind_words`, for requesters (suggestions, invitations, offers,
  profiles): positive sentences only, and only from
  ``RELIABILITY_MIN_EVENTS`` events on. A volunteer with a weak record
  simply shows no words.
* :func:`own_figures`, for the member themselves on "My help": every figure,
  with what would improve it.

The matching rank reads the same columns (:mod:`community.helping.rank`).
"""

from __future__ import annotations

from collections import defaultdict
from dataclasses import dataclass
from datetime import datetime, timedelta
from statistics import median

from flask import current_app
from sqlalchemy import select

from community import blocks
from community.chat.service import first_writes_of_matches
from community.db import db
from community.helping.models import (
    Answer,
    AnswerKind,
    AnswerStatus,
    Match,
    MatchStatus,
    VolunteerOffer,
)

# A helper who has not written this long after a match (while it lasts)
# counts as a first message missed.
FIRST_MESSAGE_GRACE = timedelta(days=3)
# Share of good outcomes from which a figure is put in words for others.
SHOWN_FROM_SHARE = 0.75
# How many matches' first messages are read per query.
CHUNK = 500


@dataclass(frozen=True)
class Figures:
    """One volunteer's measured figures over the window."""

    invitations_replied: int = 0
    invitations_missed: int = 0
    first_messages: int = 0
    first_messages_missed: int = 0
    first_message_hours: float | None = None
    helps_thanked: int = 0
    helps_not_thanked: int = 0

    @property
    def invitations(self) -> int:
        return self.invitations_replied + self.invitations_missed

    @property
    def matches_measured(self) -> int:
        return self.first_messages + self.first_messages_missed

    @property
    def helps(self) -> int:
        return self.helps_thanked + self.helps_not_thanked


def window_start(now: datetime) -> datetime:
    return now - timedelta(days=30 * current_app.config["RELIABILITY_MONTHS"])


def measure(user_ids, now: datetime) -> dict[int, Figures]:
    """The figures of each of ``user_ids`` (every volunteer with any event
    when None), from the rows: a fixed number of queries per
    ``CHUNK`` matches. Volunteers without events are left out."""
    since = window_start(now)
    invited = select(Answer.volunteer_id, Answer.status, Answer.expired_at, Answer.filled_at).where(
        Answer.kind == AnswerKind.INVITATION,
        Answer.created_at >= since,
        Answer.status != AnswerStatus.PENDING,
    )
    matched = select(
        Match.id,
        Match.helper_id,
        Match.status,
        Match.created_at,
        Match.ended_at,
        blocks.blocked_with(Match.helper_id, Match.requester_id).label("blocked"),
    ).where(Match.created_at >= since)
    if user_ids is not None:
        ids = list(user_ids)
        invited = invited.where(Answer.volunteer_id.in_(ids))
        matched = matched.where(Match.helper_id.in_(ids))

    counts: dict[int, dict[str, int]] = defaultdict(lambda: defaultdict(int))
    hours: dict[int, list[float]] = defaultdict(list)
    for volunteer_id, status, expired_at, filled_at in db.session.execute(invited):
        if expired_at is not None:
            counts[volunteer_id]["invitations_missed"] += 1
        elif filled_at is None and status in (AnswerStatus.ACCEPTED, AnswerStatus.DECLINED):
            counts[volunteer_id]["invitations_replied"] += 1

    rows = db.session.execute(matched).all()
    for start in range(0, len(rows), CHUNK):
        chunk = rows[start : start + CHUNK]
        writes = first_writes_of_matches([row.id for row in chunk])
        for row in chunk:
            mine = counts[row.helper_id]
            wrote = writes.get(row.id, {}).get(row.helper_id)
            if wrote is not None:
                mine["first_messages"] += 1
                hours[row.helper_id].append(max((wrote - row.created_at).total_seconds(), 0) / 3600)
            elif (row.ended_at or now) - row.created_at >= FIRST_MESSAGE_GRACE:
                mine["first_messages_missed"] += 1
            if row.status == MatchStatus.COMPLETED:
                mine["helps_thanked"] += 1
            elif row.status == MatchStatus.CANCELLED and not row.blocked:
                mine["helps_not_thanked"] += 1
    return {
        user_id: Figures(
            **found,
            first_message_hours=(round(median(hours[user_id]), 2) if hours.get(user_id) else None),
        )
        for user_id, found in counts.items()
    }


def store(offer: VolunteerOffer, figures: Figures, now: datetime) -> None:
    """Copy ``figures`` onto the offer (the rank and the words read them there)."""
    offer.invitations_replied = figures.invitations_replied
    offer.invitations_missed = figures.invitations_missed
    offer.first_messages = figures.first_messages
    offer.first_messages_missed = figures.first_messages_missed
    offer.first_message_hours = figures.first_message_hours
    offer.helps_thanked = figures.helps_thanked
    offer.helps_not_thanked = figures.helps_not_thanked
    offer.reliability_at = now


def stored(offer: VolunteerOffer) -> Figures:
    """The figures last stored on the offer."""
    return Figures(
        invitations_replied=offer.invitations_replied or 0,
        invitations_missed=offer.invitations_missed or 0,
        first_messages=offer.first_messages or 0,
        first_messages_missed=offer.first_messages_missed or 0,
        first_message_hours=offer.first_message_hours,
        helps_thanked=offer.helps_thanked or 0,
        helps_not_thanked=offer.helps_not_thanked or 0,
    )


# --- the signals of the rank -------------------------------------------------------
#
# Each is 0 to 1, and 0.5 for a volunteer with no events yet (nobody new is
# ranked below someone who has let requesters down). Counts are smoothed
# (one good and one bad event assumed), so two events do not swing the rank.


def _smoothed(good: int, bad: int) -> float:
    return (good + 1) / (good + bad + 2)


def replies_signal(figures: Figures) -> float:
    """Share of invitations replied to."""
    return _smoothed(figures.invitations_replied, figures.invitations_missed)


def first_message_signal(figures: Figures) -> float:
    """Share of matches where the helper wrote first, weighed by how soon:
    the median hours count for up to half (at once: all of the share; three
    days: three quarters of it). 0.5 when nothing is measured yet."""
    share = _smoothed(figures.first_messages, figures.first_messages_missed)
    hours = figures.first_message_hours
    if hours is None:
        return share
    soon = 1 / (1 + max(hours, 0) / 72)
    return share * (0.5 + 0.5 * soon)


def follow_through_signal(figures: Figures) -> float:
    """Share of helps that ended with thanks rather than cancelled."""
    return _smoothed(figures.helps_thanked, figures.helps_not_thanked)


# --- words ---------------------------------------------------------------------------


def _of(count: int, total: int, what: str) -> str:
    return f"all {total} {what}" if count == total else f"{count} of {total} {what}"


def _speed_words(hours: float) -> str | None:
    if hours <= 24:
        return "usually writes within a day of being matched"
    if hours <= 72:
        return "usually writes within three days of being matched"
    return None


def kind_words(offer: VolunteerOffer | None) -> list[str]:
    """What requesters may read about a volunteer: positive sentences only,
    each from enough events (``RELIABILITY_MIN_EVENTS``); nothing otherwise."""
    if offer is None:
        return []
    figures = stored(offer)
    least = current_app.config["RELIABILITY_MIN_EVENTS"]
    words = []
    if (
        figures.invitations >= least
        and figures.invitations_replied >= SHOWN_FROM_SHARE * figures.invitations
    ):
        replied = _of(figures.invitations_replied, figures.invitations, "invitations")
        words.append(f"replied to {replied}")
    if (
        figures.first_messages >= least
        and figures.first_messages >= SHOWN_FROM_SHARE * figures.matches_measured
        and figures.first_message_hours is not None
        and (speed := _speed_words(figures.first_message_hours))
    ):
        words.append(speed)
    if figures.helps_thanked >= least:
        if figures.helps_thanked >= SHOWN_FROM_SHARE * figures.helps:
            words.append(f"{figures.helps_thanked} of {figures.helps} helps ended with thanks")
        else:
            words.append(f"{figures.helps_thanked} helps ended with thanks")
    return words


def kind_words_of(user_ids) -> dict[int, list[str]]:
    """:func:`kind_words` for each of ``user_ids`` who has an offer (one query
    of the stored columns: for a list of answers or invitations)."""
    ids = list(user_ids)
    if not ids:
        return {}
    offers = db.session.scalars(select(VolunteerOffer).where(VolunteerOffer.user_id.in_(ids)))
    return {offer.user_id: kind_words(offer) for offer in offers}


@dataclass(frozen=True)
class OwnFigure:
    """One of the member's own figures, and what would improve it (if anything)."""

    title: str
    figure: str
    improve: str | None


def _hours_words(hours: float) -> str:
    if hours < 1:
        return "within the hour"
    if hours < 48:
        whole = round(hours)
        return f"after about {whole} hour{'s' if whole != 1 else ''}"
    return f"after about {round(hours / 24)} days"


def own_figures(figures: Figures) -> list[OwnFigure]:
    """The member's own full figures in words, each with what would improve it."""
    months = current_app.config["RELIABILITY_MONTHS"]
    shown = []
    if figures.invitations:
        replied = _of(figures.invitations_replied, figures.invitations, "invitations")
        shown.append(
            OwnFigure(
                "Replies to invitations",
                f"You replied to {replied} in the last {months} months"
                + (
                    f"; {figures.invitations_missed} ended by themselves without a reply."
                    if figures.invitations_missed
                    else "."
                ),
                "A quick “not this time” counts as a reply: it lets the requester invite "
                "someone else at once. If you need a rest, pause your offer instead of "
                "letting invitations wait."
                if figures.invitations_missed
                else None,
            )
        )
    if figures.matches_measured:
        hours = figures.first_message_hours
        wrote = _of(figures.first_messages, figures.matches_measured, "matches")
        said = f"You wrote to the member you were matched with in {wrote}"
        if hours is not None:
            said += f", usually {_hours_words(hours)}"
        if figures.first_messages_missed:
            said += (
                f"; in {figures.first_messages_missed} you had not written "
                f"{FIRST_MESSAGE_GRACE.days} days after the match."
            )
        else:
            said += "."
        slow = hours is not None and hours > 24
        shown.append(
            OwnFigure(
                "First message after a match",
                said,
                "Say hello in the match's chat on the day you are matched: the "
                "introduction email has a first message you can use as it is."
                if figures.first_messages_missed or slow
                else None,
            )
        )
    if figures.helps:
        shown.append(
            OwnFigure(
                "Helps that ended with thanks",
                f"{_of(figures.helps_thanked, figures.helps, 'helps')} ended with thanks"
                + (
                    f"; {figures.helps_not_thanked} ended cancelled."
                    if figures.helps_not_thanked
                    else "."
                ),
                "Take on only what fits your month (your offer says how many), and if "
                "a help cannot go on, say so in the chat early and end it kindly."
                if figures.helps_not_thanked
                else None,
            )
        )
    return shown
