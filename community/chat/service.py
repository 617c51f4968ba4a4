"""Chat: who may talk, sending, history, catch-up, read receipts, unread mail.

Every rule about conversations lives here; the Socket.IO handlers
(:mod:`community.chat.realtime`), the pages (:mod:`community.chat.views`) and
the jobs are thin adapters over these functions. What reaches open pages
goes out after commit through the publisher, :mod:`community.chat.push`;
blocks are :mod:`community.blocks` (asked) and :mod:`community.blocking`
(made).

Reliability is this module's job, not Socket.IO's (which delivers at most
once and keeps nothing): a message is committed before anyone hears of it,
storing the same client id twice stores it once, and messages are numbered
without gaps within their conversation (``seq``, taken under a lock of the
conversation's row), so a client that comes back asks for everything after
the last number it holds and receives exactly what it missed, in order.
"""

from __future__ import annotations

import logging
import re
from dataclasses import dataclass
from datetime import datetime, timedelta

from flask import current_app
from limits import parse as parse_limit
from sqlalchemy import and_, case, func, literal, select, update
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import joinedload, selectinload

from community import blocks, errors, jobs, limits, safety, trust
from community.accounts.models import User
from community.chat import push
from community.chat.models import (
    Conversation,
    ConversationKind,
    ConversationMember,
    Message,
)
from community.chat.text import linkify
from community.db import UTCDateTime, after_commit, db, utcnow
from community.errors import Invalid, NotAllowed, RateLimited
from community.helping.models import Match, MatchStatus
from community.network.follows import are_connected
from community.notifications.service import notify
from community.text import clean_text

log = logging.getLogger(__name__)
MESSAGE_MAX = 4000
PAGE_SIZE = 50
CATCH_UP_MAX = 500  # per conversation and per call; the client asks again for more
CLIENT_ID = re.compile(r"^[A-Za-z0-9_-]{1,64}$")


class ChatError(Invalid):
    """A chat rule was broken by the input; ``code`` is for clients, the message
    for people."""


class NotFound(errors.NotFound):
    """Missing, or not the member's conversation: the same answer for both."""

    default_message = "We could not find that conversation."


class Refused(NotAllowed):
    """The member may read this conversation but not write in it now."""

    code = "refused"


# --- opening conversations ------------------------------------------------------


def pair_key(a_id: int, b_id: int) -> str:
    low, high = sorted((a_id, b_id))
    return f"{low}:{high}"


def _open(kind: ConversationKind, member_ids: tuple[int, int], **fields) -> Conversation:
    now = utcnow()
    conversation = Conversation(kind=kind.value, created_at=now, **fields)
    db.session.add(conversation)
    db.session.flush()
    for user_id in member_ids:
        db.session.add(
            ConversationMember(conversation_id=conversation.id, user_id=user_id, joined_at=now)
        )
    db.session.flush()
    return conversation


def open_for_match(match: Match) -> Conversation:
    """The conversation of a match (each helper has their own with the requester)."""
    existing = db.session.scalar(select(Conversation).where(Conversation.match_id == match.id))
    if existing is not None:
        return existing
    return _open(ConversationKind.MATCH, (match.requester_id, match.helper_id), match_id=match.id)


def conversation_id_of_match(match_id: int) -> int | None:
    """The id of a match's conversation (None before it is opened)."""
    return db.session.scalar(select(Conversation.id).where(Conversation.match_id == match_id))


def conversation_ids_of_matches(match_ids) -> dict[int, int]:
    """The ids of the conversations of ``match_ids`` (those opened), by match id.
    One query."""
    rows = db.session.execute(
        select(Conversation.match_id, Conversation.id).where(
            Conversation.match_id.in_(list(match_ids))
        )
    )
    return dict(rows.tuples().all())


def first_writes_of_matches(match_ids) -> dict[int, dict[int, datetime | None]]:
    """For each match of ``match_ids`` that has a conversation: when each of its
    two members first wrote there (None: not yet). One query."""
    rows = db.session.execute(
        select(Conversation.match_id, ConversationMember.user_id, ConversationMember.first_wrote_at)
        .join(ConversationMember, ConversationMember.conversation_id == Conversation.id)
        .where(Conversation.match_id.in_(list(match_ids)))
    )
    found: dict[int, dict[int, datetime | None]] = {}
    for match_id, user_id, first_wrote_at in rows:
        found.setdefault(match_id, {})[user_id] = first_wrote_at
    return found


