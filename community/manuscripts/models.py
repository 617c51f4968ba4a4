"""Tables of the beta-reading room: a manuscript's text as rows, its readers, their comments.

The text is stored as chapter and paragraph rows (no file, no blob): the
original upload is converted and dropped. Everything hangs off the
manuscript with ``ON DELETE CASCADE``, and the manuscript off its help
request and its author, so deleting the request or the account deletes the
text and every comment made on it.
"""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import ForeignKey, Index, String, Text, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column, relationship

from community.db import UTCDateTime, db, utcnow


class Manuscript(db.Model):
    """The text an author shares for one help request (at most one per request)."""

    __tablename__ = "manuscripts"

    id: Mapped[int] = mapped_column(primary_key=True)
    request_id: Mapped[int] = mapped_column(
        ForeignKey("help_requests.id", ondelete="CASCADE"), unique=True
    )
    author_id: Mapped[int] = mapped_column(ForeignKey("users.id", ondelete="CASCADE"), index=True)
    title: Mapped[str] = mapped_column(String(200))
    version: Mapped[int] = mapped_column(default=1)
    words: Mapped[int] = mapped_column(default=0)
    # Off unless the author allows it: readers may download their own comments
    # always, the text never (there is no download of the text at all).
    allow_downloads: Mapped[bool] = mapped_column(default=False)
    # Comments are private between the author and each reader unless this is on.
    readers_see_each_other: Mapped[bool] = mapped_column(default=False)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow)
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow)

    author: Mapped[User] = relationship()  # noqa: F821
    chapters: Mapped[list[Chapter]] = relationship(
        order_by="Chapter.position", cascade="all, delete-orphan", passive_deletes=True
    )


