"""Fair limits against spraying: nobody is promised more help than can be given.

Two bounds, each checked in the domain under a row lock so that two clicks
at the same moment cannot both pass:

* **Per request.** For each helper place still free, a request holds at most
  ``PENDING_INVITATIONS_PER_REQUEST`` invitations and
  ``PENDING_ANSWERS_PER_REQUEST`` offers waiting for a reply. A requester
  cannot invite the whole directory at once, and a request cannot collect
  more offers than its requester can fairly read and answer. When a match
  fills the last place, the answers still waiting are closed at once with a
  kind "the places are filled" (:func:`community.helping.answers.close_for_filled_places`).
* **Per volunteer.** Offers and invitations waiting for a reply count
  against the volunteer's room this month, with the matches already made:
  ``matched + waiting <= capacity``. So every answer that waits could be
  accepted, and a volunteer is never matched beyond what they offered.

A member without a volunteer offer may still say "I can help": they have a
one-off room of ``ONE_OFF_CAPACITY`` (one help a month, one answer waiting at
a time), counted from their matches, since there is no offer row to count
on. A standing offer (skills, how many a month) is how to take more.

Locks: the request's row, then the volunteer's (their offer's, or their
member row without an offer), always in this order (as making a match does:
the request's place, then the volunteer's capacity), so two transactions
never wait on each other in a circle. PostgreSQL: ``SELECT ... FOR NO KEY
UPDATE`` (it does not block rows that merely point at the locked one).
SQLite: a no-op UPDATE, which takes the database's one write lock.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, datetime

from flask import current_app
from sqlalchemy import func, select, update
from sqlalchemy.exc import OperationalError

from community.accounts.models import User
from community.db import db
from community.helping.capacity import current_month
from community.helping.errors import HelpingError, TryAgain
from community.helping.models import (
    Answer,
    AnswerKind,
    AnswerStatus,
    HelpRequest,
    Match,
    MatchStatus,
    VolunteerOffer,
)

# Room this month of a member who has no volunteer offer.
ONE_OFF_CAPACITY = 1


def _plural(count: int, word: str) -> str:
    return f"{count} {word}{'' if count == 1 else 's'}"


def _lock(model, key_column, key: int) -> None:
    """Hold ``model``'s row ``key`` until the transaction ends (see the module's
    docstring). Raises TryAgain when SQLite finds another writer first."""
    try:
        if db.session.get_bind().dialect.name == "postgresql":
            db.session.execute(
                select(key_column).where(key_column == key).with_for_update(key_share=True)
            )
        else:
            db.session.execute(
                update(model)
                .where(key_column == key)
                .values({key_column.key: key_column})
                .execution_options(synchronize_session=False)
            )
    except OperationalError as error:
        raise TryAgain("Someone else was doing the same just now. Please try again.") from error


def lock_request(request_id: int) -> None:
    _lock(HelpRequest, HelpRequest.id, request_id)


def lock_volunteer(user_id: int) -> None:
    """Lock the volunteer's offer row, or their member row when they have none."""
    if db.session.get(VolunteerOffer, user_id) is not None:
        _lock(VolunteerOffer, VolunteerOffer.user_id, user_id)
    else:
        _lock(User, User.id, user_id)


# --- per volunteer -------------------------------------------------------------


@dataclass(frozen=True)
class Room:
    """A volunteer's room this month: places, matches made, answers waiting."""

    capacity: int
    matched: int
    waiting: int
    has_offer: bool
    on_break: bool

    @property
    def free(self) -> int:
        return max(self.capacity - self.matched - self.waiting, 0)

    @property
    def words(self) -> str:
        """What fills it, in words: "1 match and 1 answer waiting"."""
        parts = []
        if self.matched:
            parts.append(_plural(self.matched, "match") + " this month")
        if self.waiting:
            parts.append(_plural(self.waiting, "answer") + " waiting for a reply")
        return " and ".join(parts) or "nothing yet"


def waiting_answers(user_id: int) -> int:
    """The volunteer's offers and invitations still waiting for a reply."""
    return db.session.scalar(
        select(func.count(Answer.id)).where(
            Answer.volunteer_id == user_id, Answer.status == AnswerStatus.PENDING
        )
    )


def waiting_answers_of(user_ids) -> dict[int, int]:
    """:func:`waiting_answers` for many volunteers, in one query."""
    ids = list(user_ids)
    if not ids:
        return {}
    rows = db.session.execute(
        select(Answer.volunteer_id, func.count(Answer.id))
        .where(Answer.volunteer_id.in_(ids), Answer.status == AnswerStatus.PENDING)
        .group_by(Answer.volunteer_id)
    )
    return dict(rows.all())


def _month_start():
    year, month = (int(part) for part in current_month().split("-"))
    return datetime(year, month, 1, tzinfo=UTC)


def one_off_matches(user_id: int) -> int:
    """Matches (not cancelled) a member made as a helper this month: the room
    of a member without an offer is counted from them."""
    return db.session.scalar(
        select(func.count(Match.id)).where(
            Match.helper_id == user_id,
            Match.created_at >= _month_start(),
            Match.status != MatchStatus.CANCELLED,
        )
    )


