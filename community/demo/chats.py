"""Conversations: believable exchanges in match chats and between connected
members, sent through the chat domain (``chat.service.send``: who may talk,
clean text, numbering without gaps, idempotent client ids) and then dated in
the past.

Only the chat's rate limit is set aside while the demo writes (a member of
the demo sends a week's messages in a second); every other rule holds, so a
conversation the rules would close (a cancelled match, members no longer
connected) gets no messages. Each match conversation is dated from its
match; what was said more than a few hours ago has been read, and the host
finds a couple of conversations with a message still unread.
"""

from __future__ import annotations

import random
from collections.abc import Iterator
from contextlib import contextmanager
from datetime import datetime, timedelta

from flask import current_app
from sqlalchemy import select, update
from sqlalchemy.orm import joinedload, selectinload

from community.accounts.models import User
from community.chat import service as chat
from community.chat.models import Conversation, ConversationMember
from community.db import db
from community.demo.content.members import DEMO_DOMAIN, HOST_EMAIL
from community.demo.content.network import (
    CONNECTION_CHATS,
    MATCH_CHECK_INS,
    MATCH_CLOSINGS,
    MATCH_OPENINGS,
)
from community.demo.play import Play
from community.errors import KindredError
from community.extensions import limiter
from community.helping.models import Match, MatchStatus
from community.network.models import Welcome

MATCH_SHARE = 0.6  # of the other members' active and completed matches, those with a chat
CONNECTION_CHATS_HOST = 3
CONNECTION_CHATS_OTHERS = 6
HOST_UNREAD = 2  # the host's newest conversations end with a message they have not read


@contextmanager
def without_rate_limit() -> Iterator[None]:
    """Set the rate limits and the trust levels' daily limits aside for the
    block: the demo plays months of a community in seconds, through the same
    domain rules otherwise."""
    config = current_app.config
    before = (
        config.get("RATELIMIT_ENABLED", True),
        config.get("TRUST_LIMITS", True),
        limiter.enabled,
    )
    config["RATELIMIT_ENABLED"] = False
    config["TRUST_LIMITS"] = False
    limiter.enabled = False
    try:
        yield
    finally:
        config["RATELIMIT_ENABLED"], config["TRUST_LIMITS"], limiter.enabled = before


def _first(user: User) -> str:
    return user.display_name.split()[0]


def _match_lines(rng: random.Random, match: Match) -> list[tuple[User, str]]:
    genre = match.request.genre.name.lower() if match.request.genre else "this kind of book"
    script = list(rng.choice(MATCH_OPENINGS))
    if match.status == MatchStatus.COMPLETED:
        script += rng.choice(MATCH_CLOSINGS)
    elif rng.random() < 0.6:
        script += rng.choice(MATCH_CHECK_INS)
    people = {"asker": match.requester, "helper": match.helper}
    names = {"asker": _first(match.requester), "helper": _first(match.helper), "genre": genre}
    return [(people[who], text.format(**names)) for who, text in script]


def _connection_lines(rng: random.Random, a: User, b: User) -> list[tuple[User, str]]:
    genres = b.profile.genres if b.profile else []
    genre = genres[0].name.lower() if genres else "latest"
    people = {"a": a, "b": b}
    return [(people[who], text.format(genre=genre)) for who, text in rng.choice(CONNECTION_CHATS)]


def write_lines(
    play: Play, conversation: Conversation, lines, start: datetime, end: datetime, rng
) -> datetime | None:
    """Send ``lines`` in ``conversation`` through the domain; date them between
    ``start`` and ``end``. Returns when the last was sent (None if refused)."""
    sent = []
    for index, (sender, text) in enumerate(lines):
        try:
            result = chat.send(sender, conversation.id, f"demo-{conversation.id}-{index}", text)
        except KindredError:
            break  # the rules close this conversation (a block, a cancelled match...)
        sent.append(result.message)
    if not sent:
        return None
    span = max(end - start, timedelta(minutes=len(sent)))
    moments = sorted(rng.uniform(0.02, 0.98) for _ in sent)
    for message, share in zip(sent, moments, strict=True):
        message.created_at = start + span * share
    last = sent[-1].created_at
    db.session.execute(
        update(Conversation).where(Conversation.id == conversation.id).values(last_message_at=last)
    )
    # Read by everyone, nothing waiting to be emailed: this was weeks ago.
    db.session.execute(
        update(ConversationMember)
        .where(ConversationMember.conversation_id == conversation.id)
        .values(last_read_seq=conversation.last_seq, email_due_at=None)
    )
    play.counts.messages += len(sent)
    return last


