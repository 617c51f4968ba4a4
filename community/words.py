"""The content words of a text, for comparing texts without a search engine.

The matching engine compares a request's words with a volunteer's, and the
welcome coach looks in a draft for the words of the recipient's profile;
both need the same notion of "a word": lower-cased, three letters or more,
not a stopword, crudely stemmed so that "reading", "reads" and "reader"
meet. Pure functions; this module imports nothing of Kindred.
"""

from __future__ import annotations

import re

_STOPWORDS = frozenset(
    """about above after again against also among and any are because been before being
    below between both but can could did does doing down during each few for from further
    had has have having her here hers him his how into its itself just like more most
    much need needs not now off once only other our ours out over own really same she
    should some such than that the their theirs them then there these they this those
    through too under until very want was way were what when where which while who whom
    why will with would you your yours book books write writing writer help please""".split()
)
_WORD = re.compile(r"[a-zà-ÿ]{3,}")


def _stem(word: str) -> str:
    """A crude English stemmer: enough that "reading"/"reads"/"reader" meet."""
    if word.endswith("ies") and len(word) > 4:
        return word[:-3] + "y"
    if word.endswith(("sses", "xes", "zes", "ches", "shes")):
        return word[:-2]
    for suffix in ("ings", "ing", "ers", "ed", "er", "s"):
        if word.endswith(suffix) and len(word) - len(suffix) >= 3 and not word.endswith("ss"):
            return word[: -len(suffix)]
    return word


def keywords(text: str | None) -> frozenset[str]:
    """The content words of a text, lower-cased and crudely stemmed."""
    return frozenset(
        _stem(word) for word in _WORD.findall((text or "").lower()) if word not in _STOPWORDS
    )
