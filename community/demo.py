"""A realistic demo community, so that a newcomer has people to look at.

Members get varied names, stages, genres, wants and offers, timezones and
links. Most of them keep a volunteer offer; help requests are played out in
every state (open, matched, completed, closed, expired) with answers,
invitations, questions, declines with kind reasons, and matches (active,
completed, cancelled with a reason), all through the domain functions so
that the search index, capacities and ranks hold, then dated in the past.
The host (an admin) has an open request with answers, an active match each
way, a pending invitation and an offer, so a newcomer logging in as the host
sees every part of the site.

Completed help is thanked (some thank-yous kept private, many with a pledge
to pay it forward), and a few deliberate stories (STORIES) run through the
months so that kindness comes back: a three-step and a four-step chain, and
two that come back to the host. The ripples are rebuilt at the end, pledges
kept by the dated acts, and came-back events dated when their chain ended.

Every choice is drawn from a random generator seeded by the seed and the
thing being made, so the same seed gives the same community. Running it
again adds nothing that is already there. Like the site, it sends the
emails its events cause (to MAIL_FILE_DIR without an SMTP server).
"""

from __future__ import annotations

import random
from dataclasses import dataclass, field
from datetime import datetime, timedelta

import click
from flask import current_app
from sqlalchemy import func, select
from sqlalchemy.orm import joinedload, selectinload

from community.accounts.models import User
from community.accounts.passwords import hash_password
from community.db import db, utcnow
from community.errors import KindredError
from community.helping import answers, capacity, matches, offers, rank, requests
from community.helping.errors import HelpingError
from community.helping.models import (
    Answer,
    AnswerKind,
    HelpRequest,
    Match,
    MatchStatus,
    RequestStatus,
    VolunteerOffer,
)
from community.kindness import service as kindness
from community.kindness.jobs import rebuild_ripples
from community.kindness.models import (
    CameBack,
    HelpAct,
    MemberRipples,
    Pledge,
    Thanks,
    ThanksStatus,
)
from community.notifications.models import Notification
from community.profiles.models import Genre, Profile, ProfileLink, Skill, WritingStage

DEMO_PASSWORD = "kindred-demo-2026"  # noqa: S105  (public, documented in the README)
DEMO_DOMAIN = "example.com"
HOST_EMAIL = f"host@{DEMO_DOMAIN}"

FIRST_NAMES = (
    "Ann Raj Maya Tomás Ingrid Kwame Li Sofia Daniel Priya Oliver Amara Hiro Elena Marcus "
    "Nadia Felix Zainab Jonas Chloe Mateo Aisha Ben Yuki Grace Omar Lena Samuel Ifeoma Pablo "
    "Rosa Theo Mira Kofi Hannah Arjun Beatriz Noah Leila Ewan Carmen Dev Freya Tariq Isla "
    "Victor Nkechi Rhys Paloma Sven Ayesha Luca Martha Jun Esther Idris Clara Bruno Wanjiru"
).split()
LAST_NAMES = (
    "Okafor Lindqvist Moreau Tanaka Petrova Mensah Chen Rossi Kowalski Sharma Byrne Haddad "
    "Nakamura Silva Fischer Adeyemi Novak Garcia Walsh Ibrahim Larsen Duarte Kaur Murphy "
    "Oyelaran Dubois Jensen Costa Mwangi Reyes Takahashi Brennan Eriksen Achebe Horvat Quinn"
).split()
TIMEZONES = (
    "Europe/London Europe/Dublin Europe/Paris Europe/Berlin Europe/Stockholm America/New_York "
    "America/Chicago America/Denver America/Los_Angeles America/Toronto America/Sao_Paulo "
    "Africa/Lagos Africa/Nairobi Asia/Kolkata Asia/Tokyo Asia/Singapore Australia/Sydney "
    "Pacific/Auckland"
).split()

OPENINGS = (
    "I write {genre} in the early mornings before my day job.",
    "Retired teacher, now finally writing the {genre} novel I always talked about.",
    "Nurse by day; {genre} writer by night and on long train rides.",
    "I came to {genre} late, after twenty years in sales, and I love it.",
    "Former journalist working on my first book of {genre}.",
    "Parent of three, writing {genre} in stolen half-hours.",
    "Librarian who reads everything and writes {genre}.",
    "I have been writing {genre} since I was twelve and I am still learning.",
)
WORK = {
    "drafting": "I am deep in a first draft and trying not to edit as I go.",
    "revising": "My draft is done and I am in my third round of revisions.",
    "querying": "I am querying agents and learning to take the rejections kindly.",
    "on_submission": "My agent has the book out on submission and I am biting my nails.",
    "published": "My debut came out last year and I am working on the second book.",
    "self_published": "I self-published two books and I am learning marketing the hard way.",
}
CLOSINGS = (
    "Tell me about your book: I would love to hear what you are working on.",
    "If I can help you, ask me: that is what I am here for.",
    "Happy to swap chapters with anyone writing something similar.",
    "I answer every message, even if it takes me a day or two.",
    "Other writers helped me when I started, and I want to pass that on.",
    "Write to me and tell me all about yourself.",
)


def _about(rng: random.Random, genre_name: str, stage: str) -> str:
    first = rng.choice(OPENINGS).format(genre=genre_name.lower())
    return f"{first} {WORK[stage]}\n\n{rng.choice(CLOSINGS)}"


# --- the helping area: offers, requests, answers, invitations, matches -------

OFFER_NOTES = (
    "I read fast and I love {genre}. I will tell you where I got bored and where I could "
    "not stop reading.",
    "I queried for two years before I signed with my agent, so I have read a lot of query "
    "letters and synopses, mine included.",
    "I give line-level notes in the margins and a short letter about the big picture.",
    "Evenings and weekends. I prefer written feedback but I am happy to talk on a call.",
    "I have self-published four books and I am glad to share what I learned about covers, "
    "launches and newsletters.",
    "Gentle, honest feedback. Tell me what you are worried about and I will look at that first.",
    "Former teacher: I am good at spotting where a reader might get lost.",
    "Ask me about building a readership without losing your soul to social media.",
    "I have been in a critique group for ten years and I still love reading early drafts.",
    "Happy to be an accountability buddy: a short check-in every week works wonders.",
)
CAPACITIES = (1, 2, 2, 2, 3, 3, 4, 5)


@dataclass(frozen=True)
class RequestTemplate:
    title: str
    details: str
    skills: tuple[str, ...]
    genre: str | None
    format: str = "written"
    effort: str = ""
    helpers: int = 1


