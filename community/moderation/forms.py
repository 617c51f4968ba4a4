"""Forms of moderation. They parse; the rules live in community.moderation.service."""

from __future__ import annotations

from flask_wtf import FlaskForm
from wtforms import (
    BooleanField,
    HiddenField,
    RadioField,
    SelectChoice,
    SelectField,
    StringField,
    TextAreaField,
)
from wtforms.validators import InputRequired

from community.moderation.models import REASONS
from community.moderation.trust import LEVELS
from community.profiles.service import plain_text


def _plain(value):
    return plain_text(value).strip() if isinstance(value, str) else value


def _days(value):
    """Lenient: what is not a whole number is None (the domain says what is wanted)."""
    if value in (None, ""):
        return None
    try:
        return int(value)
    except (TypeError, ValueError):
        return -1


class ReportForm(FlaskForm):
    reason = RadioField(
        "What is wrong?",
        choices=[SelectChoice(value, label) for value, label in REASONS.items()],
        validators=[InputRequired("Choose what is wrong.")],
    )
    words = TextAreaField("Anything the moderators should know (optional)", filters=[_plain])
    block = BooleanField("Also block this member (they will not be told)")
    next = HiddenField()


class ActionForm(FlaskForm):
    action = HiddenField()
    reason = TextAreaField("Reason, or your words to the member", filters=[_plain])
    days = StringField("Days (empty: no end, for a suspension)", filters=[_days])


class AppealDecisionForm(FlaskForm):
    decision = HiddenField()
    reason = TextAreaField("Why (kept in the log)", filters=[_plain])


class AppealForm(FlaskForm):
    words = TextAreaField("Why should a moderator look again?", filters=[_plain])


class TrustLevelForm(FlaskForm):
    level = SelectField(
        "Trust level",
        choices=[SelectChoice("", "Computed from their time and help")]
        + [SelectChoice(str(level.number), f"{level.number}: {level.name}") for level in LEVELS],
    )
    reason = StringField("Reason", filters=[_plain])


class ModeratorForm(FlaskForm):
    email = StringField("Member's email address", filters=[_plain])
    grant = HiddenField(default="1")


class AuditFilterForm(FlaskForm):
    class Meta:
        csrf = False  # a GET filter changes nothing

    member = StringField("Member id")
    moderator = StringField("Moderator id")
