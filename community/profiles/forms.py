"""Forms of the profiles area: the profile editor and the directory's filters.

Choices come from the taxonomy tables on every request (no process-wide
cache: another process may have changed them). Field checks call the rules
in community.profiles.service, so the form and the service never disagree.
"""

from __future__ import annotations

from typing import Any

from wtforms import (
    FieldList,
    FormField,
    SearchField,
    SelectChoice,
    SelectField,
    SelectMultipleField,
    StringField,
    TextAreaField,
    ValidationError,
)
from wtforms.validators import InputRequired, Length
from wtforms.widgets import CheckboxInput, ListWidget

from community.accounts.models import User
from community.accounts.service import DISPLAY_NAME_MAX
from community.forms import KindredForm, KindredSubform
from community.profiles import service, taxonomy
from community.profiles.models import STAGE_LABELS, Profile


def _options(pairs, blank: str | None = None) -> list[SelectChoice]:
    """SelectChoice options from (value, label) pairs, after a blank option if named."""
    options = [SelectChoice("", blank)] if blank is not None else []
    return options + [SelectChoice(value, label) for value, label in pairs]


def _stage_pairs():
    return ((stage.value, label) for stage, label in STAGE_LABELS.items())


def _strip(value: str | None) -> str | None:
    return value.strip() if isinstance(value, str) else value


def _normalize_newlines(value: str | None) -> str | None:
    # Browsers send \r\n; counting it as two characters would make the limit
    # stricter than the one the member sees.
    return value.replace("\r\n", "\n") if isinstance(value, str) else value


class MultiCheckboxField(SelectMultipleField):
    """A multiple choice shown as checkboxes (render with the ``checkboxes`` macro)."""

    widget = ListWidget(prefix_label=False)
    option_widget = CheckboxInput()

    def pre_validate(self, form):
        known = {choice.value for choice in self.iter_choices()}
        if any(value not in known for value in self.data or ()):
            raise ValidationError("Choose from the list.")


def _check_with(rule):
    """A WTForms validator that applies a service rule to the field's data."""

    def validator(form, field):
        try:
            rule(field.data)
        except service.ProfileError as error:
            raise ValidationError(str(error)) from None

    return validator


class LinkForm(KindredSubform):
    """One link row. Both blank means no link (a subform: no CSRF token of its own)."""

    label = StringField(
        "Label",
        filters=[_strip],
        validators=[Length(max=service.LINK_LABEL_MAX)],
        render_kw={"placeholder": "My website"},
    )
    url = StringField(
        "Web address",
        filters=[_strip],
        validators=[Length(max=service.LINK_URL_MAX)],
        render_kw={"placeholder": "https://", "inputmode": "url", "autocomplete": "url"},
    )

    def validate(self, extra_validators=None) -> bool:
        if not super().validate(extra_validators):
            return False
        try:
            service.check_link(self.label.data, self.url.data)
        except service.ProfileError as error:
            self[error.field].errors.append(str(error))
            return False
        return True