REQUESTS = (
    RequestTemplate(
        "Beta readers for my epic fantasy about a salt-mining city",
        "My second fantasy novel is finished (112k words). Two rival guilds, a drowned god and "
        "a girl who can hear the salt sing. I would love readers who tell me where the middle "
        "sags and whether the magic system makes sense without the appendix.",
        ("beta-reading", "critique"),
        "fantasy",
        effort="a 112k-word manuscript",
        helpers=3,
    ),
    RequestTemplate(
        "Query letter for my memoir about growing up on a ferry",
        "My memoir is about the eleven years my family lived and worked on a car ferry in the "
        "Hebrides. My query letter is 400 words and reads like a timetable. I need help finding "
        "the hook and cutting it down to one page.",
        ("query-letters",),
        "memoir",
        effort="about an hour",
    ),
    RequestTemplate(
        "Book proposal for a cookbook of my grandmother's Lagos recipes",
        "I have sixty tested recipes and the stories that go with them. An agent asked for a "
        "proposal and I have never written one. I would love someone who has sold a nonfiction "
        "book to talk me through the overview, the market section and the sample chapter.",
        ("book-proposals", "finding-an-agent"),
        "food",
        format="call",
        effort="two calls of an hour",
    ),
    RequestTemplate(
        "Feedback on two cover concepts for my cozy mystery",
        "My designer sent two concepts for book one of a cozy mystery series set in a seaside "
        "bakery. One is illustrated, one is photographic. Which one says cozy mystery to you "
        "at thumbnail size, and why?",
        ("cover-design", "marketing"),
        "mystery",
        effort="half an hour",
        helpers=2,
    ),
    RequestTemplate(
        "Synopsis for a YA science fiction novel: three pages that should be one",
        "Agents want a one-page synopsis and mine is three pages of plot. It is a YA science "
        "fiction novel about twins on a generation ship who find out the ship has already "
        "arrived. Help me find the spine of the story.",
        ("synopsis",),
        "young-adult",
        effort="about an hour",
    ),
    RequestTemplate(
        "Sensitivity read: a Nigerian family in 1980s London",
        "My historical novel follows a Nigerian family who run a corner shop in Brixton in "
        "1981. I am not from that community and I want to get the details and the voices "
        "right. About 30 pages where the family is at the centre.",
        ("sensitivity-reading",),
        "historical-fiction",
        effort="30 pages",
    ),
    RequestTemplate(
        "Accountability buddy for a month of drafting",
        "I want to finish the first draft of my novel this month: 1,000 words a day. I am "
        "looking for someone to check in with every few days, share word counts and cheer "
        "each other on. Any genre welcome.",
        ("accountability", "moral-support"),
        "general-fiction",
        format="live_chat",
        effort="15 minutes a few times a week",
    ),
    RequestTemplate(
        "Critique partner for a literary short story collection",
        "Eight linked stories about one apartment building in Lisbon across fifty years. I "
        "would like to swap critiques with someone who writes literary fiction or short "
        "stories: one story each per fortnight.",
        ("critique",),
        "short-stories",
        effort="one story a fortnight",
    ),
    RequestTemplate(
        "Copyedit the first three chapters of my thriller",
        "Before I send my thriller to agents I want the opening chapters clean: commas, "
        "tense slips, repeated words. About 9,000 words. I can return the favour with a "
        "beta read.",
        ("copyediting", "proofreading"),
        "thriller",
        effort="9,000 words",
    ),
    RequestTemplate(
        "How do I plan a launch for my self-published romance?",
        "My first romance novel comes out in eight weeks and I have no plan beyond telling my "
        "friends. ARC readers, launch team, newsletter, price promotions... where do I start, "
        "and what is worth the money?",
        ("book-launch", "marketing", "self-publishing"),
        "romance",
        format="call",
        effort="an hour's call",
    ),
    RequestTemplate(
        "Newsletter ideas for a horror author with 40 subscribers",
        "I started a newsletter last spring and I never know what to send. I write folk "
        "horror. How do other authors keep a newsletter going without it becoming a chore?",
        ("newsletters", "author-platform"),
        "horror",
        effort="a few emails",
    ),
    RequestTemplate(
        "Developmental notes on a middle-grade adventure",
        "A middle-grade adventure about a girl who runs away to join a travelling library. "
        "My critique group says the stakes are unclear in act two. I would love big-picture "
        "notes from someone who knows the middle-grade market.",
        ("developmental-editing",),
        "middle-grade",
        effort="a 45k-word manuscript",
    ),
    RequestTemplate(
        "Research help: Victorian lighthouse keepers",
        "My novel's hero keeps a lighthouse off the Cornish coast in 1868. Where do I find "
        "diaries, logbooks or pay records? If you have done archive research before, I would "
        "love your tips.",
        ("research",),
        "historical-fiction",
        effort="a few emails",
    ),
    RequestTemplate(
        "Social media for introverts: where do I start?",
        "Everyone says I need a platform for my essay collection. I find social media "
        "exhausting. Which one place should a quiet writer start, and what do I actually "
        "post?",
        ("social-media", "author-platform"),
        "essays",
        format="live_chat",
        effort="a chat of half an hour",
    ),
    RequestTemplate(
        "Proofreading a poetry chapbook before it goes to print",
        "Twenty-four poems, 32 pages, going to a small press printer in three weeks. Fresh "
        "eyes for typos, line breaks that went wrong in layout, and consistent punctuation.",
        ("proofreading",),
        "poetry",
        effort="32 pages",
    ),
    RequestTemplate(
        "Finding an agent for narrative nonfiction about bees",
        "I am a beekeeper and science teacher writing a narrative nonfiction book about one "
        "year in a hive. How do I find agents who take popular science, and does my query "
        "letter make them care?",
        ("finding-an-agent", "query-letters"),
        "science",
        effort="an hour or two",
    ),
    RequestTemplate(
        "Beta readers for a sapphic romance novella",
        "A 30k-word second-chance romance between two rival florists. I would love two "
        "readers who enjoy romance to tell me if the chemistry works and if the ending feels "
        "earned.",
        ("beta-reading",),
        "romance",
        effort="a 30k-word novella",
        helpers=2,
    ),
    RequestTemplate(
        "Is my opening chapter too slow? (crime novel)",
        "Agents keep passing on my crime novel after the first pages. The body is found on "
        "page twelve. Is the opening chapter too slow, or is something else wrong?",
        ("critique", "beta-reading"),
        "crime",
        effort="one chapter, 4,000 words",
    ),
    RequestTemplate(
        "Moral support after my fortieth agent rejection",
        "Forty rejections on my women's fiction novel. I know it is normal. I would just like "
        "to talk to someone who has been through it and came out the other side.",
        ("moral-support",),
        "womens-fiction",
        format="live_chat",
        effort="a chat",
    ),
    RequestTemplate(
        "Self-publishing a picture book: print-on-demand questions",
        "I have written and illustrated a picture book. Which print-on-demand service handles "
        "colour well, and how do I set up the files so the bleed is right?",
        ("self-publishing",),
        "childrens",
        format="call",
        effort="half an hour",
    ),
    RequestTemplate(
        "Book proposal for a business book on small-town shops",
        "I have interviewed forty shop owners about how small-town high streets survive. A "
        "publisher is interested and wants a proposal with a marketing plan. Could someone "
        "who has written a business book proposal look at mine?",
        ("book-proposals",),
        "business",
        effort="a 25-page proposal",
    ),
    RequestTemplate(
        "Beta readers for a space opera with a found family",
        "A 95k-word space opera: a salvage crew, a stolen warship and a very tired captain. "
        "I would love readers who enjoy science fiction to tell me which characters they "
        "would follow anywhere and which ones blur together.",
        ("beta-reading",),
        "science-fiction",
        effort="a 95k-word manuscript",
        helpers=3,
    ),
    RequestTemplate(
        "Query letter critique: psychological thriller",
        "My query letter for a psychological thriller about a nanny who remembers a murder "
        "nobody else does. Does the hook land? Is the comp title right?",
        ("query-letters", "critique"),
        "thriller",
        effort="about an hour",
    ),
    RequestTemplate(
        "Graphic novel script: does the pacing work on the page?",
        "The first 24 pages of a graphic novel script, with thumbnails. I am a prose writer "
        "moving into comics and I am not sure where the page turns should fall.",
        ("critique", "developmental-editing"),
        "graphic-novels",
        effort="24 pages of script",
    ),
    RequestTemplate(
        "Help with the synopsis of my historical romance",
        "A Regency-era historical romance with a secret marriage and a shipwreck. My synopsis "
        "keeps turning into a list of events. How do I keep the romance arc at the centre?",
        ("synopsis",),
        "romance",
        effort="about an hour",
    ),
    RequestTemplate(
        "Travel memoir: which chapters should I cut?",
        "My travel memoir about walking the length of Japan is 140k words and needs to be "
        "90k. I would love someone to read the table of contents and a few chapters and tell "
        "me what the book is really about.",
        ("developmental-editing", "beta-reading"),
        "travel",
        effort="a few hours",
    ),
    RequestTemplate(
        "Author website review: does it say who I am?",
        "My author website for my self-help books feels generic. Would you look at the home "
        "page and the about page and tell me, in one sentence, what you think I write?",
        ("author-platform", "marketing"),
        "self-help",
        effort="twenty minutes",
    ),
    RequestTemplate(
        "Cover brief for a true crime book",
        "I am about to hire a cover designer for my true crime book about a 1970s bank "
        "robbery. What goes into a good cover brief, and which covers in the genre should I "
        "show the designer?",
        ("cover-design",),
        "true-crime",
        effort="half an hour",
    ),
    RequestTemplate(
        "Weekly writing sprints over video, anyone?",
        "I write best with company. I am looking for one or two writers for an hour of "
        "silent writing sprints on a video call every Saturday morning (European time).",
        ("accountability",),
        None,
        format="call",
        effort="an hour a week",
        helpers=2,
    ),
    RequestTemplate(
        "Fact-checking medical details in my hospital drama",
        "My novel is set on a night shift in an emergency department. If you work (or "
        "worked) in medicine, could you read the scenes where procedures happen and tell me "
        "what rings false?",
        ("research", "sensitivity-reading"),
        "general-fiction",
        effort="five scenes",
    ),
    RequestTemplate(
        "Launch plan for my second self-help book",
        "My first book launch was a blur. For the second I want a plan: newsletter sequence, "
        "podcast pitches, a launch week. I would love a second pair of eyes on my draft plan.",
        ("book-launch", "newsletters"),
        "self-help",
        effort="an hour",
    ),
    RequestTemplate(
        "Beta reader for a gothic horror novella",
        "A gothic horror novella set in a failing seaside hotel in winter. Is it scary? "
        "Where does the dread leak out? 28k words.",
        ("beta-reading",),
        "horror",
        effort="a 28k-word novella",
    ),
    RequestTemplate(
        "Essay collection: in which order should the pieces go?",
        "Fourteen personal essays about learning to swim at forty. I have tried three "
        "orders and none feels right. I would love a reader's sense of the arc.",
        ("critique",),
        "essays",
        effort="a 60k-word collection",
    ),
    RequestTemplate(
        "Biography of my great-aunt the pilot: proposal or manuscript first?",
        "My great-aunt flew transport planes in the war and left boxes of letters. Do I "
        "write a proposal first or the whole biography? How do agents see a first-time "
        "biographer?",
        ("book-proposals", "finding-an-agent"),
        "biography",
        format="call",
        effort="an hour's call",
    ),
    RequestTemplate(
        "Sensitivity reader for a deaf main character",
        "The narrator of my young adult novel is deaf and signs. I would love a deaf or hard "
        "of hearing reader to tell me what I got wrong, especially in the school scenes.",
        ("sensitivity-reading", "beta-reading"),
        "young-adult",
        effort="a 70k-word manuscript",
    ),
    RequestTemplate(
        "Line edits for the first chapter of my spiritual memoir",
        "A memoir about a year spent in a silent retreat house. The first chapter is "
        "overwritten and I cannot see it any more. Line edits, please, as ruthless as kind "
        "allows.",
        ("copyediting",),
        "spirituality",
        effort="one chapter",
    ),
)