def play_chats(play: Play) -> None:
    """Messages in match and connection conversations; commits. Conversations
    that already have messages are left as they are (a second run)."""
    host = play.users.get(HOST_EMAIL)
    if host is None:
        return
    rng = random.Random(f"{play.seed}:chats")
    now = play.now
    written: list[
        tuple[datetime, Conversation, User]
    ] = []  # (last message, conversation, last sender)

    conversations = db.session.scalars(
        select(Conversation)
        .join(Match, Match.id == Conversation.match_id)
        .join(User, User.id == Match.requester_id)
        .where(User.email.like(f"%@{DEMO_DOMAIN}"))
        .options(
            joinedload(Conversation.match).joinedload(Match.request),
            selectinload(Conversation.members),
        )
        .order_by(Conversation.id)
    ).all()
    with without_rate_limit():
        for conversation in conversations:
            match = conversation.match
            conversation.created_at = match.created_at
            if conversation.last_seq or match.status == MatchStatus.CANCELLED:
                continue
            with_host = host.id in (match.requester_id, match.helper_id)
            if not with_host and rng.random() > MATCH_SHARE:
                continue
            end = match.ended_at or now - timedelta(hours=rng.uniform(0.5, 72))
            start = match.created_at + timedelta(minutes=rng.uniform(10, 120))
            lines = _match_lines(rng, match)
            last = write_lines(play, conversation, lines, start, min(end, now), rng)
            if last is not None and with_host:
                written.append((last, conversation, lines[-1][0]))

        for a, b, welcomed in _connected_pairs(play, rng, host):
            try:
                conversation = chat.conversation_with(a, b)
            except KindredError:
                continue  # no longer connected
            if conversation.last_seq:
                continue
            start = welcomed + timedelta(hours=rng.uniform(2, 48))
            if start >= now:
                continue
            end = min(start + timedelta(days=rng.uniform(1, 10)), now - timedelta(minutes=20))
            lines = _connection_lines(rng, a, b)
            last = write_lines(play, conversation, lines, start, end, rng)
            if last is not None and host.id in (a.id, b.id):
                written.append((last, conversation, lines[-1][0]))

    # The host's newest conversations whose last word is the other member's: unread.
    unread = [item for item in sorted(written, key=lambda item: item[0]) if item[2].id != host.id]
    for _, conversation, _ in unread[-HOST_UNREAD:]:
        db.session.execute(
            update(ConversationMember)
            .where(
                ConversationMember.conversation_id == conversation.id,
                ConversationMember.user_id == host.id,
            )
            .values(last_read_seq=ConversationMember.last_read_seq - 1)
        )
    db.session.commit()


def _connected_pairs(play: Play, rng: random.Random, host: User):
    """(writer, other, when they welcomed) for connected members who welcomed each
    other: a few of the host's connections, and a few pairs of other members."""
    rows = db.session.execute(
        select(Welcome.sender_id, Welcome.recipient_id, Welcome.created_at).order_by(Welcome.id)
    ).all()
    by_id = {user.id: user for user in play.users.values()}
    mine, others = [], []
    for sender_id, recipient_id, at in rows:
        sender, recipient = by_id.get(sender_id), by_id.get(recipient_id)
        if sender is None or recipient is None:
            continue
        # The welcomed member writes first, thanking the one who welcomed them.
        pair = (recipient, sender, at)
        (mine if host.id in (sender_id, recipient_id) else others).append(pair)
    return rng.sample(mine, min(CONNECTION_CHATS_HOST, len(mine))) + rng.sample(
        others, min(CONNECTION_CHATS_OTHERS, len(others))
    )
