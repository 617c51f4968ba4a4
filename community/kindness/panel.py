"""The thank-you panel of a match's page: what kindness adds to helping's page.

The match page and its routes belong to helping
(:mod:`community.helping.views`); the panel where the requester marks the
help received and thanks the helper, and where the helper replies, is
kindness's. :func:`thanks_panel` gives the page everything the panel needs.
"""

from __future__ import annotations

from community.kindness.forms import PrivacyForm, ReplyForm, ThanksForm
from community.kindness.service import thanks_for_match


def thanks_panel(match_id: int, thanks_form: ThanksForm | None = None) -> dict:
    """The template context of the panel: the match's thank-you (or None) and
    its forms; ``thanks_form`` is a submitted form to show again with its errors."""
    return {
        "thanks": thanks_for_match(match_id),
        "thanks_form": thanks_form or ThanksForm(formdata=None),
        "reply_form": ReplyForm(formdata=None),
        "privacy_form": PrivacyForm(formdata=None),
    }