# What happens to a request: its state when the demo is done, and how it got there.
SHAPES = (
    ("open_new",) * 4
    + ("open_answered",) * 5
    + ("open_partial",) * 3
    + ("open_invited",) * 2
    + ("open_quiet",) * 2
    + ("invitation_declined",)
    + ("matched",) * 4
    + ("matched_after_cancel",)
    + ("completed",) * 4
    + ("completed_via_invitation",)
    + ("closed",) * 3
    + ("closed_after_cancel",) * 2
    + ("expired",) * 4
)
# Days between the request being posted and now, by shape.
AGES = {
    "open_new": (0.2, 5),
    "open_answered": (1, 12),
    "open_partial": (3, 15),
    "open_invited": (1, 10),
    "open_quiet": (26.5, 28),  # the expiry reminder is due
    "invitation_declined": (2, 14),
    "matched": (6, 24),
    "matched_after_cancel": (10, 24),
    "completed": (25, 120),
    "completed_via_invitation": (25, 120),
    "closed": (10, 60),
    "closed_after_cancel": (12, 60),
    "expired": (40, 90),
}

ANSWER_NOTES = (
    "I would love to help. I have done a lot of {skill} for {genre} writers and I try to "
    "be honest and kind in equal measure.",
    "This sounds wonderful! I can start this weekend. What kind of feedback would help you "
    "most right now?",
    "I am in the middle of my own revisions and would enjoy a trip into someone else's "
    "world. Happy to help with {skill}.",
    "I went through exactly this last year. I can share what worked for me and what did not.",
    "{genre_cap} is what I read most. I could give you a reader's reaction as well as notes "
    "on {skill}.",
    "I have time this month and I would really like to read this. Shall we talk first about "
    "what you need?",
)
QUESTIONS = (
    (
        "Thank you for offering! Have you read much {genre} before?",
        "Quite a lot: it is most of what I read, and I have beta-read for two friends.",
    ),
    (
        "That is kind of you. Do you prefer notes in the margins or a letter at the end?",
        "Both, if that is all right: margin notes as I go, and a page of big-picture thoughts.",
    ),
    (
        "Lovely to hear from you. When would you be able to start?",
        "I could start on Saturday and have notes back to you within two weeks.",
    ),
    (
        "Thank you! What are you working on yourself at the moment?",
        "A slow-burning second novel: I will tell you all about it when we talk!",
    ),
)
DECLINE_REASONS = (
    "Thank you so much for offering. Someone who writes in the same niche answered first, "
    "and I would love to ask you next time.",
    "I am so grateful you answered. The places filled faster than I expected: may I come "
    "back to you for the next draft?",
    "Thank you! I have decided to pause this until after the holidays, and I did not want "
    "to keep you waiting.",
    "Such a kind note. I went with someone who has been through the exact same process, "
    "but I would love to follow your writing.",
)
INVITATION_NOTES = (
    "The site suggested you and your profile made me smile. Would you be up for this?",
    "I loved what you wrote about your own books. Would you like to help with this one?",
)
INVITATION_DECLINES = (
    "I would love to, but my month is full with my own deadline. Please ask me again in a "
    "few weeks!",
    "Thank you for thinking of me. This is a little outside what I know well, and I want "
    "you to get the best help.",
)
CANCEL_REASONS_HELPER = (
    "My day job has swallowed my evenings this month. I am so sorry; I hope someone can "
    "pick this up soon.",
    "A family emergency came up and I need to step back for a while. Thank you for understanding.",
)
CANCEL_REASONS_REQUESTER = (
    "I have decided to rewrite the opening first, so I would rather not take your time "
    "yet. Thank you for being so generous.",
    "We realised this needs someone who knows the middle-grade market well. Thank you for "
    "the lovely first call!",
)

