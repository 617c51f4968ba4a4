"""The network and the chat: personal welcomes written the way the coach
(community.network.coach) asks (a question, about the other person, naming
what they write or want help with, no link), and the conversations matched
and connected members have.

Welcomes take ``{first}`` (the recipient's first name), ``{genre}`` (one of
their genres) and ``{want}`` (something they would love help with), lower
case. Chat lines take ``{asker}``/``{helper}`` (first names) and ``{genre}``.
"""

from __future__ import annotations

WELCOMES = (
    "Hello {first}, thank you for the follow! I see you write {genre}: what are you working "
    "on at the moment? If you would like a hand with {want}, tell me and we can swap pages.",
    "{first}, welcome! How long have you been writing {genre}, and what got you started? I "
    "would love to hear about your book, and if {want} is where you are stuck, you can "
    "always ask.",
    "Thank you for following back, {first}! What is the {genre} project you are most excited "
    "about right now? If you want another pair of eyes, or help with {want}, just say.",
    "Hi {first}! It is lovely to meet another {genre} writer. What stage is your book at? You "
    "mention {want} on your profile: I would be glad to help whenever you are ready.",
    "{first}, thanks for the follow. Tell me all about yourself: what do you love most about "
    "writing {genre}? If {want} is on your list, maybe we could trade notes?",
    "So glad you found me, {first}. Your {genre} sounds like exactly the kind of book I read: "
    "where does your story start? If you need help with {want}, you only have to ask.",
)

# A match's first days: who speaks ("asker" or "helper") and what they say.
MATCH_OPENINGS = (
    (
        (
            "asker",
            "Hi {helper}! Thank you so much for offering to help. Where would you like "
            "me to send the pages?",
        ),
        (
            "helper",
            "Hello {asker}! Here is perfect, or a shared document if you prefer. Is "
            "there anything you are most worried about?",
        ),
        (
            "asker",
            "The middle, honestly. I have rewritten it three times and I can no longer "
            "tell whether it works.",
        ),
        (
            "helper",
            "That is the part everyone loses perspective on. Send the whole thing and "
            "I will read the middle twice.",
        ),
        ("asker", "Sent! No rush at all, and thank you again."),
    ),
    (
        (
            "helper",
            "Hi {asker}, I am so glad you accepted! I read your request twice: which "
            "part would you like me to look at first?",
        ),
        (
            "asker",
            "Thank you, {helper}! The opening, please. Everyone says it starts too "
            "slowly and I cannot see where.",
        ),
        (
            "helper",
            "Then I will read it as a stranger in a bookshop would, and tell you the "
            "exact line where I would have put it down.",
        ),
        ("asker", "That is exactly what I need. It is on its way."),
    ),
    (
        (
            "asker",
            "Hello {helper}, thank you for saying yes! Would a short call help, or do "
            "you prefer to write?",
        ),
        (
            "helper",
            "Writing suits me best, if that is all right. I keep evenings free for "
            "this. What would make this a success for you?",
        ),
        (
            "asker",
            "Knowing whether the {genre} side of it convinces someone who reads a lot of it.",
        ),
        (
            "helper",
            "I can do that. I will mark every place where I stop believing, and every "
            "place where I could not stop reading.",
        ),
    ),
)
# The check-in of a match under way.
MATCH_CHECK_INS = (
    (
        ("helper", "A quick check-in: I am halfway through and enjoying it a lot."),
        ("asker", "What a relief! Did anything drag?"),
        (
            "helper",
            "A little around the second set piece. My notes are in the margins, more "
            "by the weekend.",
        ),
        ("asker", "Perfect. Take all the time you need."),
    ),
    (
        ("asker", "Hi {helper}, just checking that the file opened all right?"),
        (
            "helper",
            "It did! Sorry for the silence, a busy week. I will have my notes to you on Sunday.",
        ),
        ("asker", "No apology needed. Thank you!"),
    ),
)
# After the help, before or with the thank-you.
MATCH_CLOSINGS = (
    (
        ("asker", "I read all your notes last night. You were right about the ending."),
        ("helper", "I am so glad they helped! What will you work on first?"),
        ("asker", "Cutting the prologue, then the second act. I owe you one."),
        (
            "helper",
            "You owe me nothing: pass it on to the next person who asks. And tell me how it goes!",
        ),
    ),
    (
        ("helper", "Here are my last notes. It was a joy to read, truly."),
        (
            "asker",
            "Thank you, {helper}. I have a page of things to try, and for the first "
            "time in months I am excited to revise.",
        ),
    ),
)
# Two connected members, after their welcomes.
CONNECTION_CHATS = (
    (
        ("a", "Thank you for the lovely welcome! How is your {genre} draft going?"),
        ("b", "Slowly but happily: I finished a chapter this morning. What are you working on?"),
        ("a", "A second draft, which means cutting my favourite scenes. Do you swap chapters?"),
        ("b", "Gladly. Send me your opening whenever you are ready."),
    ),
    (
        ("a", "I loved your note, thank you. Are you going to the online festival next month?"),
        ("b", "I am! I would love to say hello there. Which talks are you going to?"),
        ("a", "The one on openings, and the agents' panel. See you there?"),
        ("b", "See you there!"),
    ),
    (
        ("a", "Your profile says you are querying: how is it going?"),
        ("b", "Two full requests so far! And many kind rejections. How do you keep going?"),
        ("a", "Chocolate, and friends like you. Tell me when you hear back?"),
    ),
)
