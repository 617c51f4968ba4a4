"""What members type, made safe to store and show: one cleaning for all text.

Every free-text field goes through :func:`clean_text`, at the form layer (the
base form in :mod:`community.forms` adds it to every text field) and again in
the domain functions that also take text from elsewhere (chat over Socket.IO,
welcomes, thanks and replies), so that no path stores what another refuses.

The rules:

- line breaks are made ``\\n`` (browsers send ``\\r\\n``);
- C0 and C1 control characters (category Cc: NUL, ESC, DEL, U+0080-U+009F...)
  are dropped, except tab and newline: they mean nothing in a post, they can
  hide text in a terminal or a log, and PostgreSQL refuses NUL in text (an
  error, so a 500, on input anyone can type);
- the bidirectional overrides and isolates (U+202A-U+202E, U+2066-U+2069) are
  dropped: they make "evil.exe" display as another name and turn the rest of
  a page around. The plain marks (U+200E, U+200F), which cannot, are kept, as
  are joiners, which emoji need;
- the result is NFC-normalised, so that the same name typed on two systems is
  the same string (search, uniqueness, the coach's fingerprints).

Cleaning never fails and never trims: trimming and length are each field's
rules.
"""

from __future__ import annotations

import re
import unicodedata

BIDI_CONTROLS = frozenset("\u202a\u202b\u202c\u202d\u202e\u2066\u2067\u2068\u2069")
# C0 without tab and newline, DEL, C1: exactly Unicode's category Cc bar the two.
_CONTROLS = re.compile("[\x00-\x08\x0b-\x1f\x7f-\x9f\u202a-\u202e\u2066-\u2069]")


def clean_text(text: str | None) -> str:
    """``text`` with newlines made ``\\n``, controls and bidi overrides dropped, NFC."""
    if not text:
        return ""
    text = text.replace("\r\n", "\n").replace("\r", "\n")
    return unicodedata.normalize("NFC", _CONTROLS.sub("", text))


def clean_line(text: str | None) -> str:
    """One line of text (a name, a title): cleaned, and line breaks made spaces."""
    return clean_text(text).replace("\n", " ")


def clean_field_data(value):
    """The WTForms filter: strings cleaned, anything else (None, lists) as it is."""
    return clean_text(value) if isinstance(value, str) else value
