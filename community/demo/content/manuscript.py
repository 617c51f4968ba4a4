"""The host's manuscript, The Salt Lantern: its text (pasted text, as the
author would paste it: ``#`` headings start chapters, blank lines part
paragraphs), the author's questions, and what its readers say about it.

Comments name their paragraph by its place in the chapter and quote words
of it; the play checks the quote is there (the domain refuses one that is
not)."""

from __future__ import annotations

from dataclasses import dataclass

TITLE = "The Salt Lantern"

TEXT = """\
# Chapter One: The Keeper's Apprentice

Wren was eleven the winter her aunt sent her to the lighthouse at Harrow Point, with a \
letter, a pair of boots a size too big and strict instructions not to ask the keeper about \
his hands.

The keeper's name was Absalom Finch, and his hands were the first thing she looked at. \
They were grey to the wrist, as if he had dipped them in ash and never washed it off, and \
they did not shake when he lifted the lantern's glass, though everything else about him did.

"You'll trim the wick at dusk and at midnight," he said, "and you'll never, ever let it go \
out. Not for a storm, not for a fever, not for me."

She asked him why, because she was eleven and asking why was the only power she had. He \
looked at the sea for a long time before he answered, and when he did it was only to say \
that some things sleep better with a light on.

That night she lay awake in the little room under the lamp and listened to the water. It \
did not sound like the sea at home. It sounded like breathing.

# Chapter Two: What the Tide Keeps

By March Wren could trim the wick in the dark, and by April she had stopped being afraid \
of the stairs. She had not stopped being afraid of the sound.

The fishermen at Harrow would not come within a mile of the point after sunset. They left \
oil and bread on the jetty on Thursdays and rowed away without waiting to be thanked, and \
once, when Wren waved to them, a boy in the nearest boat made a sign against her with two \
fingers.

"They think I'm cursed," Absalom said, when she told him. "They're not wrong. They're \
just not right either."

He showed her the ledger that night: two hundred years of keepers, each name written in a \
different hand, and beside each one the date the light had failed. There were only three \
dates. The last was forty years ago, and beside it someone had written, in small careful \
letters, *the village of Esk*.

There was no village of Esk on any map Wren had ever seen.

# Chapter Three: The Lantern Goes Out

It happened on the night of the spring tide, the one night Absalom had told her to expect \
trouble, and it was not the storm that did it. It was Wren.

She had only gone down for the oil. Four flights, a minute at most; she had done it a \
hundred times. But on the third landing she heard her name said softly from the sea side \
of the wall, in her mother's voice, and she stopped to listen.

When she climbed back up, the lamp room was dark, and the breathing had stopped.

Absalom was standing at the glass with his grey hands flat against it. He did not turn \
around. "Light it," he said, very quietly. "Light it now, Wren, and do not look down."

She looked down.
"""

# The author's questions, by chapter.
QUESTIONS = {
    1: "Do you care about Wren by the end of this chapter? If not, where did you lose her?",
    3: "Did the ending of this chapter surprise you, or did you see it coming?",
}


@dataclass(frozen=True)
class ReaderNote:
    """A comment on words of a paragraph (``paragraph`` set) or a note at the
        end of a chapter; ``reply`` is the author's answer, ``resolved`` whether
        the author marked it done. ``moment`` is when it was written, as a share of
    the time between sharing the text and now."""

    reader: str  # "first" (the volunteer persona) or "second"
    chapter: int
    body: str
    moment: float
    paragraph: int | None = None
    quote: str = ""
    reply: str = ""
    resolved: bool = False


READER_NOTES = (
    ReaderNote(
        "first",
        1,
        "I love this detail: it tells me everything about the aunt in six words, and it "
        "made me smile.",
        moment=0.30,
        paragraph=1,
        quote="a pair of boots a size too big",
        reply="Thank you! The aunt gets her own scene in chapter five, so I'm glad she lands.",
    ),
    ReaderNote(
        "first",
        1,
        "This is the line that hooked me. Could it come a little earlier in the chapter?",
        moment=0.33,
        paragraph=4,
        quote="some things sleep better with a light on",
        reply="I tried it on the first page in an early draft and it felt too knowing. "
        "I'll look again.",
        resolved=True,
    ),
    ReaderNote(
        "first",
        1,
        "A lovely quiet opening chapter. I wanted one more beat of Wren's own feeling "
        "before the breathing line: is she homesick, or excited?",
        moment=0.36,
    ),
    ReaderNote(
        "first",
        2,
        "The boy's gesture is chilling. I'd cut 'once' so it reads as something that "
        "happens every time.",
        moment=0.70,
        paragraph=2,
        quote="made a sign against her with two",
    ),
    ReaderNote(
        "first",
        2,
        "Goosebumps. Is Esk going to matter later? I'm already hoping it does.",
        moment=0.72,
        paragraph=4,
        quote="the village of Esk",
    ),
    ReaderNote(
        "second",
        1,
        "Small thing: 'they did not shake' then 'everything else about him did' is a "
        "great contrast, but I read it twice to get it. Maybe 'though the rest of him did'?",
        moment=0.55,
        paragraph=2,
        quote="though everything else about him did",
        reply="Good catch, I'll try that.",
    ),
)

# What the readers answered to the author's questions, by chapter.
ANSWERS = {
    ("first", 1): "Yes, completely. The moment she asks why because it's the only power "
    "she has, I was on her side.",
    ("second", 1): "I cared by the lighthouse scene, but the first paragraph is a lot of "
    "setup before she does anything. Maybe start on the stairs?",
}

ASKED_AT = 0.05  # the author asks the questions soon after sharing the text
REPLY_AFTER = 0.06  # the author replies this share of the time after a comment
# How far each reader has read: (chapter, when) marked read, then the chapter they are in.
PROGRESS = {
    "first": {"read": ((1, 0.38), (2, 0.75)), "at": (3, 0.78)},
    "second": {"read": ((1, 0.58),), "at": (2, 0.60)},
}
# The second reader is invited to the first chapters only.
SECOND_READER_CHAPTERS = (1, 2)
ANSWERED_AT = {("first", 1): 0.37, ("second", 1): 0.56}
