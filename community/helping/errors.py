"""Errors of the helping area, as kinds of :mod:`community.errors`.

Messages are fit to show the member. ``NotFound`` and ``NotAllowed`` are the
site's own kinds (re-exported here, so helping code names them from one
place); nothing distinguishes helping's from any other area's.
"""

from community.errors import Conflict, Invalid, NotAllowed, NotFound

__all__ = ["AtCapacity", "HelpingError", "NoPlaceLeft", "NotAllowed", "NotFound", "TryAgain"]


class HelpingError(Invalid):
    """A rule of requests, offers, answers or matches was broken by the input
    (``field`` names the form field at fault, if any)."""


class NoPlaceLeft(Conflict):
    """Every helper place of the request is taken."""


class AtCapacity(Conflict):
    """The volunteer has taken as many requests this month as they offered."""


class TryAgain(Conflict):
    """Someone else changed the same thing at the same moment."""
