"""Numbers from the query string that choose a page of a listing.

Every listing reads its ``?page=`` (and a chat its ``?before=``) here, so that
none passes a hostile number to the database: ``abc``, ``-3`` and ``0`` mean
the first page, and anything past the listing's ceiling is the ceiling.
PostgreSQL refuses integers past 2**63 in OFFSET and past 2**31 in an
``integer`` comparison with an error, which would be a 500 for input anyone
can type; a far page would also make the database skip millions of rows.
"""

from __future__ import annotations

from flask import request

from community.db import ID_MAX

# Keeps OFFSET well inside every database's integer range; listings whose pages
# cost more the deeper they go (the feed) pass a lower ceiling.
PAGE_MAX = 10_000


def page_number(maximum: int = PAGE_MAX, name: str = "page") -> int:
    """The page asked for in ``?page=``, clamped to 1..``maximum``."""
    return clamped_arg(name, 1, maximum, default=1)


def clamped_arg(name: str, minimum: int, maximum: int, default: int | None = None) -> int | None:
    """The whole number in ``?<name>=``, clamped to ``minimum``..``maximum``;
    ``default`` when it is missing or not a whole number."""
    value = request.args.get(name, type=int)
    if value is None:
        return default
    return min(max(value, minimum), maximum)


def sequence_arg(name: str) -> int | None:
    """A position (a message's seq) from ``?<name>=``: None unless 1..ID_MAX."""
    value = request.args.get(name, type=int)
    if value is None or value < 1:
        return None
    return min(value, ID_MAX)
