"""Moderation: the moderator, the member who came to sell rather than to help,
what he wrote, and what the members who reported it said."""

from __future__ import annotations

from community.demo.content.members import DEMO_DOMAIN
from community.demo.content.requests import RequestTemplate

MODERATOR_EMAIL = f"moderator@{DEMO_DOMAIN}"
MODERATOR_NAME = "Morgan Ellery"
MODERATOR_ABOUT = (
    "Crime writer and one of this community's volunteer moderators. I read the reports "
    "so that everyone else can get on with their books. Tell me about yours."
)
MODERATOR_JOINED_DAYS = 380

# A member who joined last week to sell a "launch package": his profile says
# nothing about himself, which is usually the first sign.
SELLER_EMAIL = f"rex.marlowe@{DEMO_DOMAIN}"
SELLER_NAME = "Rex Marlowe"
SELLER_JOINED_DAYS = 9

SELLER_REQUEST = RequestTemplate(
    "Launch team wanted: guaranteed 500 five-star reviews",
    "Looking for authors to join my Bestseller Boost launch team. For a one-off fee of $149 "
    "your book gets 500 guaranteed five-star reviews in the first week. Spaces are limited, "
    "sign up at www.bestsellerboost.biz today!",
    ("marketing",),
    None,
    effort="one week",
)
SELLER_WELCOME = (
    "Thanks for the follow, {first}! What are you working on? If you want your {genre} "
    "book to sell, my Bestseller Boost package gets you 500 reviews in a week: "
    "www.bestsellerboost.biz"
)
# (who says it, what): "seller" or "member".
SELLER_CHAT = (
    (
        "seller",
        "Hi {first}, did you get a chance to look at the Bestseller Boost link? "
        "This week only it's $99.",
    ),
    ("member", "Thanks, but I'm not looking for paid reviews. Good luck with it."),
    (
        "seller",
        "Your loss. Writers like you are why nobody takes indie books seriously. "
        "Enjoy your twelve readers.",
    ),
)

# (reason, the reporter's words) for each report.
REQUEST_REPORTS = (
    (
        "scam",
        "This is selling paid reviews, which breaks every retailer's rules. Please "
        "take it down before a new writer pays for it.",
    ),
    ("spam", "Not a request for help: an advert with a link."),
)
WELCOME_REPORT = ("spam", "He followed me back just to send me a sales link.")
CHAT_REPORT = ("harassment", "I said no thank you and got this. Not OK.")
# A report the moderator will probably dismiss: a worry about an ordinary request.
DOUBT_REPORT = (
    "other",
    "I think this was posted last month as well, and nobody who offered heard back. "
    "Is reposting allowed?",
)

# How long ago (days) each thing happened.
AGES = {
    "request": 3.0,
    "request_reports": (2.8, 2.1),
    "follow": 6.0,
    "welcome": 5.9,
    "welcome_report": 5.5,
    "chat": (1.4, 1.3, 1.1),
    "chat_report": 1.0,
    "doubt_report": 0.4,
}
