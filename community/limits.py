"""How many times a member did something lately: acts counted, not rows.

A limit read off the current rows ("follows made today") is reset by undoing
the act: follow, unfollow, follow again, and each follow notifies (and emails)
once more. :func:`record_act` counts the act itself, in Flask-Limiter's
storage (Redis when configured, so every web process and worker counts the
same acts), whatever happens to the row afterwards.

The rules:

- an act is counted when it is attempted, before the domain checks the rest;
  an attempt over the limit is refused with :class:`~community.errors.RateLimited`
  and counted too (refusals do not buy more tries);
- the count for one member and kind is the same whatever limit is asked of
  it, so callers may pass a different number for different members (trust
  levels) and the member keeps their count when their number changes;
- windows are fixed (a day starts when the first act of the day is counted),
  as Flask-Limiter's default strategy counts them;
- a rolled-back transaction does not un-count its act: the storage is not the
  database. That errs on the side of counting an act that did not happen.
"""

from __future__ import annotations

import logging

from flask import current_app
from limits import parse
from limits.storage import MemoryStorage

from community.errors import RateLimited
from community.extensions import limiter

log = logging.getLogger(__name__)

# Every act of a kind is counted against this one item per window, so the
# storage key does not depend on the limit asked for.
_COUNTER_CEILING = 1_000_000_000


def _counter(per: str):
    return parse(f"{_COUNTER_CEILING} per {per}")


def _fallback():
    """This process's own counters, for while the shared storage is unreachable."""
    return current_app.extensions.setdefault(
        "kindred_limits_fallback", type(limiter.limiter)(MemoryStorage())
    )


def hit(item, *identifiers: str) -> bool:
    """Count one hit of ``item`` for ``identifiers`` in Flask-Limiter's storage;
    False when over. With Redis unreachable the count goes on in this
    process (as Flask-Limiter's in-memory fallback does for routes): a
    limit is never a 500. With rate limiting turned off (RATELIMIT_ENABLED)
    nothing is counted and every hit is allowed, as in :func:`record_act`
    (Flask-Limiter then has no storage at all)."""
    if not limiter.enabled:
        return True
    try:
        return limiter.limiter.hit(item, *identifiers)
    except Exception as error:
        log.warning("rate limit storage unreachable (%s); counting in memory", error)
        return _fallback().hit(item, *identifiers)


def window_stats(item, *identifiers: str):
    try:
        return limiter.limiter.get_window_stats(item, *identifiers)
    except Exception as error:
        log.warning("rate limit storage unreachable (%s); counting in memory", error)
        return _fallback().get_window_stats(item, *identifiers)


def acts_counted(user_id: int, kind: str, per: str = "day") -> int:
    """How many ``kind`` acts of the member this window has counted."""
    if not limiter.enabled:
        return 0
    stats = window_stats(_counter(per), "act", kind, str(user_id))
    return _COUNTER_CEILING - stats.remaining


def record_act(
    user_id: int, kind: str, limit: int, per: str = "day", message: str | None = None
) -> int:
    """Count one ``kind`` act of the member in this ``per`` window ("day",
    "hour", "10 minutes"...); raise RateLimited (with ``message``) when it
    is more than ``limit``. Returns the count, this act included.

    Does nothing (and returns 0) when rate limiting is turned off
    (RATELIMIT_ENABLED).
    """
    if not limiter.enabled:
        return 0
    hit(_counter(per), "act", kind, str(user_id))
    done = acts_counted(user_id, kind, per)
    if done > limit:
        raise RateLimited(message)
    return done


__all__ = ["acts_counted", "hit", "record_act", "window_stats"]
