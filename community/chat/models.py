"""Tables of the chat area: conversations, their members and messages.

Blocks, which every area asks about, live in :mod:`community.blocks`."""

from __future__ import annotations

import enum
from datetime import datetime

from sqlalchemy import ForeignKey, Index, String, Text, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column, relationship

from community.db import UTCDateTime, db, utcnow


class ConversationKind(enum.StrEnum):
    MATCH = "match"  # opened for a match: the requester and one helper
    CONNECTION = "connection"  # opened by mutual followers


class Conversation(db.Model):
    """A private conversation. Who may write in it is decided by
    :func:`community.chat.service.talk_refusal`, from its kind and the world
    (the match's state, the follows, the blocks), never stored here.

    ``pair_key`` ("<low id>:<high id>") makes a connection conversation unique
    per pair of members; match conversations leave it empty (one per match).
    """

    __tablename__ = "conversations"
    __table_args__ = (
        UniqueConstraint("match_id"),
        UniqueConstraint("pair_key"),
        Index("ix_conversations_last_message", "last_message_at"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    kind: Mapped[str] = mapped_column(String(20))
    match_id: Mapped[int | None] = mapped_column(ForeignKey("matches.id", ondelete="CASCADE"))
    pair_key: Mapped[str | None] = mapped_column(String(40))
    created_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow)
    last_message_at: Mapped[datetime | None] = mapped_column(UTCDateTime())
    # Messages are numbered 1, 2, 3... within a conversation, under a lock of
    # this row, so a client can tell a gap from the end (see Message.seq).
    last_seq: Mapped[int] = mapped_column(default=0)

    match: Mapped[Match | None] = relationship()  # noqa: F821
    members: Mapped[list[ConversationMember]] = relationship(
        back_populates="conversation", order_by="ConversationMember.user_id"
    )


class ConversationMember(db.Model):
    """One participant of a conversation and what they have read.

    ``last_read_seq`` is the newest message they have seen (read receipts and
    unread counts come from it). ``email_due_at`` is set when a message
    arrives while nothing is pending and cleared by the quiet-period email;
    ``emailed_through_seq`` stops a message from being emailed twice.
    ``first_wrote_at`` is when the member first wrote in it.
    """

    __tablename__ = "conversation_members"
    __table_args__ = (
        Index("ix_conversation_members_user", "user_id", "conversation_id"),
        Index("ix_conversation_members_email_due", "email_due_at"),
    )

    conversation_id: Mapped[int] = mapped_column(
        ForeignKey("conversations.id", ondelete="CASCADE"), primary_key=True
    )
    user_id: Mapped[int] = mapped_column(
        ForeignKey("users.id", ondelete="CASCADE"), primary_key=True
    )
    last_read_seq: Mapped[int] = mapped_column(default=0)
    email_due_at: Mapped[datetime | None] = mapped_column(UTCDateTime())
    emailed_through_seq: Mapped[int] = mapped_column(default=0)
    # When this member first wrote here (None: not yet). First contact in a
    # match is read from it: who has written, and whether both have.
    first_wrote_at: Mapped[datetime | None] = mapped_column(UTCDateTime())
    joined_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow)

    conversation: Mapped[Conversation] = relationship(back_populates="members")
    user: Mapped[User] = relationship()  # noqa: F821


class Message(db.Model):
    """One chat message: plain text, stored once per (sender, client id).

    ``seq`` numbers the messages of a conversation without gaps, in commit
    order: a client that holds 1..n and receives n+2 knows n+1 is on its way
    or was missed, and asks for what follows n when it (re)connects.
    """

    __tablename__ = "messages"
    __table_args__ = (
        UniqueConstraint("sender_id", "client_id"),
        UniqueConstraint("conversation_id", "seq"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    conversation_id: Mapped[int] = mapped_column(ForeignKey("conversations.id", ondelete="CASCADE"))
    seq: Mapped[int] = mapped_column()
    sender_id: Mapped[int] = mapped_column(ForeignKey("users.id", ondelete="CASCADE"))
    client_id: Mapped[str] = mapped_column(String(64))
    body: Mapped[str] = mapped_column(Text)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow)

    sender: Mapped[User] = relationship()  # noqa: F821
