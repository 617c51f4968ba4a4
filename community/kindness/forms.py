"""Forms of the kindness area."""

from __future__ import annotations

from wtforms import BooleanField, RadioField, TextAreaField
from wtforms.validators import InputRequired, Length

from community.forms import KindredForm
from community.kindness.service import BODY_MAX, REPLY_MAX


class ThanksForm(KindredForm):
    body = TextAreaField(
        "Your thank-you",
        validators=[
            InputRequired("Write your thank-you: a sentence or two."),
            Length(max=BODY_MAX, message=f"Keep it to at most {BODY_MAX:,} characters."),
        ],
        render_kw={"rows": 5, "maxlength": BODY_MAX},
    )
    keep_private = BooleanField("Keep this thank-you private (off their profile)")
    pledge = BooleanField("I pledge to pay it forward: I will help someone else")
    # Offered when the helper read the requester's manuscript: one of their
    # comments to quote in the thank-you (the page fills the choices).
    quote = RadioField("Quote a favourite comment (optional)", choices=[], validate_choice=False)


class ReplyForm(KindredForm):
    reply = TextAreaField(
        "Your reply",
        validators=[
            InputRequired("Write your reply."),
            Length(max=REPLY_MAX, message=f"Keep it to at most {REPLY_MAX:,} characters."),
        ],
        render_kw={"rows": 3, "maxlength": REPLY_MAX},
    )


class PrivacyForm(KindredForm):
    private = BooleanField("Keep my acts of help off public pages")
