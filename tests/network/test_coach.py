"""The welcome coach: a table of real-looking welcome notes and the hints they get.

Pure functions: no app or database (the coach borrows the matching engine's
plain ``keywords`` function).
"""

from __future__ import annotations

import pytest

from community.network.coach import Recipient, coach, fingerprint, is_only_link

MAYA = Recipient(
    display_name="Maya Okafor",
    genres=("Fantasy", "Thriller and suspense"),
    wants=("Query letters",),
    about=(
        "Working on my first novel, which I love: a cosy mystery in a Cornish fishing "
        "village, where the detective is a retired lighthouse keeper."
    ),
    stage="Querying agents",
)

# ORIGIN.txt's own note to a new follower: the way the coach wants it.
ORIGIN_NOTE = (
    "Thanks for following: I've reciprocated. Please write to and tell me all about "
    "yourself. If there's any way I can help, be supportive, don't hesitate to ask. "
    "That's what my retirement career is all about: helping people."
)

NOTES = [
    pytest.param(
        ORIGIN_NOTE,
        {"asks": True, "about_them": True, "mentions_them": False},
        id="origin-tell-me-about-yourself",
    ),
    pytest.param(
        "Hi Maya, thanks for the follow! What are you working on at the moment?",
        {"asks": True, "about_them": True, "mentions_them": False},
        id="asks-what-they-work-on",
    ),
    pytest.param(
        "Welcome Maya! I see you write thrillers. What are you working on now?",
        {"asks": True, "about_them": True, "mentions_them": True},
        id="mentions-their-genre-in-another-form",
    ),
    pytest.param(
        "Welcome! Fantasy is my first love too. What world are you building, and is "
        "there anything I can help with?",
        {"asks": True, "about_them": True, "mentions_them": True},
        id="mentions-their-genre-offers-help",
    ),
    pytest.param(
        "Hello! Your query letter sounds like a battle. I'd be glad to read it if you "
        "want a second pair of eyes.",
        {"asks": False, "about_them": True, "mentions_them": True},
        id="mentions-what-they-want-help-with",
    ),
    pytest.param(
        "Lovely to meet you. A retired lighthouse keeper as a detective: I love that. "
        "How did you come up with him?",
        {"asks": True, "about_them": True, "mentions_them": True},
        id="mentions-their-about-text",
    ),
    pytest.param(
        "I\u2019m so glad you\u2019re here, you\u2019ll find good people. I\u2019m around "
        "if you\u2019d like a reader.",
        {"asks": False, "about_them": True, "mentions_them": False},
        id="typographic-apostrophes",
    ),
    pytest.param(
        "Thanks for following! Check out my book https://amzn.to/3xYzAb",
        {"asks": False, "about_them": False, "mentions_them": False, "own_words": False},
        id="thanks-and-a-sales-link",
    ),
    pytest.param(
        "Thanks for following! My new novel is out, I love it: https://amzn.to/3xYzAb",
        {"asks": False, "about_them": False, "mentions_them": False, "own_words": False},
        id="thanks-and-a-link-sharing-only-common-words",
    ),
    pytest.param(
        "Thanks for following! I'm an indie author and my new thriller is out now: three "
        "years of work and I'm so proud of it. Grab your copy at https://example.com/buy",
        {"asks": False, "about_them": False, "mentions_them": True},
        id="all-about-me-with-a-link",
    ),
    pytest.param(
        "https://example.com/buy",
        {"asks": False, "about_them": False, "mentions_them": False, "own_words": False},
        id="only-a-link",
    ),
    pytest.param(
        "www.example.com",
        {"asks": False, "about_them": False, "mentions_them": False, "own_words": False},
        id="only-a-www-link",
    ),
    pytest.param(
        "thx",
        {"asks": False, "about_them": False, "mentions_them": False, "length": False},
        id="thx",
    ),
    pytest.param(
        "Thanks for the follow. Have a great day!",
        {"asks": False, "about_them": False, "mentions_them": False, "length": False},
        id="polite-but-says-nothing",
    ),
    pytest.param(
        "What do you write?",
        {"asks": True, "about_them": True, "mentions_them": False, "length": False},
        id="a-question-but-short",
    ),
    pytest.param(
        "I am so happy to have new followers. I love my readers and I thank each of them "
        "for every review of my books.",
        {"asks": False, "about_them": False, "mentions_them": False},
        id="me-me-me",
    ),
]


