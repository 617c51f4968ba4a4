"""The one error type of Kindred's domain, and its five kinds.

Every area's errors derive from :class:`KindredError`. The message is fit to
show the member; ``field`` names the form field it belongs to (or None);
``code`` is a short stable word for machines (JSON and Socket.IO answers).
The site layer turns them into responses: ``community/site/actions.py`` runs
the domain for views (``run``: the error is returned for a form error or a
flash), Socket.IO events (``acknowledge``: ``{"ok": false, "error":
as_dict()}``) and the CLI; one that escapes a view becomes a page in
``community/site/errors.py``:

- :class:`NotFound`: missing, or not the viewer's to see (the same answer for
  both, so nothing leaks): a 404 page.
- :class:`NotAllowed`: the viewer may see this but not do that: 403, or a
  flash and a redirect back from a form.
- :class:`Invalid`: the input breaks a rule: the form re-rendered with the
  message on its field, or 400.
- :class:`Conflict`: the state changed under the member (someone else acted
  first, no place left): 409, or a flash.
- :class:`RateLimited`: too many of these lately: 429, or a flash.
"""

from __future__ import annotations


class KindredError(Exception):
    """A rule of the domain was broken; the message is fit to show the member."""

    status: int = 400
    code: str = "error"
    default_message: str = "That could not be done."

    def __init__(
        self, message: str | None = None, field: str | None = None, code: str | None = None
    ):
        self.message = message or self.default_message
        super().__init__(self.message)
        self.field = field
        if code is not None:
            self.code = code

    def as_dict(self) -> dict:
        """What JSON and Socket.IO clients receive under ``"error"``."""
        answer = {"code": self.code, "message": self.message}
        if self.field:
            answer["field"] = self.field
        return answer


class NotFound(KindredError):
    status = 404
    code = "not_found"
    default_message = "We could not find that."


class NotAllowed(KindredError):
    status = 403
    code = "not_allowed"
    default_message = "You cannot do that."


class Invalid(KindredError):
    status = 400
    code = "invalid"
    default_message = "Something in that was not right."


class Conflict(KindredError):
    status = 409
    code = "conflict"
    default_message = "Someone changed this at the same moment; please try again."


class RateLimited(KindredError):
    status = 429
    code = "rate_limited"
    default_message = "That was a lot in a short time. Please wait a little and try again."
