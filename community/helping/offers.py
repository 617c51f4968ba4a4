"""Volunteer offers: what a member will help with, and how much this month.

Capacity is counted per calendar month (UTC); reading it (what is left,
whether a volunteer is available) is :mod:`community.helping.capacity`, and
every change here re-ranks the offer through :mod:`community.helping.rank`.
``capacity_used`` changes only through :func:`take_capacity` and
:func:`release_capacity`, each one conditional UPDATE, so that two matches
made at once cannot overdraw it.
A volunteer whose capacity is used up is paused automatically until the
month turns (``available`` is False on their skill rows).
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, timedelta

from sqlalchemy import case, select, update

from community import jobs, trust
from community.db import db, utcnow
from community.helping.capacity import current_month
from community.helping.errors import HelpingError
from community.helping.models import OfferSkill, VolunteerOffer
from community.helping.rank import refresh_rank
from community.profiles.models import Genre, Skill

NOTE_MAX = 1000
CAPACITY_MAX = 20
ASKS_PER_WEEK_MAX = 20


def offer_of(user_id: int) -> VolunteerOffer | None:
    return db.session.get(VolunteerOffer, user_id)


@dataclass
class OfferInput:
    skill_ids: list[int]
    genre_ids: list[int]
    monthly_capacity: int
    note: str
    on_break: bool
    # None leaves it as it is (the site's ASKS_PER_WEEK for a new offer).
    asks_per_week: int | None = None


def save_offer(user, data: OfferInput) -> VolunteerOffer:
    """Create or update the member's standing offer. Flushes.

    Raises HelpingError (with ``field``) for an offer without skills, a
    capacity out of 1..20, asks a week out of 0..20, or a note that is too long.
    """
    if not data.skill_ids:
        raise HelpingError("Choose at least one kind of help you can offer.", field="skills")
    if not 1 <= data.monthly_capacity <= CAPACITY_MAX:
        raise HelpingError(
            f"Choose between 1 and {CAPACITY_MAX} requests a month.", field="monthly_capacity"
        )
    if data.asks_per_week is not None and not 0 <= data.asks_per_week <= ASKS_PER_WEEK_MAX:
        raise HelpingError(
            f"Choose between 0 and {ASKS_PER_WEEK_MAX} asks a week.", field="asks_per_week"
        )
    note = (data.note or "").strip()
    if len(note) > NOTE_MAX:
        raise HelpingError(f"Use at most {NOTE_MAX} characters.", field="note")
    skills = db.session.scalars(select(Skill).where(Skill.id.in_(data.skill_ids))).all()
    if len(skills) != len(set(data.skill_ids)):
        raise HelpingError("Choose from the list.", field="skills")
    genres = db.session.scalars(select(Genre).where(Genre.id.in_(data.genre_ids or [0]))).all()

    offer = offer_of(user.id)
    refused = trust.link_refusal(user, note, before=offer.note if offer is not None else "")
    if refused:
        raise HelpingError(refused, field="note")
    if offer is None:
        offer = VolunteerOffer(user_id=user.id, capacity_month=current_month(), capacity_used=0)
        db.session.add(offer)
    offer.monthly_capacity = data.monthly_capacity
    offer.note = note
    offer.on_break = bool(data.on_break)
    if not offer.on_break:
        offer.break_until = None
    if data.asks_per_week is not None:
        offer.asks_per_week = data.asks_per_week
    offer.genres = list(genres)
    offer.updated_at = utcnow()
    wanted = {skill.id for skill in skills}
    offer.skill_links = [link for link in offer.skill_links if link.skill_id in wanted]
    have = {link.skill_id for link in offer.skill_links}
    for skill_id in wanted - have:
        offer.skill_links.append(OfferSkill(skill_id=skill_id))
    db.session.flush()
    refresh_rank(offer)
    return offer


def set_break(user, on_break: bool) -> VolunteerOffer:
    offer = offer_of(user.id)
    if offer is None:
        raise HelpingError("You have no offer yet.")
    offer.on_break = on_break
    if not on_break:
        offer.break_until = None
    refresh_rank(offer)
    return offer


# The longest dated break a volunteer can choose in one go.
PAUSE_DAYS_MAX = 365


def pause_offer_until(user_id: int, until: date | None, *, field: str = "until") -> VolunteerOffer:
    """The volunteer's offer goes on a break until ``until`` (tomorrow to a
    year ahead), when the ``end-breaks`` job lifts it. Raises HelpingError on
    ``field`` for another day, or when there is no offer to pause. Flushes."""
    today = utcnow().date()
    if until is None or not today < until <= today + timedelta(days=PAUSE_DAYS_MAX):
        raise HelpingError("Choose a day from tomorrow to a year ahead.", field=field)
    offer = offer_of(user_id)
    if offer is None:
        raise HelpingError("You have no volunteer offer to pause.", field=field)
    offer.on_break, offer.break_until = True, until
    offer.updated_at = utcnow()
    refresh_rank(offer)
    return offer


def take_capacity(user_id: int) -> bool:
    """Count one more match this month for the volunteer, if they have room.

    Returns False (and changes nothing) when the volunteer has no offer, is
    on a break, or has used this month's capacity.
    """
    month = current_month()
    result = db.session.execute(
        update(VolunteerOffer)
        .where(
            VolunteerOffer.user_id == user_id,
            VolunteerOffer.on_break.is_(False),
            (VolunteerOffer.capacity_month != month)
            | (VolunteerOffer.capacity_used < VolunteerOffer.monthly_capacity),
        )
        .values(
            capacity_used=case(
                (VolunteerOffer.capacity_month == month, VolunteerOffer.capacity_used + 1),
                else_=1,
            ),
            capacity_month=month,
        )
        .execution_options(synchronize_session=False)
    )
    if result.rowcount != 1:
        return False
    offer = offer_of(user_id)
    db.session.refresh(offer)
    refresh_rank(offer)
    return True


def release_capacity(user_id: int, taken_in: str) -> None:
    """Give back a place taken in month ``taken_in`` (a match cancelled that month)."""
    db.session.execute(
        update(VolunteerOffer)
        .where(
            VolunteerOffer.user_id == user_id,
            VolunteerOffer.capacity_month == taken_in,
            VolunteerOffer.capacity_used > 0,
        )
        .values(capacity_used=VolunteerOffer.capacity_used - 1)
        .execution_options(synchronize_session=False)
    )
    offer = offer_of(user_id)
    if offer is not None:
        db.session.refresh(offer)
        refresh_rank(offer)


@jobs.commits
def roll_over_month() -> int:
    """Start the new month's capacity for every offer still on an old month.

    A periodic job, in two set-based UPDATEs: volunteers paused because last
    month's capacity was used become available again. Returns how many offers
    changed. Commits.
    """
    month = current_month()
    changed = db.session.execute(
        update(VolunteerOffer)
        .where(VolunteerOffer.capacity_month != month)
        .values(capacity_month=month, capacity_used=0)
        .execution_options(synchronize_session=False)
    ).rowcount
    db.session.execute(
        update(OfferSkill)
        .where(
            OfferSkill.available.is_(False),
            # Only offers with room: one that has used this month's capacity
            # already (the job runs hourly) stays paused.
            OfferSkill.user_id.in_(
                select(VolunteerOffer.user_id).where(
                    VolunteerOffer.on_break.is_(False),
                    VolunteerOffer.capacity_used < VolunteerOffer.monthly_capacity,
                )
            ),
        )
        .values(available=True)
        .execution_options(synchronize_session=False)
    )
    return changed


def offered_skill_ids(user_id: int) -> set[int]:
    return set(db.session.scalars(select(OfferSkill.skill_id).where(OfferSkill.user_id == user_id)))
