"""Errors of the helping area. Messages are fit to show the member."""


class HelpingError(Exception):
    """A rule of requests, offers, answers or matches was broken."""

    def __init__(self, message: str, field: str | None = None):
        super().__init__(message)
        self.field = field


class NotFound(HelpingError):
    """Missing, or not the viewer's to see: the same answer for both."""

    def __init__(self, message: str = "We could not find that."):
        super().__init__(message)


class NotAllowed(HelpingError):
    """The viewer may see this but not do that."""


class NoPlaceLeft(HelpingError):
    """Every helper place of the request is taken."""


class AtCapacity(HelpingError):
    """The volunteer has taken as many requests this month as they offered."""


class TryAgain(HelpingError):
    """Someone else changed the same thing at the same moment."""