@pytest.mark.parametrize(("note", "expected"), NOTES)
def test_the_coach_on_real_looking_notes(note, expected):
    coaching = coach(note, MAYA)
    assert {hint.code: hint.ok for hint in coaching.hints} == expected
    assert coaching.score == sum(expected.values())
    assert all(hint.message for hint in coaching.hints)


TEMPLATE = "Hi {name}, thanks for following!! Check out my book: https://example.com/buy"
SENT_TO_OTHERS = [
    (TEMPLATE.format(name="Tom"), "Tom Reed"),
    (TEMPLATE.format(name="Ann").upper(), "Ann Lee"),
]


@pytest.mark.parametrize(
    ("draft", "earlier", "template"),
    [
        pytest.param(
            "hi maya -- Thanks for following! check out my book https://example.com/buy",
            SENT_TO_OTHERS,
            True,
            id="same-text-names-swapped-to-two-others",
        ),
        pytest.param(
            TEMPLATE.format(name="Maya"), SENT_TO_OTHERS[:1], False, id="sent-to-one-other"
        ),
        pytest.param(
            TEMPLATE.format(name="Maya"),
            [(TEMPLATE.format(name="Tom"), "Tom Reed")] * 3,
            False,
            id="sent-three-times-to-the-same-one",
        ),
        pytest.param(
            "Hi Maya! What are you working on?", SENT_TO_OTHERS, False, id="a-different-text"
        ),
        pytest.param("", [("", "Tom Reed"), ("", "Ann Lee")], False, id="empty-drafts"),
    ],
)
def test_the_coach_spots_a_pasted_template(draft, earlier, template):
    coaching = coach(draft, MAYA, earlier)
    assert ("template" in coaching.codes(ok=False)) is template
    if template:
        [hint] = [hint for hint in coaching.hints if hint.code == "template"]
        assert "2 others" in hint.message and "Maya" in hint.message


def test_the_hints_name_the_recipient_and_point_at_their_profile():
    coaching = coach("", MAYA)
    messages = {hint.code: hint.message for hint in coaching.hints}
    assert "Ask Maya something" in messages["asks"]
    assert "they write fantasy" in messages["mentions_them"]
    assert "query letters" in messages["mentions_them"]
    bare = coach("Hello there, nice to meet you.", Recipient("Tom Reed"))
    assert "Their profile is short" in {h.code: h.message for h in bare.hints}["mentions_them"]


def test_the_coaching_as_json():
    data = coach("What are you writing, Maya?", MAYA).as_json()
    assert set(data) == {"hints", "score"}
    assert data["hints"][0] == {
        "code": "asks",
        "ok": True,
        "message": "You ask Maya something: that is how it starts.",
    }
    assert data["score"] == sum(hint["ok"] for hint in data["hints"])


@pytest.mark.parametrize(
    ("text", "only_link"),
    [
        ("https://example.com/buy", True),
        ("www.example.com", True),
        ("  http://a.example/x \n\n https://b.example/y  ", True),
        ("<https://example.com/buy>!", True),
        ("Hi! https://example.com/buy", False),
        ("Loved your post: www.example.com", False),
        ("no link here", False),
        ("", False),
        ("!!!", False),
    ],
)
def test_is_only_link(text, only_link):
    assert is_only_link(text) is only_link


def test_fingerprint_ignores_case_spacing_punctuation_and_the_recipients_name():
    base = fingerprint("Hi Maya, thanks for following! Check out my book.", "Maya Okafor")
    assert base == fingerprint("hi   MAYA -- thanks for following check out my book", "Maya Okafor")
    assert base == fingerprint("Hi Tom, thanks for following! Check out my book!", "Tom Reed")
    assert base == fingerprint("Hi Okafor! thanks for following; check out my book", "Maya Okafor")
    # Only the recipient's own name is taken out.
    assert base != fingerprint("Hi Maya, thanks for following! Check out my book.", "Tom Reed")
    assert base != fingerprint("Hi Maya, thanks for following! Read my blog.", "Maya Okafor")
    # A possessive, and a typographic apostrophe, are the same text.
    assert fingerprint("I loved Maya's post!", "Maya Okafor") == fingerprint(
        "I loved Tom's post", "Tom Reed"
    )
    assert fingerprint("Don\u2019t be a stranger", "") == fingerprint("don't be a stranger!", "")
    assert len(base) == 64