# The host's own corner: what a newcomer logging in as the host finds.
HOST_OPEN = RequestTemplate(
    "Beta readers for my fantasy novel, The Salt Lantern",
    "My fantasy novel (98k words) follows a lighthouse keeper's apprentice who learns that "
    "the lantern keeps something in the sea asleep. I would love three readers: where does "
    "the pacing drag, and do you care about Wren by chapter three?",
    ("beta-reading", "critique"),
    "fantasy",
    effort="a 98k-word manuscript",
    helpers=3,
)
HOST_PAST = RequestTemplate(
    "A one-page synopsis for my fantasy novel",
    "My synopsis for The Salt Lantern runs to two pages and still leaves out the ending. I "
    "need help cutting it to one page that an agent will read to the end.",
    ("synopsis",),
    "fantasy",
    effort="about an hour",
)
HOST_HELPS = RequestTemplate(
    "Query letter for my memoir about leaving the farm",
    "My memoir is about leaving my family's dairy farm at nineteen and going back at forty "
    "to run it. My query letter buries the hook in the third paragraph. Help me move it up.",
    ("query-letters", "critique"),
    "memoir",
    effort="about an hour",
)
HOST_ANSWERED = RequestTemplate(
    "Book proposal for a cookbook of family recipes",
    "Three generations of recipes from our family's Greek taverna, with the stories behind "
    "them. I need help with the proposal's overview and sample chapter.",
    ("book-proposals", "critique"),
    "food",
    effort="a 20-page proposal",
)
HOST_INVITED = RequestTemplate(
    "Critique partner for the first act of my science fiction novel",
    "The first act (25k words) of a science fiction novel about a translator on a "
    "mining moon. I would love a critique partner who enjoys fantasy or science fiction.",
    ("critique", "beta-reading"),
    "science-fiction",
    effort="25k words",
)

# --- kindness: thank-yous, pledges, and the stories that make it come back ---

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


@dataclass
class _Timeline:
    """The events of one request, in order, to be dated in the past once it is done."""

    posted: datetime
    end: datetime
    events: list[tuple[str, object]] = field(default_factory=list)

    def add(self, kind: str, thing: object) -> None:
        self.events.append((kind, thing))


@dataclass
class _Counts:
    offers: int = 0
    requests: int = 0
    answers: int = 0
    invitations: int = 0
    comments: int = 0
    matches: int = 0
    thanks: int = 0
    skipped: int = 0


