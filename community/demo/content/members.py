"""The members: names, timezones, the words their profiles are made of, and
what volunteers say about their offers."""

from __future__ import annotations

import random

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


def about(rng: random.Random, genre_name: str, stage: str) -> str:
    """A profile's about text for a writer of ``genre_name`` at ``stage``."""
    first = rng.choice(OPENINGS).format(genre=genre_name.lower())
    return f"{first} {WORK[stage]}\n\n{rng.choice(CLOSINGS)}"


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
