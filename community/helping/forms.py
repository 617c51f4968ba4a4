"""Forms of the helping area: requests, offers, answers, and the board's filters.

The forms parse what a member sent into the domain's inputs; the rules
(lengths, ranges, 1 to 3 skills, dates) live in the domain modules, whose
HelpingError names the field at fault (``error.field`` is a field name of
these forms). Choices come from the taxonomy tables on every request.
"""

from __future__ import annotations

from typing import Any

from flask import current_app
from wtforms import (
    BooleanField,
    DateField,
    IntegerField,
    RadioField,
    SearchField,
    SelectChoice,
    SelectField,
    StringField,
    TextAreaField,
)
from wtforms.validators import Optional

from community.forms import KindredForm
from community.helping import answers, asks, closure, matches, offers, requests, thanks_back
from community.helping.models import FORMAT_LABELS, HelpFormat, HelpRequest, VolunteerOffer
from community.profiles import taxonomy
from community.profiles.forms import MultiCheckboxField, _options
from community.profiles.service import plain_text

HELPER_CHOICES = [SelectChoice(str(n), str(n)) for n in range(1, requests.HELPERS_MAX + 1)]
BOARD_ORDERS = {"newest": "Newest first", "best": "Best for me"}


def _whole_number(value: Any) -> int | None:
    """A lenient int coercion: what is not a whole number becomes None (the domain
    then says what is wanted, next to the field)."""
    if value in (None, ""):
        return None
    try:
        return int(value)
    except (TypeError, ValueError):
        return None


def _plain(value: str | None) -> str | None:
    # Control characters mean nothing here, and PostgreSQL refuses NUL in text.
    return plain_text(value).strip() if isinstance(value, str) else value


def _plain_multiline(value: str | None) -> str | None:
    return plain_text(value, multiline=True) if isinstance(value, str) else value


class LenientIntegerField(IntegerField):
    """A number input whose unparseable value becomes None, so that the domain's
    range message ("Choose between 1 and 20...") is the one the member sees."""

    def process_formdata(self, valuelist):
        self.data = _whole_number(valuelist[0]) if valuelist else None


class FriendlyDateField(DateField):
    """An HTML date input whose parse error says what to type."""

    def process_formdata(self, valuelist):
        try:
            super().process_formdata(valuelist)
        except ValueError:
            raise ValueError("Enter a date such as 2030-06-30, or leave it empty.") from None


def _skill_choices() -> list:
    return _options((skill.slug, skill.name) for skill in taxonomy.all_skills())


def _genre_choices(blank: str | None = None) -> list:
    return _options(((g.slug, g.name) for g in taxonomy.all_genres()), blank=blank)


def _format_pairs():
    return ((fmt.value, label) for fmt, label in FORMAT_LABELS.items())


def _ids(lookup, slugs) -> list[int]:
    rows, _unknown = lookup(slugs or [])
    return [row.id for row in rows]