class _Helping:
    """Plays out the demo's requests through the domain functions."""

    def __init__(self, seed: int, now: datetime, users: dict[str, User], skills, genres):
        self.seed = seed
        self.now = now
        self.users = users
        self.skill_by_slug = {skill.slug: skill for skill in skills}
        self.genre_by_slug = {genre.slug: genre for genre in genres}
        self.counts = _Counts()
        self.notification_marks: list[tuple[int, int, object]] = []
        # The members who play the roles of STORIES, by role (see cast_stories).
        self.cast: dict[str, User] = {}

    # --- offers ---------------------------------------------------------------

    def make_offer(self, email: str, genres) -> None:
        rng = random.Random(f"{self.seed}:offer:{email}")
        user = self.users.get(email)
        is_host = email == HOST_EMAIL
        wants_offer = is_host or rng.random() < 0.85
        if user is None or not wants_offer or offers.offer_of(user.id) is not None:
            return
        profile = user.profile
        skill_ids = [skill.id for skill in (profile.offered_skills if profile else [])]
        if is_host:
            skill_ids = [self.skill_by_slug[s].id for s in ("beta-reading", "critique", "synopsis")]
        elif not skill_ids or rng.random() < 0.4:
            extra = rng.choice(list(self.skill_by_slug.values()))
            skill_ids = list(dict.fromkeys([*skill_ids, extra.id]))
        genre_ids = [genre.id for genre in (profile.genres if profile else [])]
        if is_host:
            genre_ids = [self.genre_by_slug[s].id for s in ("fantasy", "science-fiction")]
        elif rng.random() < 0.5:
            genre_ids = list(dict.fromkeys([*genre_ids, rng.choice(genres).id]))
        genre_name = profile.genres[0].name.lower() if profile and profile.genres else "stories"
        offer = offers.save_offer(
            user,
            offers.OfferInput(
                skill_ids=skill_ids,
                genre_ids=genre_ids,
                monthly_capacity=4 if is_host else rng.choice(CAPACITIES),
                note=rng.choice(OFFER_NOTES).format(genre=genre_name),
                on_break=not is_host and rng.random() < 0.08,
            ),
        )
        offer.created_at = self.now - timedelta(days=rng.uniform(20, 300))
        offer.updated_at = self.now - timedelta(days=rng.uniform(0, 20))
        if user.last_seen_at is None:
            user.last_seen_at = self.now - timedelta(hours=rng.uniform(1, 24 * 25))
        self.counts.offers += 1

    # --- choosing people ------------------------------------------------------

    def volunteers_for(self, rng: random.Random, request: HelpRequest, exclude: set[int]):
        """Available volunteers, those sharing a skill of the request first, shuffled."""
        skill_ids = {skill.id for skill in request.skills}
        everyone = db.session.scalars(
            select(VolunteerOffer)
            .order_by(VolunteerOffer.user_id)
            .options(joinedload(VolunteerOffer.user), selectinload(VolunteerOffer.skill_links))
        ).all()
        pool = [
            offer
            for offer in everyone
            if offer.user_id not in exclude
            and offer.user_id != request.requester_id
            and capacity.is_available(offer)
            and offer.user.email.endswith(f"@{DEMO_DOMAIN}")
        ]
        sharing = [o for o in pool if skill_ids & {link.skill_id for link in o.skill_links}]
        others = [o for o in pool if o not in sharing]
        rng.shuffle(sharing)
        rng.shuffle(others)
        return [offer.user for offer in sharing + others]

    # --- one request ----------------------------------------------------------

    def _note(self, rng: random.Random, request: HelpRequest) -> str:
        genre = request.genre.name.lower() if request.genre else "fellow"
        skill = request.skills[0].name.lower() if request.skills else "feedback"
        return rng.choice(ANSWER_NOTES).format(
            skill=skill, genre=genre, genre_cap=genre[:1].upper() + genre[1:]
        )

    def _answer(self, rng, timeline, request, volunteer) -> Answer:
        answer = answers.answer_request(volunteer, request, self._note(rng, request))
        timeline.add("answer", answer)
        self.counts.answers += 1
        return answer

    def _invite(self, rng, timeline, request, volunteer) -> Answer:
        answer = answers.invite_volunteer(
            request.requester, request, volunteer, rng.choice(INVITATION_NOTES)
        )
        timeline.add("answer", answer)
        self.counts.invitations += 1
        return answer

    def _talk(self, rng, timeline, answer: Answer) -> None:
        request = answer.request
        genre = request.genre.name.lower() if request.genre else "this kind of book"
        question, reply = rng.choice(QUESTIONS)
        comment = answers.comment_on_answer(request.requester, answer, question.format(genre=genre))
        timeline.add("comment", comment)
        comment = answers.comment_on_answer(answer.volunteer, answer, reply)
        timeline.add("comment", comment)
        self.counts.comments += 2

    def _accept(self, timeline, answer: Answer) -> Match:
        if answer.kind == AnswerKind.INVITATION:
            match = matches.accept_invitation(answer.volunteer, answer)
        else:
            match = matches.accept_answer(answer.request.requester, answer)
        timeline.add("match", match)
        self.counts.matches += 1
        return match

    def _decline(self, rng, timeline, answer: Answer) -> None:
        if answer.kind == AnswerKind.INVITATION:
            answers.decline_invitation(answer.volunteer, answer, rng.choice(INVITATION_DECLINES))
        else:
            answers.decline_answer(answer.request.requester, answer, rng.choice(DECLINE_REASONS))
        timeline.add("respond", answer)

    def _cancel(self, rng, timeline, match: Match, *, by_helper: bool) -> None:
        if by_helper:
            matches.cancel_match(match.helper, match, rng.choice(CANCEL_REASONS_HELPER))
        else:
            matches.cancel_match(match.requester, match, rng.choice(CANCEL_REASONS_REQUESTER))
        timeline.add("cancel", match)

    def _thank(
        self, rng, timeline, match: Match, *, pledge: bool | None = None, private: bool = False
    ) -> Thanks:
        """The requester marks the help received and thanks the helper; the last
        thank-you of a request completes it."""
        request = match.request
        genre = request.genre.name.lower() if request.genre else "writing"
        name = match.helper.display_name.split()[0]
        body = rng.choice(THANKS_NOTES).format(name=name, genre=genre)
        if pledge is None:
            pledge = rng.random() < 0.5
        private = private or rng.random() < 0.12
        thanks = kindness.complete_match(
            match.requester, match, body, keep_private=private, pledge=pledge
        )
        timeline.add("thanks", thanks)
        self.counts.thanks += 1
        return thanks

    def play(self, key: str, requester_email: str, template: RequestTemplate, shape: str) -> bool:
        """Post one request and play its shape out; commit. False if skipped."""
        requester = self.users.get(requester_email)
        if requester is None:
            return False
        exists_already = db.session.scalar(
            select(HelpRequest.id).where(
                HelpRequest.requester_id == requester.id, HelpRequest.title == template.title
            )
        )
        if exists_already:
            return False
        rng = random.Random(f"{self.seed}:request:{key}")
        low, high = AGES.get(shape, (1, 10))
        posted = self.now - timedelta(days=rng.uniform(low, high))
        # Ended requests have a quiet tail; open ones run up to a few minutes ago.
        if shape.startswith(("completed", "closed")):
            end = posted + (self.now - posted) * rng.uniform(0.3, 0.7)
        elif shape == "expired":
            end = posted + timedelta(days=rng.uniform(1, 5))  # then a quiet month
        else:
            end = self.now - timedelta(minutes=rng.uniform(5, 120))
        timeline = _Timeline(posted=posted, end=end)
        helpers = template.helpers
        if shape == "open_partial":
            helpers = max(helpers, 2)
        elif shape in ("matched_after_cancel", "closed_after_cancel", "completed_via_invitation"):
            helpers = 1
        deadline = (
            self.now.date() + timedelta(days=rng.randint(14, 90))
            if shape.startswith(("open", "matched")) and rng.random() < 0.4
            else None
        )
        try:
            request = requests.post_request(
                requester,
                requests.RequestInput(
                    title=template.title,
                    details=template.details,
                    skill_ids=[self.skill_by_slug[slug].id for slug in template.skills],
                    genre_id=self.genre_by_slug[template.genre].id if template.genre else None,
                    format=template.format,
                    effort=template.effort,
                    deadline=deadline,
                    helpers_wanted=helpers,
                ),
            )
            self._play_shape(rng, timeline, request, shape)
            self._date(rng, timeline, request)
            db.session.commit()
        except KindredError:
            # Not enough free volunteers for this shape (a small --members): skip it whole.
            db.session.rollback()
            self.counts.skipped += 1
            return False
        self.counts.requests += 1
        return True

    def _play_shape(self, rng, timeline, request: HelpRequest, shape: str) -> None:
        people = iter(self.volunteers_for(rng, request, set()))

        def volunteer():
            person = next(people, None)
            if person is None:
                raise HelpingError("not enough demo volunteers")
            return person

        if shape == "open_answered":
            pending = [self._answer(rng, timeline, request, volunteer()) for _ in range(3)]
            self._talk(rng, timeline, pending[0])
            if rng.random() < 0.5:
                answers.withdraw_answer(pending[-1].volunteer, pending[-1])
                timeline.add("respond", pending[-1])
        elif shape == "open_partial":
            first, second = (self._answer(rng, timeline, request, volunteer()) for _ in range(2))
            self._talk(rng, timeline, first)
            self._accept(timeline, first)
            self._answer(rng, timeline, request, volunteer())
            self._decline(rng, timeline, second)
        elif shape == "open_invited":
            self._invite(rng, timeline, request, volunteer())
            if rng.random() < 0.6:
                self._answer(rng, timeline, request, volunteer())
        elif shape == "invitation_declined":
            invitation = self._invite(rng, timeline, request, volunteer())
            self._decline(rng, timeline, invitation)
            self._answer(rng, timeline, request, volunteer())
        elif shape in ("matched", "completed"):
            offered = [
                self._answer(rng, timeline, request, volunteer())
                for _ in range(request.helpers_wanted + 1)
            ]
            self._talk(rng, timeline, offered[0])
            made = [self._accept(timeline, answer) for answer in offered[:-1]]
            self._decline(rng, timeline, offered[-1])
            if shape == "completed":
                for match in made:
                    self._thank(rng, timeline, match)
        elif shape == "matched_after_cancel":
            first = self._answer(rng, timeline, request, volunteer())
            second = self._answer(rng, timeline, request, volunteer())
            self._cancel(rng, timeline, self._accept(timeline, first), by_helper=True)
            self._accept(timeline, second)
        elif shape == "completed_via_invitation":
            invitation = self._invite(rng, timeline, request, volunteer())
            self._thank(rng, timeline, self._accept(timeline, invitation))
        elif shape == "closed":
            if rng.random() < 0.7:
                self._decline(rng, timeline, self._answer(rng, timeline, request, volunteer()))
            requests.close_request(request.requester, request)
            timeline.add("end", request)
        elif shape == "closed_after_cancel":
            match = self._accept(timeline, self._answer(rng, timeline, request, volunteer()))
            self._cancel(rng, timeline, match, by_helper=False)
            requests.close_request(request.requester, request)
            timeline.add("end", request)
        elif shape == "expired" and rng.random() < 0.5:
            # Someone offered, then took it back; then nothing for a month.
            answer = self._answer(rng, timeline, request, volunteer())
            answers.withdraw_answer(answer.volunteer, answer)
            timeline.add("respond", answer)
        # open_new, open_quiet, expired: nobody has answered yet.

    def host_corner(self) -> None:
        """The host's own request, matches both ways, an invitation and a past request."""
        host = self.users.get(HOST_EMAIL)
        others = [email for email in self.users if email != HOST_EMAIL]
        if host is None or len(others) < 6:
            return
        rng = random.Random(f"{self.seed}:host")
        first, second, third = rng.sample(others, 3)
        self._play_host(
            "host-past", HOST_EMAIL, HOST_PAST, self._host_past, age=(40, 60), ended=True
        )
        self._play_host("host-open", HOST_EMAIL, HOST_OPEN, self._host_open, age=(4, 8))
        self._play_host("host-helps", first, HOST_HELPS, self._host_helps, age=(5, 12))
        self._play_host("host-answered", second, HOST_ANSWERED, self._host_answered, age=(1, 4))
        self._play_host("host-invited", third, HOST_INVITED, self._host_invited, age=(1, 3))

    def _play_host(self, key, requester_email, template, play, *, age, ended=False) -> None:
        requester = self.users.get(requester_email)
        exists_already = db.session.scalar(
            select(HelpRequest.id).where(
                HelpRequest.requester_id == requester.id, HelpRequest.title == template.title
            )
        )
        if exists_already:
            return
        rng = random.Random(f"{self.seed}:request:{key}")
        posted = self.now - timedelta(days=rng.uniform(*age))
        end = (
            posted + (self.now - posted) * 0.5
            if ended
            else self.now - timedelta(minutes=rng.uniform(5, 60))
        )
        timeline = _Timeline(posted=posted, end=end)
        try:
            request = requests.post_request(
                requester,
                requests.RequestInput(
                    title=template.title,
                    details=template.details,
                    skill_ids=[self.skill_by_slug[slug].id for slug in template.skills],
                    genre_id=self.genre_by_slug[template.genre].id if template.genre else None,
                    format=template.format,
                    effort=template.effort,
                    deadline=None,
                    helpers_wanted=template.helpers,
                ),
            )
            play(rng, timeline, request)
            self._date(rng, timeline, request)
            db.session.commit()
        except KindredError:
            db.session.rollback()
            self.counts.skipped += 1
            return
        self.counts.requests += 1

    def _host_people(self, rng, request, count: int) -> list[User]:
        people = [p for p in self.volunteers_for(rng, request, set()) if p.email != HOST_EMAIL]
        if len(people) < count:
            raise HelpingError("not enough demo volunteers")
        return people[:count]

    def _host_open(self, rng, timeline, request) -> None:
        a, b, c, d, e = self._host_people(rng, request, 5)
        accepted = self._answer(rng, timeline, request, a)
        declined = self._answer(rng, timeline, request, b)
        asked = self._answer(rng, timeline, request, c)
        self._talk(rng, timeline, accepted)
        self._accept(timeline, accepted)
        self._decline(rng, timeline, declined)
        self._talk(rng, timeline, asked)
        self._answer(rng, timeline, request, d)
        self._invite(rng, timeline, request, e)

    def _host_past(self, rng, timeline, request) -> None:
        # The last step of the host's story (see STORIES), when it is cast.
        helper = self.cast.get(HOST_PAST_HELPER)
        if helper is None:
            (helper,) = self._host_people(rng, request, 1)
        match = self._accept(timeline, self._answer(rng, timeline, request, helper))
        self._thank(rng, timeline, match, pledge=True, private=False)

    def _host_helps(self, rng, timeline, request) -> None:
        host = self.users[HOST_EMAIL]
        (other,) = self._host_people(rng, request, 1)
        self._answer(rng, timeline, request, other)
        mine = self._answer(rng, timeline, request, host)
        self._talk(rng, timeline, mine)
        self._accept(timeline, mine)

    def _host_answered(self, rng, timeline, request) -> None:
        mine = self._answer(rng, timeline, request, self.users[HOST_EMAIL])
        self._talk(rng, timeline, mine)

    def _host_invited(self, rng, timeline, request) -> None:
        self._invite(rng, timeline, request, self.users[HOST_EMAIL])

    # --- dating the past ------------------------------------------------------

    def _date(self, rng, timeline: _Timeline, request: HelpRequest) -> None:
        """Spread the request's events between when it was posted and ``end``."""
        span = timeline.end - timeline.posted
        moments = sorted(rng.uniform(0.05, 0.95) for _ in timeline.events)
        last_activity = timeline.posted
        for (kind, thing), share in zip(timeline.events, moments, strict=True):
            at = timeline.posted + span * share
            if kind in ("answer", "comment"):
                thing.created_at = at
                last_activity = at
            elif kind == "respond":
                thing.responded_at = at
            elif kind == "match":
                thing.created_at = at
                answer = db.session.get(Answer, thing.answer_id)
                answer.responded_at = at
                last_activity = at
            elif kind == "cancel":
                thing.ended_at = at
                last_activity = at
            elif kind == "thanks":
                self._date_thanks(thing, at, at)
                thing.match.ended_at = at
                last_activity = at
                if request.status == RequestStatus.COMPLETED:
                    request.ended_at = at
            elif kind == "end":
                at = timeline.end
                request.ended_at = at
                for match in db.session.scalars(
                    select(Match).where(
                        Match.request_id == request.id, Match.status == MatchStatus.COMPLETED
                    )
                ):
                    match.ended_at = at
        if request.status == RequestStatus.CLOSED:
            request.ended_at = timeline.end
        request.created_at = timeline.posted
        request.last_activity_at = last_activity
        request.updated_at = last_activity
        request.reminder_sent_at = None
        # Notifications caused by this request's events are as old as the request's last news.
        db.session.flush()
        for notification in db.session.scalars(
            select(Notification).where(Notification.created_at >= self.now)
        ):
            notification.created_at = min(last_activity, self.now)

    def _date_thanks(self, thanks: Thanks, written: datetime, confirmed: datetime) -> None:
        """Date a thank-you, its act of help and its pledge (kept ones are settled at the end)."""
        thanks.created_at, thanks.confirmed_at = written, confirmed
        if thanks.act_id is not None:
            db.session.get(HelpAct, thanks.act_id).at = confirmed
        for pledge in db.session.scalars(select(Pledge).where(Pledge.thanks_id == thanks.id)):
            pledge.created_at, pledge.kept_at, pledge.kept_act_id = written, None, None

    # --- kindness: the stories ------------------------------------------------

    def cast_stories(self) -> None:
        """Give each role of STORIES a demo volunteer (the same ones on every run)."""
        host = self.users.get(HOST_EMAIL)
        roles = sorted(({s.helper for s in STORIES} | {s.helped for s in STORIES}) - {"host"})
        candidates = [
            user
            for email, user in sorted(self.users.items())
            if email != HOST_EMAIL
            and (offer := offers.offer_of(user.id)) is not None
            and not offer.on_break
        ]
        if host is None or len(candidates) < len(roles):
            return
        chosen = random.Random(f"{self.seed}:cast").sample(candidates, len(roles))
        self.cast = {"host": host, **dict(zip(roles, chosen, strict=True))}

    def play_stories(self) -> None:
        """Play STORIES out, each step through a match or as help outside one; commit."""
        self.cast_stories()
        if not self.cast:
            return
        outside = 0
        for index, step in enumerate(STORIES):
            if step.template is None:
                self._story_outside(index, step, OUTSIDE_NOTES[outside % len(OUTSIDE_NOTES)])
                outside += 1
            else:
                self._story_match(index, step)

    def _story_match(self, index: int, step: StoryStep) -> None:
        helper, helped, template = self.cast[step.helper], self.cast[step.helped], step.template
        if db.session.scalar(select(HelpRequest.id).where(HelpRequest.title == template.title)):
            return
        rng = random.Random(f"{self.seed}:story:{index}")
        end = self.now - timedelta(days=step.days_ago)
        timeline = _Timeline(posted=end - timedelta(days=rng.uniform(4, 9)), end=end)
        try:
            request = requests.post_request(
                helped,
                requests.RequestInput(
                    title=template.title,
                    details=template.details,
                    skill_ids=[self.skill_by_slug[slug].id for slug in template.skills],
                    genre_id=self.genre_by_slug[template.genre].id if template.genre else None,
                    format=template.format,
                    effort=template.effort,
                    deadline=None,
                    helpers_wanted=1,
                ),
            )
            answer = self._answer(rng, timeline, request, helper)
            self._talk(rng, timeline, answer)
            match = self._accept(timeline, answer)
            self._thank(rng, timeline, match, pledge=step.pledge, private=step.private)
            self._date(rng, timeline, request)
            # Help given in a month gone by leaves this month's capacity free.
            if match.created_at.strftime("%Y-%m") != offers.current_month():
                offers.release_capacity(helper.id, offers.current_month())
            db.session.commit()
        except KindredError:
            db.session.rollback()
            self.counts.skipped += 1
            return
        self.counts.requests += 1

    def _story_outside(self, index: int, step: StoryStep, note: str) -> None:
        """ "X helped me": the helped member thanks, the helper confirms it."""
        helper, helped = self.cast[step.helper], self.cast[step.helped]
        if db.session.scalar(
            select(Thanks.id).where(
                Thanks.author_id == helped.id,
                Thanks.helper_id == helper.id,
                Thanks.match_id.is_(None),
            )
        ):
            return
        rng = random.Random(f"{self.seed}:story:{index}")
        confirmed = self.now - timedelta(days=step.days_ago)
        written = confirmed - timedelta(hours=rng.uniform(5, 60))
        body = note.format(name=helper.display_name.split()[0])
        try:
            thanks = kindness.thank_outside(
                helped, helper, body, keep_private=step.private, pledge=step.pledge
            )
            kindness.confirm_thanks(helper, thanks)
            self._date_thanks(thanks, written, confirmed)
            db.session.flush()
            for notification in db.session.scalars(
                select(Notification).where(Notification.created_at >= self.now)
            ):
                notification.created_at = written
                notification.read_at = confirmed
            db.session.commit()
        except KindredError:
            db.session.rollback()
            self.counts.skipped += 1
            return
        self.counts.thanks += 1

    def finish_kindness(self, started_notification_id: int) -> None:
        """Settle the pledges by the dated acts, rebuild the ripples, and date
        the came-back events (and their notifications) when their chain ended."""
        acts_of: dict[int, list[HelpAct]] = {}
        for act in db.session.scalars(select(HelpAct).order_by(HelpAct.at, HelpAct.id)):
            acts_of.setdefault(act.helper_id, []).append(act)
        for pledge in db.session.scalars(
            select(Pledge)
            .join(User, User.id == Pledge.user_id)
            .where(User.email.like(f"%@{DEMO_DOMAIN}"))
            .options(joinedload(Pledge.thanks))
        ):
            # Kept by the pledger's first act of help afterwards, for someone
            # other than the member they thanked (as the service keeps them).
            kept = next(
                (
                    act
                    for act in acts_of.get(pledge.user_id, [])
                    if act.at > pledge.created_at and act.helped_id != pledge.thanks.helper_id
                ),
                None,
            )
            pledge.kept_at = kept.at if kept else None
            pledge.kept_act_id = kept.id if kept else None
        db.session.commit()
        rebuild_ripples()
        came_back: dict[int, datetime] = {}
        for event in db.session.scalars(select(CameBack).where(CameBack.created_at >= self.now)):
            at = datetime.fromisoformat(event.chain[-1]["at"])
            event.created_at = at
            if event.notified_at is not None:
                event.notified_at = at
            came_back[event.id] = at
        for notification in db.session.scalars(
            select(Notification).where(
                Notification.id > started_notification_id,
                Notification.kind == "kindness_came_back",
            )
        ):
            when = came_back.get((notification.data or {}).get("came_back_id"))
            if when is not None:
                # (Other requests' dating swept it along with their own news: undo that.)
                notification.created_at = when
                recent = when >= self.now - timedelta(days=7)
                notification.read_at = None if recent else when + timedelta(hours=3)
        db.session.commit()

    def finish(self, started_notification_id: int) -> None:
        """Bring the volunteers' signals in line with the dated past, then rank everyone."""
        month = offers.current_month()
        month_start = self.now.replace(day=1, hour=0, minute=0, second=0, microsecond=0)
        demo_offers = db.session.scalars(
            select(VolunteerOffer)
            .join(User, User.id == VolunteerOffer.user_id)
            .where(User.email.like(f"%@{DEMO_DOMAIN}"))
        ).all()
        delays: dict[int, list[float]] = {}
        for volunteer_id, answered, posted in db.session.execute(
            select(Answer.volunteer_id, Answer.created_at, HelpRequest.created_at)
            .join(HelpRequest, HelpRequest.id == Answer.request_id)
            .where(Answer.kind == AnswerKind.OFFER)
        ):
            delays.setdefault(volunteer_id, []).append((answered - posted).total_seconds() / 3600)
        used: dict[int, int] = {}
        for helper_id, created in db.session.execute(
            select(Match.helper_id, Match.created_at).where(Match.status != MatchStatus.CANCELLED)
        ):
            if created >= month_start:
                used[helper_id] = used.get(helper_id, 0) + 1
        for offer in demo_offers:
            hours = delays.get(offer.user_id, [])
            offer.answers_given = len(hours)
            offer.avg_response_hours = sum(hours) / len(hours) if hours else None
            offer.capacity_month = month
            offer.capacity_used = min(used.get(offer.user_id, 0), offer.monthly_capacity)
        # Introductions were written by a job after each commit: date them with their match.
        for notification in db.session.scalars(
            select(Notification).where(
                Notification.id > started_notification_id, Notification.kind == "match_made"
            )
        ):
            match = db.session.get(Match, (notification.data or {}).get("match_id", 0))
            if match is not None:
                notification.created_at = match.created_at
        # What happened more than a week ago has been read.
        for notification in db.session.scalars(
            select(Notification).where(
                Notification.id > started_notification_id,
                Notification.read_at.is_(None),
                Notification.created_at < self.now - timedelta(days=7),
            )
        ):
            notification.read_at = notification.created_at + timedelta(hours=3)
        db.session.commit()
        rank.rerank_all()
        # The periodic jobs do the rest: reminders for quiet requests, expiry for silent ones.
        requests.send_expiry_reminders()
        requests.expire_requests()
        # Expired when their quiet month ran out, not today.
        expiry = timedelta(days=current_app.config["REQUEST_EXPIRY_DAYS"])
        expired = {}
        for request in db.session.scalars(
            select(HelpRequest).where(
                HelpRequest.status == RequestStatus.EXPIRED, HelpRequest.ended_at >= self.now
            )
        ):
            request.ended_at = min(request.last_activity_at + expiry, self.now)
            expired[request.id] = request.ended_at
        for notification in db.session.scalars(
            select(Notification).where(
                Notification.id > started_notification_id,
                Notification.kind == "request_expired",
            )
        ):
            when = expired.get((notification.data or {}).get("request_id"))
            if when is not None:
                notification.created_at = when
        db.session.commit()