def conversation_with(user: User, other: User) -> Conversation:
    """The connection conversation of two mutual followers, opened on first use.

    Raises Refused when they may not talk (not connected, blocked...).
    """
    if other.id == user.id or other.is_deleted:
        raise NotFound("We could not find that member.")
    key = pair_key(user.id, other.id)
    conversation = db.session.scalar(select(Conversation).where(Conversation.pair_key == key))
    if conversation is None:
        reason = _connection_refusal(user, other.id) or trust.refusal(user, "conversation")
        if reason:
            raise Refused(reason)
        try:
            with db.session.begin_nested():
                conversation = _open(ConversationKind.CONNECTION, (user.id, other.id), pair_key=key)
        except IntegrityError:  # the other member opened it at the same moment
            conversation = db.session.scalar(
                select(Conversation).where(Conversation.pair_key == key)
            )
    return conversation


# --- who may talk: the one rule ---------------------------------------------------


def access(user, conversation_id: int) -> Conversation:
    """The conversation, if ``user`` takes part in it; NotFound otherwise."""
    user_id = getattr(user, "id", None)
    conversation = (
        db.session.get(
            Conversation,
            conversation_id,
            options=[selectinload(Conversation.members), joinedload(Conversation.match)],
        )
        if user_id
        else None
    )
    if conversation is None or user_id not in member_ids(conversation):
        raise NotFound()
    return conversation


def member_ids(conversation: Conversation) -> list[int]:
    return [member.user_id for member in conversation.members]


def other_id(conversation: Conversation, user_id: int) -> int:
    return next(uid for uid in member_ids(conversation) if uid != user_id)


def membership(conversation: Conversation, user_id: int) -> ConversationMember:
    return next(member for member in conversation.members if member.user_id == user_id)


def talk_refusal(conversation: Conversation, user: User) -> str | None:
    """Why ``user`` may not write in ``conversation`` now, or None when they may.

    The one rule of who may talk, whatever opened the conversation: both are
    still members of the site, the writer has confirmed their email, neither
    has blocked the other, and what brought them together still holds (the
    match is not cancelled; they still follow each other).
    """
    if user.id not in member_ids(conversation):
        return NotFound().args[0]
    if not user.is_verified:
        return "Please confirm your email address first: the link is in the email we sent you."
    other = db.session.get(User, other_id(conversation, user.id))
    if other is None or other.is_deleted:
        return "This member has left Kindred."
    if blocks.is_blocked_between(user.id, other.id):
        if blocks.has_blocked(user.id, other.id):
            return f"You have blocked {other.display_name}. Unblock them to write again."
        return "You cannot write to this member."
    if conversation.kind == ConversationKind.MATCH:
        if conversation.match is None or conversation.match.status == MatchStatus.CANCELLED:
            return "This match was cancelled, so the conversation is closed."
        return None
    return _connection_refusal(user, other.id)


def _connection_refusal(user: User, other_id_: int) -> str | None:
    if not user.is_verified:
        return "Please confirm your email address first: the link is in the email we sent you."
    if blocks.is_blocked_between(user.id, other_id_):
        return "You cannot write to this member."
    if not are_connected(user.id, other_id_):
        return "You can chat once you follow each other."
    return None


# --- sending ------------------------------------------------------------------------


def clean_body(body) -> str:
    """The text of a message, checked: 1 to MESSAGE_MAX characters of plain text."""
    if not isinstance(body, str):
        raise ChatError("A message is text.", "body")
    body = clean_text(body).strip()
    if not body:
        raise ChatError("Write something first.", "body")
    if len(body) > MESSAGE_MAX:
        raise ChatError(
            f"A message can be at most {MESSAGE_MAX:,} characters (this one has {len(body):,}).",
            "body",
        )
    return body


def clean_client_id(client_id) -> str:
    if not isinstance(client_id, str) or not CLIENT_ID.match(client_id):
        raise ChatError("A message needs an id of 1 to 64 letters, digits, - or _.", "client_id")
    return client_id


@dataclass(frozen=True)
class Sent:
    message: Message
    created: bool  # False when this client id was stored before (a resend)


