"""Forms of the network area."""

from __future__ import annotations

from wtforms import TextAreaField
from wtforms.validators import InputRequired, Length

from community.forms import KindredForm
from community.network.welcomes import BODY_MAX


class WelcomeForm(KindredForm):
    body = TextAreaField(
        "Your welcome",
        validators=[
            InputRequired("Write a few words to them."),
            Length(max=BODY_MAX, message=f"Keep it short: at most {BODY_MAX:,} characters."),
        ],
        render_kw={"rows": 6, "maxlength": BODY_MAX},
    )