def _summary_counts() -> dict[str, int]:
    by_status = dict(
        db.session.execute(
            select(HelpRequest.status, func.count(HelpRequest.id)).group_by(HelpRequest.status)
        ).all()
    )
    return {
        "members": db.session.scalar(select(func.count(User.id))),
        "offers": db.session.scalar(select(func.count(VolunteerOffer.user_id))),
        "requests": sum(by_status.values()),
        "answers": db.session.scalar(select(func.count(Answer.id))),
        "matches": db.session.scalar(select(func.count(Match.id))),
        "acts": db.session.scalar(select(func.count(HelpAct.id))),
        "thanks": db.session.scalar(
            select(func.count(Thanks.id)).where(Thanks.status == ThanksStatus.CONFIRMED)
        ),
        "pledges": db.session.scalar(select(func.count(Pledge.id))),
        "pledges_kept": db.session.scalar(
            select(func.count(Pledge.id)).where(Pledge.kept_at.is_not(None))
        ),
        "came_back": db.session.scalar(select(func.count(CameBack.id))),
        "longest_chain": db.session.scalar(select(func.max(MemberRipples.longest_chain))) or 0,
        **{status.value: by_status.get(status.value, 0) for status in RequestStatus},
    }


def seed_demo_community(members: int = 60, seed: int = 2011) -> dict[str, int]:
    """Create up to ``members`` demo members (plus a host account) and their helping
    activity: offers, requests in every state, answers, invitations, comments and
    matches. Commits.

    Idempotent: a member, an offer or a request (by requester and title) that is
    already there is left as it is. Deterministic: every choice comes from a
    random generator seeded by ``seed`` and the thing being made, so the same
    seed gives the same community. Returns what this run created.
    """
    rng = random.Random(seed)
    genres = db.session.scalars(select(Genre).order_by(Genre.position)).all()
    skills = db.session.scalars(select(Skill).order_by(Skill.position)).all()
    if not genres or not skills:
        raise click.ClickException("The taxonomy is missing: run `flask db upgrade` first.")
    existing = set(
        db.session.scalars(select(User.email).where(User.email.like(f"%@{DEMO_DOMAIN}")))
    )
    password_hash = hash_password(DEMO_PASSWORD)
    now = utcnow()
    created = 0

    names = [(first, last) for first in FIRST_NAMES for last in LAST_NAMES]
    rng.shuffle(names)
    people = [("Kindred", "Host", HOST_EMAIL)] + [
        (first, last, f"{first}.{last}@{DEMO_DOMAIN}".lower()) for first, last in names[:members]
    ]
    with click.progressbar(people, label="Creating demo members") as bar:
        for first, last, email in bar:
            # Every member's draws are taken, new or not, so that the same seed
            # gives the same people whatever is already there.
            stage = rng.choice(list(WritingStage)).value
            member_genres = rng.sample(genres, k=rng.randint(1, 3))
            offered = rng.sample(skills, k=rng.randint(1, 4))
            wants = rng.sample([s for s in skills if s not in offered], k=rng.randint(1, 3))
            verified_days, joined_days = rng.randint(1, 400), rng.randint(1, 400)
            about = _about(rng, member_genres[0].name, stage)
            timezone = rng.choice(TIMEZONES)
            with_link = rng.random() < 0.6
            if email in existing:
                continue
            user = User(
                email=email,
                display_name=f"{first} {last}",
                password_hash=password_hash,
                email_verified_at=now - timedelta(days=verified_days),
                created_at=now - timedelta(days=joined_days),
                is_admin=email == HOST_EMAIL,
            )
            profile = Profile(
                about=about,
                stage=stage,
                timezone=timezone,
                genres=member_genres,
                offered_skills=offered,
                wanted_skills=wants,
            )
            if with_link:
                slug = f"{first}{last}".lower()
                profile.links = [
                    ProfileLink(position=0, label="Website", url=f"https://{slug}.example.org/")
                ]
            user.profile = profile
            db.session.add(user)
            created += 1
    db.session.commit()

    emails = [email for _, _, email in people]
    users = {
        user.email: user
        for user in db.session.scalars(select(User).where(User.email.in_(emails)))
        if user.is_verified and not user.is_deleted
    }
    helping = _Helping(
        seed, now, {email: users[email] for email in emails if email in users}, skills, genres
    )
    requesters = [email for email in emails if email != HOST_EMAIL]
    shapes = list(SHAPES)
    random.Random(f"{seed}:shapes").shuffle(shapes)
    plays = (
        [
            (
                str(index),
                random.Random(f"{seed}:requester:{index}").choice(requesters),
                template,
                shape,
            )
            for index, (template, shape) in enumerate(zip(REQUESTS, shapes, strict=True))
        ]
        if requesters
        else []
    )
    started_notification_id = db.session.scalar(select(func.max(Notification.id))) or 0
    steps = (
        [("offer", email) for email in emails]
        + [("stories", None), ("host", None)]
        + [("request", play) for play in plays]
    )
    with click.progressbar(steps, label="Offers, requests and matches") as bar:
        for kind, item in bar:
            if kind == "offer":
                helping.make_offer(item, genres)
                db.session.commit()
            elif kind == "stories":
                helping.play_stories()
            elif kind == "host":
                helping.host_corner()
            else:
                helping.play(*item)
    if helping.counts.offers or helping.counts.requests:
        helping.finish(started_notification_id)
    helping.finish_kindness(started_notification_id)

    made = helping.counts
    total = _summary_counts()
    click.echo(
        f"Demo community ready: {created} members, {made.offers} offers, {made.requests} "
        f"requests, {made.answers} answers, {made.invitations} invitations, {made.comments} "
        f"comments, {made.matches} matches and {made.thanks} thank-yous created"
        + (f" ({made.skipped} requests skipped: too few volunteers)" if made.skipped else "")
        + f"; {total['members']} members, {total['offers']} offers and {total['requests']} "
        f"requests in all ({total['open']} open, {total['matched']} matched, "
        f"{total['completed']} completed, {total['closed']} closed, {total['expired']} "
        f"expired); {total['acts']} acts of help, {total['thanks']} thank-yous, "
        f"{total['pledges']} pledges to pay it forward ({total['pledges_kept']} kept), "
        f"{total['came_back']} times kindness came back (longest chain "
        f"{total['longest_chain']}). Log in as {HOST_EMAIL} (admin) or any member with the "
        f"password {DEMO_PASSWORD}."
    )
    return {"members": created, **{name: getattr(made, name) for name in vars(made)}}