class ProfileForm(KindredForm):
    display_name = StringField(
        "Your name",
        filters=[_strip],
        validators=[
            InputRequired("Tell us the name you would like to be known by."),
            Length(max=DISPLAY_NAME_MAX, message=f"Use at most {DISPLAY_NAME_MAX} characters."),
        ],
        render_kw={"autocomplete": "name"},
    )
    about = TextAreaField(
        "About me",
        filters=[_normalize_newlines],
        validators=[_check_with(service.clean_about)],
        render_kw={"rows": 8, "maxlength": service.ABOUT_MAX},
    )
    genres = MultiCheckboxField("Genres I write")
    stage = SelectField("Where I am with my writing", validate_choice=False)
    wants = MultiCheckboxField("I'd love help with")
    offers = MultiCheckboxField("I can offer")
    timezone = StringField(
        "Timezone",
        filters=[_strip],
        validators=[Length(max=64), _check_with(service.check_timezone)],
        render_kw={"list": "timezone-options", "autocomplete": "off", "spellcheck": "false"},
    )
    links = FieldList(
        FormField(LinkForm),
        "Links",
        min_entries=service.MAX_LINKS,
        max_entries=service.MAX_LINKS,
    )

    def __init__(self, *args: Any, **kwargs: Any):
        super().__init__(*args, **kwargs)
        skills = [(skill.slug, skill.name) for skill in taxonomy.all_skills()]
        self.genres.choices = _options((g.slug, g.name) for g in taxonomy.all_genres())
        self.wants.choices = _options(skills)
        self.offers.choices = _options(skills)
        self.stage.choices = _options(_stage_pairs(), blank="Prefer not to say")

    @classmethod
    def for_member(cls, user: User) -> ProfileForm:
        """The form filled in with what the member's profile says now."""
        profile = user.profile or Profile(about="")
        return cls(
            display_name=user.display_name,
            about=profile.about,
            stage=profile.stage or "",
            timezone=profile.timezone or "",
            genres=[genre.slug for genre in profile.genres],
            wants=[skill.slug for skill in profile.wanted_skills],
            offers=[skill.slug for skill in profile.offered_skills],
            # FormField reads each entry as an object: the rows have .label and .url.
            links=list(profile.links),
        )

    def validate_stage(self, field) -> None:
        try:
            service.check_stage(field.data)
        except service.ProfileError as error:
            raise ValidationError(str(error)) from None

    def changes(self) -> dict[str, Any]:
        """The keyword arguments of service.update_profile for what was submitted."""
        return {
            "display_name": self.display_name.data or "",
            "about": self.about.data or "",
            "stage": self.stage.data or None,
            "timezone": self.timezone.data or None,
            "genres": self.genres.data or [],
            "wanted_skills": self.wants.data or [],
            "offered_skills": self.offers.data or [],
            "links": [
                service.LinkInput(entry.form.label.data or "", entry.form.url.data or "")
                for entry in self.links
            ],
        }

    def field_at(self, path: str | None):
        """The field a ProfileError's dotted ``field`` path names, or None."""
        if not path:
            return None
        target: Any = self
        try:
            for part in path.split("."):
                if isinstance(target, FormField):
                    target = target.form
                target = target[int(part)] if part.isdigit() else target[part]
        except (KeyError, IndexError, TypeError):
            return None
        return target


class DirectoryForm(KindredForm):
    """The directory's search and filters: a GET form, so no CSRF token.

    Read it with :meth:`to_query`; a value that is not one of the choices
    (an old bookmark, a hand-edited URL) is dropped rather than refused.
    """

    class Meta:
        csrf = False

    q = SearchField("Search names and about texts", filters=[_strip])
    genre = SelectField("Genre")
    offers = SelectField("Can help with")
    stage = SelectField("Writing stage")
    order = SelectField("Order", choices=_options(service.ORDERS.items()), default="newest")

    def __init__(self, *args: Any, **kwargs: Any):
        super().__init__(*args, **kwargs)
        self.genre.choices = _options(
            ((g.slug, g.name) for g in taxonomy.all_genres()), blank="Any genre"
        )
        self.offers.choices = _options(
            ((s.slug, s.name) for s in taxonomy.all_skills()), blank="Anything"
        )
        self.stage.choices = _options(_stage_pairs(), blank="Any stage")

    def to_query(self, page: int) -> service.DirectoryQuery:
        self.validate()
        for name in ("genre", "offers", "stage", "order"):
            field = self[name]
            if field.errors:
                field.data = field.default or ""
                field.errors = []
        q = service.plain_text(self.q.data)[: service.SEARCH_MAX]
        self.q.data = q
        return service.DirectoryQuery(
            q=q,
            genre=self.genre.data or None,
            offers=self.offers.data or None,
            stage=self.stage.data or None,
            order=self.order.data or "newest",
            page=page,
        )
