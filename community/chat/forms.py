"""Forms of the chat area (the page works without JavaScript through them)."""

from __future__ import annotations

from wtforms import HiddenField, TextAreaField
from wtforms.validators import InputRequired

from community.chat.service import MESSAGE_MAX
from community.forms import KindredForm


class MessageForm(KindredForm):
    # Lengths are checked by the domain (one message for both ways of sending);
    # the client id makes a double-submitted form store one message.
    body = TextAreaField(
        "Your message",
        validators=[InputRequired("Write something first.")],
        render_kw={"rows": 2, "maxlength": MESSAGE_MAX, "autocomplete": "off"},
    )
    client_id = HiddenField()