def send(user: User, conversation_id: int, client_id, body) -> Sent:
    """Store a message from ``user``; flushes. The caller commits, then the
    message is delivered (see :func:`deliver_after_commit`).

    Idempotent: a client id ``user`` used before returns the stored message
    (``created`` False) instead of storing it again, whatever the text.
    """
    client_id = clean_client_id(client_id)
    conversation = access(user, conversation_id)
    stored = _stored(user.id, client_id)
    if stored is not None:
        if stored.conversation_id != conversation.id:
            raise ChatError("That message id was already used in another conversation.")
        return Sent(stored, False)
    body = clean_body(body)
    reason = talk_refusal(conversation, user) or trust.refusal(
        user, "message", text=body, holdable=True
    )
    if reason:
        raise Refused(reason)
    _check_rate(user.id)
    recipients = member_ids(conversation)
    try:
        with db.session.begin_nested():
            message = _insert(conversation, user, client_id, body)
    except IntegrityError:
        # The same client id raced in from another connection: it is stored once.
        stored = _stored(user.id, client_id)
        if stored is None:
            raise
        return Sent(stored, False)
    if trust.links_held(user, body):
        safety.hold_for_review(user, "message", message.id, body)
    deliver_after_commit(message, recipients)
    return Sent(message, True)


def _stored(sender_id: int, client_id: str) -> Message | None:
    return db.session.scalar(
        select(Message).where(Message.sender_id == sender_id, Message.client_id == client_id)
    )


def _insert(conversation: Conversation, sender: User, client_id: str, body: str) -> Message:
    now = utcnow()
    # Taking the next number locks the conversation's row until commit, so
    # numbers are given in commit order and never skipped.
    seq = db.session.scalar(
        update(Conversation)
        .where(Conversation.id == conversation.id)
        .values(last_seq=Conversation.last_seq + 1, last_message_at=now)
        .returning(Conversation.last_seq)
        .execution_options(synchronize_session=False)
    )
    message = Message(
        conversation_id=conversation.id,
        seq=seq,
        sender=sender,
        client_id=client_id,
        body=body,
        created_at=now,
    )
    db.session.add(message)
    db.session.flush()
    # The sender has read their own message; the others may get an email.
    # Their first message is first contact (community.helping.first_contact).
    db.session.execute(
        update(ConversationMember)
        .where(
            ConversationMember.conversation_id == conversation.id,
            ConversationMember.user_id == sender.id,
        )
        .values(
            last_read_seq=seq,
            first_wrote_at=func.coalesce(ConversationMember.first_wrote_at, now),
        )
        .execution_options(synchronize_session=False)
    )
    if conversation.match_id is not None:
        _push_back_check_in(conversation.match_id, now)
    _schedule_unread_email(conversation.id, sender.id, now)
    db.session.expire(conversation)
    return message


def _push_back_check_in(match_id: int, now: datetime) -> None:
    """A message in a match's chat is the members talking: the match's next
    check-in (community.helping.check_ins) moves to a full period from now,
    and a check-in waiting for an answer is answered. One UPDATE by key."""
    after = timedelta(days=current_app.config["CHECK_IN_AFTER_DAYS"])
    db.session.execute(
        update(Match)
        .where(
            Match.id == match_id,
            (Match.check_in_due_at.is_not(None)) | (Match.check_in_open_at.is_not(None)),
        )
        .values(
            check_in_due_at=case(
                (Match.check_in_due_at.is_(None), None),
                else_=literal(now + after, UTCDateTime()),
            ),
            check_in_open_at=None,
        )
        .execution_options(synchronize_session=False)
    )


def _check_rate(user_id: int) -> None:
    if not current_app.config.get("RATELIMIT_ENABLED", True):
        return
    item = parse_limit(current_app.config["CHAT_RATE_LIMIT"])
    allowed = limits.hit(item, "chat-send", str(user_id))
    if not allowed:
        raise RateLimited(
            "You are sending messages very fast. Please wait a moment, then try again "
            f"(the limit is {current_app.config['CHAT_RATE_LIMIT']})."
        )


def deliver_after_commit(message: Message, recipients: list[int]) -> None:
    """Once committed, push the message to every connection of its members."""
    payload = message_payload(message)
    after_commit(lambda: push.deliver(payload, recipients))


def message_payload(message: Message) -> dict:
    removed = safety.removed_text("message", message.id)
    if removed is not None:
        # The text never leaves the server once hidden, not even to its sender.
        return {
            "id": message.id,
            "conversation_id": message.conversation_id,
            "seq": message.seq,
            "client_id": message.client_id,
            "sender_id": message.sender_id,
            "sender_name": message.sender.display_name,
            "body": removed,
            "html": f"<em>{removed}</em>",
            "removed": True,
            "created_at": message.created_at.isoformat(),
        }
    return {
        "id": message.id,
        "conversation_id": message.conversation_id,
        "seq": message.seq,
        "client_id": message.client_id,
        "sender_id": message.sender_id,
        "sender_name": message.sender.display_name,
        "body": message.body,
        "html": str(linkify(message.body)),
        "created_at": message.created_at.isoformat(),
    }