def room_of(user_id: int) -> Room:
    """The volunteer's room this month (reads; locks nothing)."""
    offer = db.session.get(VolunteerOffer, user_id)
    waiting = waiting_answers(user_id)
    if offer is None:
        return Room(ONE_OFF_CAPACITY, one_off_matches(user_id), waiting, False, False)
    matched = offer.capacity_used if offer.capacity_month == current_month() else 0
    return Room(offer.monthly_capacity, matched, waiting, True, offer.on_break)


def check_room_to_answer(volunteer) -> Room:
    """Raise HelpingError (on the note) unless ``volunteer`` has room for one
    more answer waiting this month. Locks the volunteer's row first."""
    lock_volunteer(volunteer.id)
    room = room_of(volunteer.id)
    if room.on_break:
        raise HelpingError(
            "Your volunteer offer is on a break. End the break on your offer page, "
            "then you can offer help again.",
            "note",
        )
    if room.free > 0:
        return room
    if room.has_offer:
        raise HelpingError(
            f"Your offer takes {_plural(room.capacity, 'request')} a month, and "
            f"{room.words} already fill it. Withdraw an offer that is still waiting, "
            "or take more requests a month on your offer page.",
            "note",
        )
    raise HelpingError(
        "Without a volunteer offer you can help with one request a month, and "
        f"{room.words} already fill it. Set up a volunteer offer (what you help "
        "with, how many requests a month) to help more.",
        "note",
    )


def check_room_to_invite(volunteer) -> None:
    """Raise HelpingError unless the volunteer has room for one more invitation
    waiting this month. Locks the volunteer's row first."""
    lock_volunteer(volunteer.id)
    room = room_of(volunteer.id)
    if room.free == 0:
        raise HelpingError(
            f"{volunteer.display_name} has no room for another invitation this month: "
            "their places are filled by matches and answers still waiting for a reply. "
            "Invite another of the suggested volunteers."
        )


def take_one_off_place(user_id: int) -> bool:
    """A member without an offer is matched: True if their one-off room this
    month is still free. Locks their member row (the count is then exact)."""
    lock_volunteer(user_id)
    return one_off_matches(user_id) < ONE_OFF_CAPACITY


# --- per request -----------------------------------------------------------------


@dataclass(frozen=True)
class RequestRoom:
    """How many invitations and offers a request may hold waiting, and holds."""

    places_left: int
    invitations: int
    invitations_allowed: int
    offers: int
    offers_allowed: int

    @property
    def invitations_free(self) -> int:
        return max(self.invitations_allowed - self.invitations, 0)

    @property
    def offers_free(self) -> int:
        return max(self.offers_allowed - self.offers, 0)


def request_room(request: HelpRequest) -> RequestRoom:
    """The request's waiting answers against its limits (reads; one query)."""
    counts = dict(
        db.session.execute(
            select(Answer.kind, func.count(Answer.id))
            .where(Answer.request_id == request.id, Answer.status == AnswerStatus.PENDING)
            .group_by(Answer.kind)
        ).all()
    )
    places = max(request.helpers_wanted - request.places_taken, 0)
    config = current_app.config
    return RequestRoom(
        places_left=places,
        invitations=counts.get(AnswerKind.INVITATION.value, 0),
        invitations_allowed=places * config["PENDING_INVITATIONS_PER_REQUEST"],
        offers=counts.get(AnswerKind.OFFER.value, 0),
        offers_allowed=places * config["PENDING_ANSWERS_PER_REQUEST"],
    )


def check_request_takes_offer(request: HelpRequest) -> None:
    """Raise HelpingError unless the request may hold one more offer waiting.
    Locks the request's row first."""
    lock_request(request.id)
    db.session.refresh(request)
    room = request_room(request)
    if not request.is_open or room.places_left == 0:
        raise HelpingError("This request is not taking offers of help any more.", "note")
    if room.offers_free == 0:
        raise HelpingError(
            f"{_plural(room.offers, 'offer')} already wait for "
            f"{request.requester.display_name.split()[0]}'s reply here, as many as this "
            "request takes at once. Please look again in a few days (an offer not "
            "answered ends by itself), or find another request on the board.",
            "note",
        )


def check_request_takes_invitation(request: HelpRequest) -> None:
    """Raise HelpingError unless the request may hold one more invitation
    waiting. Locks the request's row first."""
    lock_request(request.id)
    db.session.refresh(request)
    room = request_room(request)
    if not request.is_open or room.places_left == 0:
        raise HelpingError("This request is not open.")
    if room.invitations_free == 0:
        days = current_app.config["INVITATION_EXPIRY_DAYS"]
        raise HelpingError(
            f"You have {_plural(room.invitations, 'invitation')} waiting for a reply, "
            f"as many as {_plural(room.places_left, 'helper place')} can hold at once. "
            f"Wait for an answer (an invitation not answered ends by itself after "
            f"{days} days), or accept an offer of help."
        )
