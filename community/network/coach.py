"""The welcome coach: kind, live hints on a draft welcome note.

A pure function of the draft, what the recipient's profile says, and what
the writer has sent others lately. It never refuses anything: the two rules
the server enforces (a note that is only a link, one text pasted to many
people) live in community.network.welcomes, which uses the helpers here.

The hints lean one way, the way ORIGIN.txt does: a note about the other
person, asking them something, mentioning what they care about, beats
"thanks for following" and a link to what the writer sells.
"""

from __future__ import annotations

import hashlib
import re
from collections.abc import Iterable
from dataclasses import asdict, dataclass, field

from community.words import keywords

URL = re.compile(r"(?:https?://|www\.)\S+", re.IGNORECASE)
WORD = re.compile(r"[\w'\u2019]+", re.UNICODE)
YOU_WORDS = frozenset({"you", "your", "yours", "yourself", "you're", "you've", "you'll", "you'd"})
ME_WORDS = frozenset({"i", "me", "my", "mine", "myself", "i'm", "i've", "i'll", "i'd"})
# Asking without a question mark: "tell me all about yourself", "don't hesitate
# to ask" (ORIGIN.txt's own note). Such invitations, and offers of help ("if
# there's any way I can help"), turn toward the other person: they count as
# "you", and their "I" and "me" do not count as talking about oneself.
INVITATION = re.compile(
    r"\b(?:tell me|write to me|let me know how|(?:don't|do not) hesitate to ask|feel free to ask"
    r"|(?:i'd|i would) love to (?:hear|know))\b"
)
OFFER = re.compile(r"\b(?:(?:how )?(?:can|could|may) i help|i (?:can|could) help)\b")
# Words too common in about texts and notes to show the writer read the profile,
# as words.keywords stems them ("loved" is "lov", "readers" is "read").
GENERIC = frozenset(
    {"thank", "follow", "love", "lov", "novel", "story", "work", "read", "new", "great", "author"}
)
# A note with fewer letters than this outside its links is "mostly a link"
# ("Thanks for following! Check out my book: <link>" has 32).
OWN_WORDS_MIN = 60
SHORT_NOTE = 40
TEMPLATE_PEOPLE = 2  # the same text already sent to this many others: a template


@dataclass(frozen=True)
class Recipient:
    """What the coach knows of the person the note is for."""

    display_name: str
    genres: tuple[str, ...] = ()
    wants: tuple[str, ...] = ()  # "I'd love help with"
    about: str = ""
    stage: str | None = None

    @property
    def first_name(self) -> str:
        return self.display_name.split()[0] if self.display_name.split() else ""


@dataclass(frozen=True)
class Hint:
    code: str  # asks, about_them, mentions_them, own_words, template, length
    ok: bool  # True: the draft already does this well
    message: str


@dataclass
class Coaching:
    hints: list[Hint] = field(default_factory=list)

    @property
    def score(self) -> int:
        """How many of the hints the draft already satisfies."""
        return sum(hint.ok for hint in self.hints)

    def as_json(self) -> dict:
        return {"hints": [asdict(hint) for hint in self.hints], "score": self.score}

    def codes(self, ok: bool | None = None) -> set[str]:
        return {hint.code for hint in self.hints if ok is None or hint.ok == ok}


def without_links(text: str) -> str:
    return URL.sub(" ", text)


def own_words_length(text: str) -> int:
    """Characters of the note that are the writer's words (links and spacing aside)."""
    return len(re.sub(r"[\W_]+", "", without_links(text), flags=re.UNICODE))


def is_only_link(text: str) -> bool:
    return bool(URL.search(text)) and own_words_length(text) == 0


def fingerprint(text: str, recipient_name: str = "") -> str:
    """The text with case, spacing, punctuation and the recipient's names taken
    out, hashed: two notes that differ only in those are one template."""
    normalized = text.lower().replace("\u2019", "'")
    for name in recipient_name.lower().split():
        normalized = re.sub(rf"\b{re.escape(name)}\b", " ", normalized)
    normalized = " ".join(WORD.findall(normalized))
    return hashlib.sha256(normalized.encode()).hexdigest()


def _plain(text: str) -> str:
    """Lower case, links out, a typographic apostrophe (U+2019) as a plain one: "you're"."""
    return without_links(text).lower().replace("\u2019", "'")