class RequestForm(KindredForm):
    title = StringField(
        "Title",
        filters=[_plain],
        render_kw={
            "maxlength": requests.TITLE_MAX,
            "placeholder": "Beta readers for my 80k-word fantasy novel",
        },
    )
    details = TextAreaField(
        "What would you like help with?",
        filters=[_plain_multiline],
        render_kw={"rows": 8, "maxlength": requests.DETAILS_MAX},
    )
    skills = MultiCheckboxField("Kinds of help (1 to 3)")
    genre = SelectField("Genre", validate_choice=False)
    format = RadioField("How would you like the help?", validate_choice=False)
    effort = StringField(
        "Rough effort",
        filters=[_plain],
        render_kw={"maxlength": requests.EFFORT_MAX, "placeholder": "about 2 hours"},
    )
    deadline = FriendlyDateField("Deadline (optional)", validators=[Optional()])
    helpers_wanted = SelectField(
        "How many helpers?",
        choices=HELPER_CHOICES,
        coerce=_whole_number,
        default=1,
        validate_choice=False,
    )

    def __init__(self, *args: Any, **kwargs: Any):
        super().__init__(*args, **kwargs)
        self.skills.choices = _skill_choices()
        self.genre.choices = _genre_choices(blank="No particular genre")
        self.format.choices = _options(_format_pairs())
        if not self.format.data:
            self.format.data = HelpFormat.WRITTEN.value

    @classmethod
    def for_request(cls, request: HelpRequest) -> RequestForm:
        return cls(
            title=request.title,
            details=request.details,
            skills=[skill.slug for skill in request.skills],
            genre=request.genre.slug if request.genre else "",
            format=request.format,
            effort=request.effort,
            deadline=request.deadline,
            helpers_wanted=request.helpers_wanted,
        )

    def to_input(self) -> requests.RequestInput:
        genre = taxonomy.genre_by_slug(self.genre.data) if self.genre.data else None
        skill_ids = _ids(taxonomy.skills_by_slugs, self.skills.data)
        return requests.RequestInput(
            title=self.title.data or "",
            details=self.details.data or "",
            skill_ids=skill_ids,
            # 0 names no genre: an unknown slug gets the domain's "Choose from the list."
            genre_id=genre.id if genre else (0 if self.genre.data else None),
            format=self.format.data or "",
            effort=self.effort.data or "",
            deadline=self.deadline.data,
            helpers_wanted=self.helpers_wanted.data or 0,
        )


class OfferForm(KindredForm):
    skills = MultiCheckboxField("I can help with")
    genres = MultiCheckboxField("Genres I like to help with")
    monthly_capacity = LenientIntegerField(
        "Requests a month I can take",
        default=2,
        render_kw={"min": 1, "max": offers.CAPACITY_MAX, "inputmode": "numeric"},
    )
    note = TextAreaField(
        "A note for requesters",
        filters=[_plain_multiline],
        render_kw={"rows": 4, "maxlength": offers.NOTE_MAX},
    )
    on_break = BooleanField("I'm taking a break (no new requests for now)")
    asks_per_week = LenientIntegerField(
        "How many asks a week",
        render_kw={"min": 0, "max": offers.ASKS_PER_WEEK_MAX, "inputmode": "numeric"},
    )

    def __init__(self, *args: Any, **kwargs: Any):
        super().__init__(*args, **kwargs)
        self.skills.choices = _skill_choices()
        self.genres.choices = _genre_choices()
        if self.asks_per_week.data is None and not self.asks_per_week.raw_data:
            self.asks_per_week.data = current_app.config["ASKS_PER_WEEK"]

    @classmethod
    def for_offer(cls, offer: VolunteerOffer | None) -> OfferForm:
        if offer is None:
            return cls()
        return cls(
            skills=[skill.slug for skill in offer.skills],
            genres=[genre.slug for genre in offer.genres],
            monthly_capacity=offer.monthly_capacity,
            note=offer.note,
            on_break=offer.on_break,
            asks_per_week=asks.weekly_cap(offer),
        )

    def to_input(self) -> offers.OfferInput:
        return offers.OfferInput(
            skill_ids=_ids(taxonomy.skills_by_slugs, self.skills.data),
            genre_ids=_ids(taxonomy.genres_by_slugs, self.genres.data),
            monthly_capacity=self.monthly_capacity.data or 0,
            note=self.note.data or "",
            on_break=bool(self.on_break.data),
            asks_per_week=self._asks_per_week(),
        )

    def _asks_per_week(self) -> int | None:
        """None when the form did not send the field (the offer keeps its
        number); -1, refused by the domain's range, when it sent no number."""
        if not self.asks_per_week.raw_data:
            return None
        return -1 if self.asks_per_week.data is None else self.asks_per_week.data


