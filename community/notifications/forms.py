"""Forms of the notifications area."""

from __future__ import annotations

from wtforms import RadioField, SelectChoice

from community.forms import KindredForm
from community.notifications.kinds import KINDS


def preferences_form(current: dict[str, str]) -> KindredForm:
    """A form with one radio group per notification kind, preset to ``current``."""

    class PreferencesForm(KindredForm):
        pass

    for name, kind in KINDS.items():
        setattr(
            PreferencesForm,
            f"kind_{name}",
            RadioField(
                kind.label,
                choices=[SelectChoice(value, label) for value, label in kind.choices().items()],
                default=current[name],
            ),
        )
    return PreferencesForm()