def _asks(text: str) -> bool:
    plain = _plain(text)
    return "?" in plain or bool(INVITATION.search(plain))


def _you_and_me(text: str) -> tuple[int, int]:
    """How often the draft turns to the reader ("you", an invitation to talk, an offer
    of help) and to the writer ("I", "me", "my" outside those invitations and offers)."""
    plain = _plain(text)
    plain, invitations = INVITATION.subn(" ", plain)
    plain, offers = OFFER.subn(" ", plain)
    words = WORD.findall(plain)
    you = sum(word in YOU_WORDS for word in words) + invitations + offers
    return you, sum(word in ME_WORDS for word in words)


def _phrase_in(phrase: str, lowered: str, draft_keywords: frozenset[str]) -> bool:
    """Whether the draft names a genre or skill: as written, or its words in any form
    ("thrillers" for "Thriller and suspense", "your query letter" for "Query letters")."""
    phrase = phrase.lower()
    if re.search(rf"\b{re.escape(phrase)}\b", lowered):
        return True
    for part in phrase.split(" and "):
        words = keywords(part)
        if words and words <= draft_keywords:
            return True
    return False


def _mentions(text: str, recipient: Recipient) -> list[str]:
    """What of the recipient's profile the draft mentions (genres, wants, about words)."""
    lowered = _plain(text)
    draft_keywords = keywords(lowered)
    found = [
        phrase
        for phrase in (*recipient.genres, *recipient.wants)
        if phrase and _phrase_in(phrase, lowered, draft_keywords)
    ]
    if found:
        return found
    shared = (keywords(recipient.about) & draft_keywords) - GENERIC
    return sorted(shared)[:2]


def _profile_prompt(recipient: Recipient) -> str:
    parts = []
    if recipient.genres:
        parts.append(f"they write {recipient.genres[0].lower()}")
    if recipient.wants:
        parts.append(f"they would love help with {recipient.wants[0].lower()}")
    if recipient.stage:
        parts.append(f"they are {recipient.stage.lower()}")
    if not parts:
        return "Their profile is short: ask them what they are writing."
    return "Mention something from their profile: " + " and ".join(parts[:2]) + "."


def coach(
    draft: str, recipient: Recipient, earlier_notes: Iterable[tuple[str, str]] = ()
) -> Coaching:
    """Hints on ``draft`` for ``recipient``.

    ``earlier_notes`` are (text, recipient display name) of notes the writer
    sent others recently, to spot a pasted template.
    """
    draft = draft or ""
    hints: list[Hint] = []
    name = recipient.first_name

    if _asks(draft):
        hints.append(Hint("asks", True, f"You ask {name} something: that is how it starts."))
    else:
        hints.append(
            Hint(
                "asks",
                False,
                f"Ask {name} something: what are they working on, and how could you help?",
            )
        )

    you, me = _you_and_me(draft)
    if you and you >= me:
        hints.append(Hint("about_them", True, f"Your note is about {name} more than about you."))
    else:
        hints.append(
            Hint(
                "about_them",
                False,
                f"It says “I” more than “you”. Turn a sentence toward {name}.",
            )
        )

    mentioned = _mentions(draft, recipient)
    if mentioned:
        hints.append(
            Hint("mentions_them", True, f"You mention {', '.join(mentioned)}: they will notice.")
        )
    else:
        hints.append(Hint("mentions_them", False, _profile_prompt(recipient)))

    if URL.search(draft) and own_words_length(draft) < OWN_WORDS_MIN:
        hints.append(
            Hint(
                "own_words",
                False,
                "This is mostly a link. Say something to them, personally; a link can come later.",
            )
        )

    mine = fingerprint(draft, recipient.display_name)
    same = {
        other for text, other in earlier_notes if fingerprint(text, other) == mine and draft.strip()
    }
    if len(same) >= TEMPLATE_PEOPLE:
        hints.append(
            Hint(
                "template",
                False,
                f"You sent this same note to {len(same)} others lately. People can tell: "
                f"make it {name}'s own.",
            )
        )

    if 0 < own_words_length(draft) < SHORT_NOTE and not URL.search(draft):
        hints.append(Hint("length", False, "A couple of sentences go a long way."))
    return Coaching(hints)
