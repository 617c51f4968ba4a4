"""Capacity: how many more requests a volunteer can take this month (read-only).

Capacity is counted per calendar month (UTC): an offer's ``capacity_used``
belongs to ``capacity_month``, and a new month starts from nothing. These
functions only read; taking and giving back a place are
:func:`community.helping.offers.take_capacity` and
:func:`~community.helping.offers.release_capacity`. Offers, the rank and the
matching engine all ask here, so this module imports no other helping module
but the tables.
"""

from __future__ import annotations

from datetime import date

from community.db import utcnow
from community.helping.models import VolunteerOffer


def current_month() -> str:
    return utcnow().strftime("%Y-%m")


def capacity_resets_on() -> date:
    """The day this month's capacity starts again (the first of next month, UTC)."""
    today = utcnow().date()
    return date(today.year + today.month // 12, today.month % 12 + 1, 1)


def capacity_left(offer: VolunteerOffer, month: str | None = None) -> int:
    used = offer.capacity_used if offer.capacity_month == (month or current_month()) else 0
    return max(offer.monthly_capacity - used, 0)


def is_available(offer: VolunteerOffer | None) -> bool:
    """On no break and with room this month (False for no offer at all)."""
    return offer is not None and not offer.on_break and capacity_left(offer) > 0
