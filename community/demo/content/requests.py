"""Help requests: the templates members post, the shapes their lives take
(open, matched, completed, closed, expired), and what people say to each
other along the way (answers, questions, declines, cancellations). The
host's own corner is here too."""

from __future__ import annotations

from dataclasses import dataclass


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