class AskPauseForm(KindredForm):
    """ "Pause me until" from an ask's link: no session, so no CSRF token (the
    signed link is the authority, as for unsubscribing)."""

    class Meta(KindredForm.Meta):
        csrf = False

    until = FriendlyDateField("Pause my offer until")


class AnswerForm(KindredForm):
    note = TextAreaField(
        "Your note",
        filters=[_plain_multiline],
        render_kw={"rows": 4, "maxlength": answers.NOTE_MAX},
    )


class CommentForm(KindredForm):
    body = TextAreaField(
        "Your message",
        filters=[_plain_multiline],
        render_kw={"rows": 2, "maxlength": answers.COMMENT_MAX},
    )


class DeclineForm(KindredForm):
    reason = TextAreaField(
        "A kind word (optional)",
        filters=[_plain_multiline],
        render_kw={"rows": 2, "maxlength": answers.REASON_MAX},
    )


class NotThisTimeForm(DeclineForm):
    """The invited volunteer's "not this time", and optionally a dated break."""

    reason = TextAreaField(
        "A kind word (optional)",
        filters=[_plain_multiline],
        render_kw={"rows": 2, "maxlength": answers.REASON_MAX},
    )
    pause_until = FriendlyDateField(
        "And pause me until (optional)", validators=[Optional()], render_kw={"type": "date"}
    )


class CancelForm(KindredForm):
    reason = TextAreaField(
        "Why are you cancelling?",
        filters=[_plain_multiline],
        render_kw={"rows": 2, "maxlength": matches.REASON_MAX},
    )


class StallForm(KindredForm):
    """ "It stalled" from a check-in's link: no session, so no CSRF token (the
    signed link is the authority, as for an ask's links); the word is optional."""

    class Meta(KindredForm.Meta):
        csrf = False

    reason = TextAreaField(
        "A word for the other member, if you like",
        filters=[_plain_multiline],
        render_kw={"rows": 2, "maxlength": matches.REASON_MAX},
    )


class ClosureForm(KindredForm):
    body = TextAreaField(
        "How did it go? One sentence",
        filters=[_plain_multiline],
        render_kw={"rows": 2, "maxlength": closure.WORD_MAX},
    )


class ThanksBackForm(KindredForm):
    body = TextAreaField(
        "Your thank-you",
        filters=[_plain_multiline],
        render_kw={"rows": 3, "maxlength": thanks_back.BODY_MAX},
    )


class BoardForm(KindredForm):
    """The board's search, filters and order: a GET form, so no CSRF token.

    A value that is not one of the choices (an old bookmark) is dropped.
    """

    class Meta:
        csrf = False

    q = SearchField("Search titles and details", filters=[_plain])
    skill = SelectField("Kind of help")
    genre = SelectField("Genre")
    format = SelectField("Format")
    order = SelectField("Order", choices=_options(BOARD_ORDERS.items()), default="newest")

    def __init__(self, *args: Any, **kwargs: Any):
        super().__init__(*args, **kwargs)
        self.skill.choices = _options(
            ((s.slug, s.name) for s in taxonomy.all_skills()), blank="Any kind"
        )
        self.genre.choices = _genre_choices(blank="Any genre")
        self.format.choices = _options(_format_pairs(), blank="Any format")

    def to_filters(self) -> requests.BoardFilters:
        self.validate()
        for name in ("skill", "genre", "format", "order"):
            field = self[name]
            if field.errors:
                field.data = field.default or ""
                field.errors = []
        self.q.data = (self.q.data or "")[:100]
        return requests.BoardFilters(
            q=self.q.data,
            skill=self.skill.data or "",
            genre=self.genre.data or "",
            format=self.format.data or "",
        )

    def args(self) -> dict[str, str]:
        """The query-string arguments that reproduce this board, page aside."""
        values = {
            "q": self.q.data,
            "skill": self.skill.data,
            "genre": self.genre.data,
            "format": self.format.data,
            "order": self.order.data if self.order.data != "newest" else None,
        }
        return {key: value for key, value in values.items() if value}
