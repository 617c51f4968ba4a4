"""Kindness: thank-you notes, and the stories (chains of help months apart)
that make kindness come back, the host's too."""

from __future__ import annotations

from dataclasses import dataclass

from community.demo.content.requests import RequestTemplate

THANKS_NOTES = (
    "{name}, your notes changed how I see this {genre} book. You found the sagging middle I "
    "could feel but not name. Thank you.",
    "Thank you, {name}! You were honest and kind in exactly the right measure, and for the "
    "first time in months I know what to fix first.",
    "I was stuck for weeks, and one conversation with {name} got me writing again. I am so "
    "grateful for your time.",
    "{name} read every page with care and sent back margin notes that made me laugh and "
    "wince in equal measure. Thank you for being so generous.",
    "{name}, you asked the one question about my {genre} story that nobody had asked, and "
    "the whole second act fell into place. Thank you.",
    "Thank you, {name}, for your patience with all my questions. You made the scary part "
    "feel possible, and I want to do the same for someone else.",
    "{name} turned my muddle into a plan in under an hour. I printed your notes and pinned "
    "them above my desk.",
)
OUTSIDE_NOTES = (
    "{name} spent an evening on a call with me going through my list of agents, one by one. "
    "Nobody asked them to. Thank you!",
    "When an agent sent my chapter back with a single line, {name} sat with me in the chat "
    "until I could laugh about it. Thank you for being there.",
    "{name} sent me their own launch checklist and answered every one of my questions about "
    "ARC readers. I owe you one, and I will pass it on.",
    "{name} read my synopsis on a train, on their phone, and still found the two sentences "
    "that did not belong. Thank you for that kindness on a busy day.",
)


@dataclass(frozen=True)
class StoryStep:
    """One act of help in a deliberate story: ``helper`` helped ``helped``
    about ``days_ago`` days ago, through a match on ``template`` (a request
    the helped member posts) or, without one, outside the site's matches."""

    helper: str
    helped: str
    days_ago: float
    template: RequestTemplate | None = None
    pledge: bool = False
    private: bool = False


def _story_request(title, details, skills, genre, effort) -> RequestTemplate:
    return RequestTemplate(title, details, skills, genre, effort=effort)


# Stories told in the demo's history, so that kindness visibly comes back.
# Roles are filled with demo volunteers (``host`` is the host account); each
# story's acts are months apart, the last one helping its first helper.
STORIES = (
    # The host helped Ann; Ann helped Raj; Raj helped the host (HOST_PAST, a few weeks ago).
    StoryStep(
        "host",
        "ann",
        100,
        _story_request(
            "Does my fantasy prologue earn its place?",
            "Everyone tells me to cut my prologue: a storm, a drowned bell, a child who hears "
            "it ring. I think the book needs it. Would someone who loves fantasy read the "
            "prologue and the first chapter and tell me honestly?",
            ("critique", "beta-reading"),
            "fantasy",
            "two chapters",
        ),
        pledge=True,
    ),
    StoryStep("ann", "raj", 64, pledge=True),
    # A four-step chain that comes back to Priya.
    StoryStep(
        "priya",
        "quinn",
        118,
        _story_request(
            "My first query letter: where is the hook?",
            "I am about to query for the first time with a literary novel about two sisters "
            "who run a failing cinema. My letter explains everything and says nothing. Help "
            "me find the one sentence that makes an agent read on.",
            ("query-letters",),
            "general-fiction",
            "about an hour",
        ),
        pledge=True,
    ),
    StoryStep(
        "quinn",
        "rosa",
        86,
        _story_request(
            "Beta reader for a short crime novel set in a ferry port",
            "A 60k-word crime novel: a harbour master, a missing deckhand and a storm that "
            "closes the port for three days. Does the mystery hold, and did you guess too early?",
            ("beta-reading",),
            "crime",
            "a 60k-word manuscript",
        ),
        pledge=True,
    ),
    StoryStep("rosa", "sam", 53, pledge=True),
    StoryStep(
        "sam",
        "priya",
        19,
        _story_request(
            "Newsletter welcome email for a new romance author",
            "I finally started a newsletter for my romance readers. My welcome email is long "
            "and apologetic. What should the first email a new subscriber gets actually say?",
            ("newsletters", "marketing"),
            "romance",
            "half an hour",
        ),
        pledge=True,
    ),
    # A triangle: Theo helped Uma, Uma helped Vic, Vic helped Theo.
    StoryStep("theo", "uma", 95, private=True),
    StoryStep(
        "uma",
        "vic",
        60,
        _story_request(
            "Accountability for the last 20,000 words of my draft",
            "I am 20,000 words from the end of my horror novel and I keep finding reasons not "
            "to write. A short check-in twice a week would get me over the line.",
            ("accountability", "moral-support"),
            "horror",
            "ten minutes twice a week",
        ),
        pledge=True,
    ),
    StoryStep(
        "vic",
        "theo",
        11,
        _story_request(
            "Cover feedback: which of three thumbnails reads as science fiction?",
            "Three cover concepts for my self-published science fiction novella. At thumbnail "
            "size, which one tells you the genre, and which one would you click?",
            ("cover-design",),
            "science-fiction",
            "twenty minutes",
        ),
    ),
    # The host's help comes back again, a few days ago: host -> Wren -> Xan -> host.
    StoryStep(
        "host",
        "wren",
        45,
        _story_request(
            "Two pages of worldbuilding notes: too much for chapter one?",
            "My science fiction opening explains the moon colony's history before anything "
            "happens. Would a reader who loves the genre mark what can wait until later?",
            ("critique",),
            "science-fiction",
            "two chapters",
        ),
        pledge=True,
    ),
    StoryStep(
        "wren",
        "xan",
        24,
        _story_request(
            "Synopsis for a cozy mystery in a village bookshop",
            "Book one of a cozy mystery series: a bookseller, a stolen first edition and a "
            "village fete. My synopsis hides the killer's motive. Help me make it one clear page.",
            ("synopsis",),
            "mystery",
            "about an hour",
        ),
        pledge=True,
    ),
    StoryStep("xan", "host", 3),
)
# Who helps the host with HOST_PAST (the last step of the host's story).
HOST_PAST_HELPER = "raj"
