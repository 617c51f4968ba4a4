"""A spam wave: 50 fresh accounts each try to start conversations, follow,
welcome and post links. What got through is counted against the trust table."""

from __future__ import annotations

import pytest

from community.chat import service as chat
from community.db import db
from community.helping import requests as help_requests
from community.helping.errors import HelpingError
from community.moderation.trust import LEVELS
from community.network import follows, welcomes
from community.network.follows import NetworkError
from community.network.models import Follow
from tests.helping.conftest import skill_ids

SPAMMERS = 50
TARGETS = 12
NOTES = [
    "Hello! What are you writing at the moment, and how is it going?",
    "Welcome aboard. Which authors made you want to write yourself?",
    "Glad to meet you here. Do you outline first, or discover as you go?",
    "Hi there, is your current book a series or a standalone one?",
    "Nice to connect. What part of the craft do you enjoy the most?",
    "Hey, how did you find your beta readers for the last draft?",
]


def _request_input(n: int) -> help_requests.RequestInput:
    return help_requests.RequestInput(
        title=f"Need readers for my story number {n}",
        details="A short story of 4,000 words; any notes on the ending are welcome.",
        skill_ids=skill_ids("beta-reading"),
        genre_id=None,
        format="written",
        effort="an hour",
        deadline=None,
        helpers_wanted=1,
    )


@pytest.mark.timeout(900)  # some 1,500 acts, each with its notification
@pytest.mark.parametrize("settings", [{"TRUST_LIMITS": True, "RATELIMIT_ENABLED": True}])
def test_a_spam_wave_gets_only_what_the_trust_table_allows(make_user):
    new = LEVELS[0]
    targets = [make_user(trust_level_set=3) for _ in range(TARGETS)]
    spammers = [make_user() for _ in range(SPAMMERS)]
    # The targets follow every spammer (rows written directly: they are the
    # setting, not the acts counted): welcomes and chats are possible, so
    # only the trust table stands in the way.
    for target in targets:
        for spammer in spammers:
            db.session.add(Follow(follower_id=target.id, followed_id=spammer.id))
    db.session.commit()
    got = {"follow": 0, "welcome": 0, "conversation": 0, "link": 0, "request": 0}
    for spammer in spammers:
        for target in targets:
            try:
                follows.follow(spammer, target)
                got["follow"] += 1
            except NetworkError:
                pass
        for target, note in zip(targets, NOTES, strict=False):
            try:
                welcomes.send_welcome(spammer, target, note)
                got["welcome"] += 1
            except NetworkError:
                pass
        conversations = []
        for target in targets[:5]:
            try:
                conversations.append(chat.conversation_with(spammer, target))
                got["conversation"] += 1
            except chat.ChatError:
                pass
        for n, conversation in enumerate(conversations):
            try:
                chat.send(spammer, conversation.id, f"s{spammer.id}-{n}", "Buy at cheap.biz now")
                got["link"] += 1
            except chat.ChatError:
                pass
        for n in range(3):
            try:
                help_requests.post_request(spammer, _request_input(n))
                got["request"] += 1
            except HelpingError:
                pass
        db.session.commit()
    assert got == {
        "follow": SPAMMERS * new.follows,
        "welcome": SPAMMERS * min(new.welcomes, len(NOTES)),
        "conversation": SPAMMERS * new.conversations,
        "link": 0,
        "request": SPAMMERS * new.open_requests,
    }