# --- reading ------------------------------------------------------------------------


def latest(conversation: Conversation, limit: int = PAGE_SIZE) -> list[Message]:
    """The newest ``limit`` messages, oldest first."""
    rows = db.session.scalars(
        select(Message)
        .where(Message.conversation_id == conversation.id)
        .order_by(Message.seq.desc())
        .limit(limit)
        .options(joinedload(Message.sender))
    ).all()
    return list(reversed(rows))


def before(conversation: Conversation, before_seq: int, limit: int = PAGE_SIZE) -> list[Message]:
    """Up to ``limit`` messages older than ``before_seq``, oldest first."""
    rows = db.session.scalars(
        select(Message)
        .where(Message.conversation_id == conversation.id, Message.seq < before_seq)
        .order_by(Message.seq.desc())
        .limit(limit)
        .options(joinedload(Message.sender))
    ).all()
    return list(reversed(rows))


def after(conversation: Conversation, after_seq: int, limit: int | None = None) -> list[Message]:
    """Up to ``limit`` (default CATCH_UP_MAX) messages newer than ``after_seq``, in
    order (catch-up)."""
    limit = limit or CATCH_UP_MAX
    return list(
        db.session.scalars(
            select(Message)
            .where(Message.conversation_id == conversation.id, Message.seq > after_seq)
            .order_by(Message.seq)
            .limit(limit)
            .options(joinedload(Message.sender))
        )
    )


def mark_read(user: User, conversation: Conversation, seq: int | None = None) -> int:
    """Record that ``user`` has read up to ``seq`` (default: everything). Flushes.

    Never moves backwards. Returns the member's last read number.
    """
    member = membership(conversation, user.id)
    target = conversation.last_seq if seq is None else min(int(seq), conversation.last_seq)
    if target > member.last_read_seq:
        db.session.execute(
            update(ConversationMember)
            .where(
                ConversationMember.conversation_id == conversation.id,
                ConversationMember.user_id == user.id,
                ConversationMember.last_read_seq < target,
            )
            .values(last_read_seq=target)
            .execution_options(synchronize_session=False)
        )
        db.session.refresh(member)
    return member.last_read_seq


def unread_counts(user_id: int) -> dict[int, int]:
    """Unread messages per conversation of ``user_id`` (only those with any)."""
    rows = db.session.execute(
        select(Message.conversation_id, func.count(Message.id))
        .join(
            ConversationMember,
            and_(
                ConversationMember.conversation_id == Message.conversation_id,
                ConversationMember.user_id == user_id,
            ),
        )
        .where(Message.seq > ConversationMember.last_read_seq, Message.sender_id != user_id)
        .group_by(Message.conversation_id)
    )
    return {conversation_id: count for conversation_id, count in rows}


def tell_read(conversation: Conversation, user_id: int, seq: int) -> None:
    """Once a read is committed, push the receipt and the reader's new unread
    counts (the caller calls this after its commit)."""
    # A block either way: the reader's own tabs still learn the counts, but no
    # receipt tells the other member when they were read.
    hidden = blocks.blocked_ids(user_id)
    others = [member for member in member_ids(conversation) if member not in hidden]
    push.tell_read(conversation.id, user_id, seq, others, unread_counts(user_id))


def unread_total(user_id: int) -> int:
    return sum(unread_counts(user_id).values())


@dataclass(frozen=True)
class ChatSummary:
    conversation: Conversation
    other: User
    last_message: Message | None
    unread: int


def conversations_of(user: User, limit: int = 100) -> list[ChatSummary]:
    """The member's conversations, most recent first, each with the other member,
    the latest message and the unread count (four queries, whatever the number)."""
    memberships = db.session.scalars(
        select(ConversationMember)
        .join(Conversation)
        .where(ConversationMember.user_id == user.id)
        .order_by(
            func.coalesce(Conversation.last_message_at, Conversation.created_at).desc(),
            Conversation.id.desc(),
        )
        .limit(limit)
        .options(joinedload(ConversationMember.conversation).selectinload(Conversation.members))
    ).all()
    conversations = [member.conversation for member in memberships]
    others = {c.id: other_id(c, user.id) for c in conversations}
    people = {
        person.id: person
        for person in db.session.scalars(
            select(User)
            .where(User.id.in_(set(others.values()) or {0}))
            .options(joinedload(User.profile))
        )
    }
    last = {
        message.conversation_id: message
        for message in db.session.scalars(
            select(Message).where(
                Message.conversation_id.in_([c.id for c in conversations] or [0]),
                Message.seq
                == select(Conversation.last_seq)
                .where(Conversation.id == Message.conversation_id)
                .scalar_subquery(),
            )
        )
    }
    unread = unread_counts(user.id)
    return [
        ChatSummary(c, people[others[c.id]], last.get(c.id), unread.get(c.id, 0))
        for c in conversations
    ]