class Chapter(db.Model):
    __tablename__ = "manuscript_chapters"
    __table_args__ = (UniqueConstraint("manuscript_id", "position"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    manuscript_id: Mapped[int] = mapped_column(ForeignKey("manuscripts.id", ondelete="CASCADE"))
    position: Mapped[int]  # 1, 2, 3... as readers count them
    title: Mapped[str] = mapped_column(String(200))
    words: Mapped[int] = mapped_column(default=0)


class Paragraph(db.Model):
    """One block of text. ``key`` is its stable id: derived from its content
    (and which repeat of that content it is), so an unchanged paragraph keeps
    its key, and the comments on it, from one version to the next."""

    __tablename__ = "manuscript_paragraphs"
    __table_args__ = (
        UniqueConstraint("manuscript_id", "key"),
        Index("ix_manuscript_paragraphs_chapter", "chapter_id", "position"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    manuscript_id: Mapped[int] = mapped_column(ForeignKey("manuscripts.id", ondelete="CASCADE"))
    chapter_id: Mapped[int] = mapped_column(
        ForeignKey("manuscript_chapters.id", ondelete="CASCADE")
    )
    position: Mapped[int]
    key: Mapped[str] = mapped_column(String(40))
    kind: Mapped[str] = mapped_column(String(10), default="text")  # text | break
    html: Mapped[str] = mapped_column(Text)  # cleaned by nh3 to a small allow-list
    text: Mapped[str] = mapped_column(Text)  # plain text: what quotes are matched against


class Reader(db.Model):
    """An invitation to read: one helper of a match on the manuscript's request.

    Access holds while the invitation is not revoked, its match is active or
    completed, and (once completed) ``access_until`` has not passed.
    """

    __tablename__ = "manuscript_readers"
    __table_args__ = (UniqueConstraint("manuscript_id", "user_id"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    manuscript_id: Mapped[int] = mapped_column(ForeignKey("manuscripts.id", ondelete="CASCADE"))
    user_id: Mapped[int] = mapped_column(ForeignKey("users.id", ondelete="CASCADE"), index=True)
    match_id: Mapped[int] = mapped_column(ForeignKey("matches.id", ondelete="CASCADE"))
    first_chapter: Mapped[int | None]  # None: the whole book
    last_chapter: Mapped[int | None]
    revoked_at: Mapped[datetime | None] = mapped_column(UTCDateTime())
    # Set by the author's "extend"; otherwise the match's end + the default days.
    access_until: Mapped[datetime | None] = mapped_column(UTCDateTime())
    # Where the reader stopped, and how far they got.
    position_chapter: Mapped[int | None]
    position_paragraph: Mapped[str | None] = mapped_column(String(40))
    chapters_read: Mapped[int] = mapped_column(default=0)
    finished_at: Mapped[datetime | None] = mapped_column(UTCDateTime())
    # Batching: one notification to the author per reading session.
    last_activity_at: Mapped[datetime | None] = mapped_column(UTCDateTime())
    created_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow)

    user: Mapped[User] = relationship()  # noqa: F821
    match: Mapped[Match] = relationship()  # noqa: F821

    def covers(self, position: int) -> bool:
        first = self.first_chapter or 1
        return first <= position and (self.last_chapter is None or position <= self.last_chapter)


class ChapterRead(db.Model):
    """A chapter a reader marked read (progress counts these)."""

    __tablename__ = "manuscript_chapter_reads"

    reader_id: Mapped[int] = mapped_column(
        ForeignKey("manuscript_readers.id", ondelete="CASCADE"), primary_key=True
    )
    chapter_id: Mapped[int] = mapped_column(
        ForeignKey("manuscript_chapters.id", ondelete="CASCADE"), primary_key=True
    )
    at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow)


class Comment(db.Model):
    """A reader's comment on words of a paragraph, or a note on a whole chapter.

    ``paragraph_key`` and ``quote`` anchor it; ``paragraph_text`` remembers the
    paragraph it was written on, so that a new version can tell whether the
    paragraph survived. ``earlier_version`` marks one whose paragraph did not.
    """

    __tablename__ = "manuscript_comments"
    __table_args__ = (Index("ix_manuscript_comments_chapter", "chapter_id", "created_at"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    manuscript_id: Mapped[int] = mapped_column(
        ForeignKey("manuscripts.id", ondelete="CASCADE"), index=True
    )
    # SET NULL: a chapter that a new version no longer has keeps its comments.
    chapter_id: Mapped[int | None] = mapped_column(
        ForeignKey("manuscript_chapters.id", ondelete="SET NULL")
    )
    author_id: Mapped[int] = mapped_column(ForeignKey("users.id", ondelete="CASCADE"), index=True)
    kind: Mapped[str] = mapped_column(String(10), default="comment")  # comment | note
    paragraph_key: Mapped[str | None] = mapped_column(String(40))
    paragraph_text: Mapped[str] = mapped_column(Text, default="")
    quote: Mapped[str] = mapped_column(Text, default="")
    body: Mapped[str] = mapped_column(Text)
    version: Mapped[int] = mapped_column(default=1)
    earlier_version: Mapped[bool] = mapped_column(default=False)
    resolved_at: Mapped[datetime | None] = mapped_column(UTCDateTime())
    created_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow)

    author: Mapped[User] = relationship()  # noqa: F821
    replies: Mapped[list[CommentReply]] = relationship(
        order_by="CommentReply.created_at", cascade="all, delete-orphan", passive_deletes=True
    )


class CommentReply(db.Model):
    __tablename__ = "manuscript_comment_replies"

    id: Mapped[int] = mapped_column(primary_key=True)
    comment_id: Mapped[int] = mapped_column(
        ForeignKey("manuscript_comments.id", ondelete="CASCADE"), index=True
    )
    author_id: Mapped[int] = mapped_column(ForeignKey("users.id", ondelete="CASCADE"))
    body: Mapped[str] = mapped_column(Text)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow)

    author: Mapped[User] = relationship()  # noqa: F821


class Question(db.Model):
    """The author's question for a chapter ("Did the ending surprise you?")."""

    __tablename__ = "manuscript_questions"

    id: Mapped[int] = mapped_column(primary_key=True)
    chapter_id: Mapped[int] = mapped_column(
        ForeignKey("manuscript_chapters.id", ondelete="CASCADE"), index=True
    )
    body: Mapped[str] = mapped_column(Text)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow)


class QuestionAnswer(db.Model):
    __tablename__ = "manuscript_question_answers"
    __table_args__ = (UniqueConstraint("question_id", "user_id"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    question_id: Mapped[int] = mapped_column(
        ForeignKey("manuscript_questions.id", ondelete="CASCADE")
    )
    user_id: Mapped[int] = mapped_column(ForeignKey("users.id", ondelete="CASCADE"), index=True)
    body: Mapped[str] = mapped_column(Text)
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow)

    user: Mapped[User] = relationship()  # noqa: F821
