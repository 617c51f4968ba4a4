"""The base of every form on the site.

:class:`KindredForm` (with CSRF, for pages) and :class:`KindredSubform`
(without, for rows inside another form) run :func:`community.text.clean_text`
on every text field before any other filter or validator, so that no area can
forget it: a field added to any form is cleaned. Passwords are left as typed
(they are never shown, and changing them would lock their owners out).
"""

from __future__ import annotations

from flask_wtf import FlaskForm
from wtforms import Form, PasswordField, StringField
from wtforms.meta import DefaultMeta

from community.text import clean_field_data


def _cleaning_filters(unbound_field) -> list | None:
    """The filters of a text field with cleaning put first; None for other fields."""
    field_class = unbound_field.field_class
    if not issubclass(field_class, StringField) or issubclass(field_class, PasswordField):
        return None
    # Cleaning first: the field's own filters (strip...) see the cleaned text.
    return [clean_field_data, *(unbound_field.kwargs.get("filters") or ())]


class _CleaningMeta:
    def bind_field(self, form, unbound_field, options):
        filters = _cleaning_filters(unbound_field)
        if filters is not None:
            # UnboundField.bind lets these options win over the declared ones.
            options = {**options, "filters": filters}
        return super().bind_field(form, unbound_field, options)


class KindredForm(FlaskForm):
    """A page's form: CSRF-protected, every text field cleaned."""

    class Meta(_CleaningMeta, FlaskForm.Meta):
        pass


class KindredSubform(Form):
    """A row inside another form (FormField/FieldList): no CSRF token of its own."""

    class Meta(_CleaningMeta, DefaultMeta):
        pass
