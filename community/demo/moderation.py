"""Moderation: a moderator (appointed as the CLI appoints one), and a queue
with a few open cases a moderator meets in a real week: a member who joined
to sell paid reviews (his advert posted as a request, reported twice; his
sales-link welcome; a rude chat message once told no, reported with the
conversation around it), and an ordinary request reported out of doubt,
which the moderator will likely dismiss.

Everything goes through the domain (``follows``, ``welcomes``, ``chat.send``,
``moderation.report``: who may report what, once, the first response), then
dated over the past week. Too few reports reach the automatic thresholds,
so the cases wait for the moderator, open.
"""

from __future__ import annotations

import random
from datetime import timedelta

from sqlalchemy import select

from community.accounts.models import User
from community.chat import service as chat
from community.chat.models import Message
from community.db import db
from community.demo.chats import write_lines
from community.demo.content.members import HOST_EMAIL
from community.demo.content.moderation import (
    AGES,
    CHAT_REPORT,
    DOUBT_REPORT,
    MODERATOR_ABOUT,
    MODERATOR_EMAIL,
    MODERATOR_JOINED_DAYS,
    MODERATOR_NAME,
    REQUEST_REPORTS,
    SELLER_CHAT,
    SELLER_EMAIL,
    SELLER_JOINED_DAYS,
    SELLER_NAME,
    SELLER_REQUEST,
    SELLER_WELCOME,
    WELCOME_REPORT,
)
from community.demo.members import add_member
from community.demo.play import Play
from community.helping.models import HelpRequest, RequestStatus
from community.moderation import service as moderation
from community.network import follows, welcomes
from community.profiles.models import WritingStage


def play_moderation(play: Play) -> None:
    """The moderator and their queue; commits. Nothing happens when the
    moderator is there already (a second run)."""
    host = play.users.get(HOST_EMAIL)
    members = [user for email, user in sorted(play.users.items()) if email != HOST_EMAIL]
    if host is None or len(members) < 4:
        return
    if db.session.scalar(select(User.id).where(User.email == MODERATOR_EMAIL)) is not None:
        return
    rng = random.Random(f"{play.seed}:moderation")
    now = play.now

    def ago(days: float):
        return now - timedelta(days=days)

    genre, skill = play.genre_by_slug, play.skill_by_slug
    moderator = add_member(
        MODERATOR_EMAIL,
        MODERATOR_NAME,
        now,
        joined_days=MODERATOR_JOINED_DAYS,
        about_text=MODERATOR_ABOUT,
        stage=WritingStage.PUBLISHED,
        genres=[genre["crime"], genre["mystery"]],
        offered=[skill["critique"], skill["query-letters"]],
        wanted=[skill["marketing"]],
    )
    moderation.set_moderator(None, moderator, True)
    seller = add_member(
        SELLER_EMAIL,
        SELLER_NAME,
        now,
        joined_days=SELLER_JOINED_DAYS,
        genres=[genre["thriller"]],
        wanted=[skill["marketing"]],
    )
    play.counts.members += 2
    reporters = rng.sample(members, 4)
    first, second, told_no, doubter = reporters

    # His advert, posted as a request, and two members who reported it.
    advert = play.post(seller, SELLER_REQUEST)
    advert.created_at = advert.last_activity_at = advert.updated_at = ago(AGES["request"])
    play.date_news(ago(AGES["request"]))
    for reporter, (reason, words), days in zip(
        (first, second), REQUEST_REPORTS, AGES["request_reports"], strict=True
    ):
        _report(play, reporter, "request", advert.id, reason, words, ago(days))

    # A member followed him; he followed back with a sales link for a welcome.
    follows.follow(told_no, seller).created_at = ago(AGES["follow"])
    follows.follow(seller, told_no).created_at = ago(AGES["follow"]) + timedelta(hours=2)
    play.date_news(ago(AGES["follow"]))
    name = told_no.display_name.split()[0]
    genres = told_no.profile.genres if told_no.profile else []
    text = SELLER_WELCOME.format(first=name, genre=genres[0].name.lower() if genres else "next")
    welcome = welcomes.send_welcome(seller, told_no, text)
    welcome.created_at = ago(AGES["welcome"])
    play.date_news(ago(AGES["welcome"]))
    _report(play, told_no, "welcome", welcome.id, *WELCOME_REPORT, ago(AGES["welcome_report"]))

    # Then the same pitch in a chat, and what he said when she said no.
    conversation = chat.conversation_with(seller, told_no)
    people = {"seller": seller, "member": told_no}
    lines = [(people[who], line.format(first=name)) for who, line in SELLER_CHAT]
    started, ended = (ago(days) for days in (AGES["chat"][0], AGES["chat"][-1]))
    write_lines(play, conversation, lines, started, ended, rng)
    play.date_news(ended)
    rude = db.session.scalar(
        select(Message.id)
        .where(Message.conversation_id == conversation.id)
        .order_by(Message.seq.desc())
        .limit(1)
    )
    _report(play, told_no, "message", rude, *CHAT_REPORT, ago(AGES["chat_report"]))

    # A doubt about an ordinary open request (a false alarm, most likely).
    doubted = db.session.scalar(
        select(HelpRequest)
        .where(
            HelpRequest.status == RequestStatus.OPEN,
            HelpRequest.requester_id.not_in([host.id, seller.id, doubter.id]),
        )
        .order_by(HelpRequest.created_at.desc(), HelpRequest.id.desc())
        .limit(1)
    )
    if doubted is not None:
        _report(play, doubter, "request", doubted.id, *DOUBT_REPORT, ago(AGES["doubt_report"]))
    db.session.commit()


def _report(play: Play, reporter: User, item_type: str, item_id: int, reason, words, at) -> None:
    """``reporter`` reports the item through the domain; dated ``at``. The
    moderators' news of it stays unread: the queue waits for them."""
    report = moderation.report(reporter, item_type, item_id, reason, words)
    report.created_at = at
    play.date_news(at, unread=True)
    play.counts.reports += 1