# --- the quiet-period email ---------------------------------------------------------


def _schedule_unread_email(conversation_id: int, sender_id: int, now) -> None:
    """Start the quiet period of every other member with none running."""
    due = now + timedelta(seconds=current_app.config["CHAT_EMAIL_QUIET_SECONDS"])
    claimed = db.session.scalars(
        update(ConversationMember)
        .where(
            ConversationMember.conversation_id == conversation_id,
            ConversationMember.user_id != sender_id,
            ConversationMember.email_due_at.is_(None),
        )
        .values(email_due_at=due)
        .returning(ConversationMember.user_id)
        .execution_options(synchronize_session=False)
    ).all()
    delay = current_app.config["CHAT_EMAIL_QUIET_SECONDS"]
    for user_id in claimed:
        jobs.enqueue_in(delay, send_unread_email, conversation_id, user_id)


@jobs.commits
def send_unread_email(conversation_id: int, user_id: int) -> bool:
    """A job: if the member still has unread messages in the conversation once
    the quiet period is over, send one notification listing them. Commits.

    Runs any number of times safely: the first run that finds the period over
    claims it by clearing ``email_due_at``; messages already emailed are never
    listed again. Returns whether a notification was made.
    """
    now = utcnow()
    claimed = db.session.execute(
        update(ConversationMember)
        .where(
            ConversationMember.conversation_id == conversation_id,
            ConversationMember.user_id == user_id,
            ConversationMember.email_due_at.is_not(None),
            ConversationMember.email_due_at <= now + timedelta(seconds=1),
        )
        .values(email_due_at=None)
        .execution_options(synchronize_session=False)
    ).rowcount
    if claimed != 1:
        return False
    member = db.session.get(ConversationMember, (conversation_id, user_id))
    since = max(member.last_read_seq, member.emailed_through_seq)
    unread = [
        message
        for message in after(member.conversation, since, limit=CATCH_UP_MAX)
        if message.sender_id != user_id
    ]
    recipient = member.user
    if not unread or recipient.is_deleted:
        return False
    quiet = timedelta(seconds=current_app.config["CHAT_EMAIL_QUIET_SECONDS"])
    if unread[0].created_at + quiet > now + timedelta(seconds=1):
        # What is unread now came after the last email or read: give it its own
        # quiet period before writing.
        member.email_due_at = unread[0].created_at + quiet
        wait = (member.email_due_at - now).total_seconds()
        jobs.enqueue_in(wait, send_unread_email, conversation_id, user_id)
        return False
    member.emailed_through_seq = unread[-1].seq
    sender = unread[-1].sender
    notify(
        recipient,
        "chat_unread",
        {
            "conversation_id": conversation_id,
            "name": sender.display_name,
            "count": len(unread),
            "excerpt": _excerpt(unread[-1].body),
        },
        email_context={
            "conversation_name": sender.display_name,
            "messages": [
                {
                    "sender": message.sender.display_name,
                    "body": message.body,
                    "time": message.created_at.strftime("%d %b %H:%M UTC"),
                }
                for message in unread[-20:]
            ],
            "more": max(0, len(unread) - 20),
        },
    )
    return True


def send_due_unread_emails() -> int:
    """Periodic catch-up: send every quiet-period email that is due, in case its
    delayed job was lost (Redis restarted, the process stopped). Commits."""
    due = db.session.execute(
        select(ConversationMember.conversation_id, ConversationMember.user_id).where(
            ConversationMember.email_due_at <= utcnow()
        )
    ).all()
    db.session.rollback()
    return sum(1 for conversation_id, user_id in due if send_unread_email(conversation_id, user_id))


def _excerpt(text: str, length: int = 80) -> str:
    text = " ".join(text.split())
    return text if len(text) <= length else text[: length - 1].rstrip() + "…"
