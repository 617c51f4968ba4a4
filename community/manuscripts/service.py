"""The rules of the beta-reading room. Every function flushes, never commits.

Who reads (``access_*`` functions raise NotFound for everyone else, the same
answer as for a missing manuscript, admins included):

- the author: the requester of the manuscript's help request, always;
- a reader: a helper of an active or completed match on that request, whom
  the author invited (the whole book, or a range of chapters). The
  invitation ends when the author revokes it, when the match is cancelled,
  and ``MANUSCRIPT_ACCESS_DAYS`` after the match completes (the author may
  extend it by as many days again).

Comments are private between the author and their reader unless the author
lets readers see each other's. Only readers comment; the author and the
comment's reader reply; the author resolves. A new version keeps each comment
on the paragraph it was written on when that paragraph survived (same text);
otherwise the comment is kept and marked "on an earlier version". It never
attaches a comment to a paragraph whose text lacks the comment's quote.

Live: after commit, the author's open pages are told of comments, notes and
progress, and a reader's pages of replies and of losing access, through the
Socket.IO user rooms. The author is notified once per reading session (a
reader's activity with no gap longer than ``MANUSCRIPT_SESSION_MINUTES``),
never with the text in the notification.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import datetime, timedelta

from flask import current_app
from limits import parse as parse_limit
from sqlalchemy import and_, delete, func, select
from sqlalchemy.orm import aliased, joinedload, selectinload

from community import limits as rate_limits
from community.accounts.models import User
from community.accounts.signals import member_leaving
from community.db import after_commit, db, utcnow
from community.errors import Conflict, Invalid, NotAllowed, NotFound
from community.helping.models import HelpRequest, Match, MatchStatus
from community.manuscripts import conversion, push
from community.manuscripts.models import (
    Chapter,
    ChapterRead,
    Comment,
    CommentReply,
    Manuscript,
    Paragraph,
    Question,
    QuestionAnswer,
    Reader,
)
from community.notifications.service import notify
from community.safety import hidden_ids, removed_text

BODY_MAX = 4000
# What members report of the room (moderation's item types, see its ITEM_TYPES).
COMMENT_ITEM = "manuscript_comment"
PASSAGE_ITEM = "manuscript_passage"
QUESTION_MAX = 500
QUESTIONS_PER_CHAPTER = 5
TITLE_MAX = 200


def _setting(name: str, default: int) -> int:
    return int(current_app.config.get(name, default))


def limits() -> conversion.Limits:
    return conversion.Limits(
        words=_setting("MANUSCRIPT_MAX_WORDS", 250_000),
        chapters=_setting("MANUSCRIPT_MAX_CHAPTERS", 200),
    )


# --- access -----------------------------------------------------------------------


@dataclass
class Access:
    """What a viewer may do with a manuscript: the author, or one reader."""

    manuscript: Manuscript
    reader: Reader | None  # None for the author
    chapter_count: int = 0  # set by access_chapter

    @property
    def is_author(self) -> bool:
        return self.reader is None

    def covers(self, position: int) -> bool:
        return self.reader is None or self.reader.covers(position)


def access_until(reader: Reader, match: Match) -> datetime | None:
    """When a reader's access ends (None: not while the match is active)."""
    if reader.access_until is not None:
        return reader.access_until
    if match.status == MatchStatus.COMPLETED and match.ended_at is not None:
        return match.ended_at + timedelta(days=_setting("MANUSCRIPT_ACCESS_DAYS", 30))
    return None


def reader_may_read(reader: Reader, match: Match, now: datetime | None = None) -> bool:
    if reader.revoked_at is not None or match.status == MatchStatus.CANCELLED:
        return False
    if match.status == MatchStatus.COMPLETED:
        until = access_until(reader, match)
        return until is not None and (now or utcnow()) < until
    return match.status == MatchStatus.ACTIVE


def access_manuscript(user, manuscript_id: int) -> Access:
    """The manuscript as ``user`` may see it; NotFound for anyone else."""
    user_id = getattr(user, "id", None)
    if user_id is None:
        raise NotFound()
    # One query: the manuscript, its author (every page names them in the
    # reader mark), and the viewer's invitation with its match, if any.
    found = db.session.execute(
        select(Manuscript, Reader, Match)
        .outerjoin(Reader, and_(Reader.manuscript_id == Manuscript.id, Reader.user_id == user_id))
        .outerjoin(Match, Match.id == Reader.match_id)
        .where(Manuscript.id == manuscript_id)
        .options(joinedload(Manuscript.author))
    ).first()
    if found is None:
        raise NotFound()
    manuscript, reader, match = found
    if manuscript.author_id == user_id:
        return Access(manuscript, None)
    if reader is None or not reader_may_read(reader, match):
        raise NotFound()
    return Access(manuscript, reader)


def access_author(user, manuscript_id: int) -> Manuscript:
    access = access_manuscript(user, manuscript_id)
    if not access.is_author:
        raise NotFound()
    return access.manuscript


# One alias for every call: a new one each time defeats SQLAlchemy's statement
# cache (compiling the query again cost more than running it).
_OTHER_CHAPTERS = aliased(Chapter)


def access_chapter(user, manuscript_id: int, position: int) -> tuple[Access, Chapter]:
    """The chapter at ``position`` as ``user`` may read it; NotFound otherwise.
    Sets ``access.chapter_count`` (for the page's next and previous links)."""
    access = access_manuscript(user, manuscript_id)
    others = _OTHER_CHAPTERS
    count = (
        select(func.max(others.position))
        .where(others.manuscript_id == manuscript_id)
        .scalar_subquery()
    )
    found = db.session.execute(
        select(Chapter, count).where(
            Chapter.manuscript_id == manuscript_id, Chapter.position == position
        )
    ).first()
    if found is None or not access.covers(position):
        raise NotFound()
    chapter, access.chapter_count = found
    return access, chapter


def manuscript_for_request(request_id: int) -> Manuscript | None:
    return db.session.scalar(select(Manuscript).where(Manuscript.request_id == request_id))


def readable_for(user, request_id: int) -> Manuscript | None:
    """The request's manuscript if ``user`` may read it (for links on other pages)."""
    manuscript = manuscript_for_request(request_id)
    if manuscript is None:
        return None
    try:
        return access_manuscript(user, manuscript.id).manuscript
    except NotFound:
        return None


def reading_for_author(user, match: Match) -> Reader | None:
    """The match helper's invitation to read, shown to the requester only: a
    finished read is what "help received" means for a reading request."""
    if match.requester_id != getattr(user, "id", None):
        return None
    return db.session.scalar(
        select(Reader)
        .join(Manuscript, Manuscript.id == Reader.manuscript_id)
        .where(Manuscript.request_id == match.request_id, Reader.user_id == match.helper_id)
    )


# --- the text ---------------------------------------------------------------------


def _write_text(manuscript: Manuscript, converted: conversion.Converted) -> None:
    """Replace the text with ``converted``: chapters keep their rows by position
    (so their questions, notes and read marks stay), paragraphs are rewritten."""
    db.session.execute(delete(Paragraph).where(Paragraph.manuscript_id == manuscript.id))
    existing = {
        chapter.position: chapter
        for chapter in db.session.scalars(
            select(Chapter).where(Chapter.manuscript_id == manuscript.id)
        )
    }
    rows = []
    texts = [block.text for part in converted.chapters for block in part.blocks]
    keys = iter(conversion.paragraph_keys(texts))
    for position, part in enumerate(converted.chapters, start=1):
        chapter = existing.pop(position, None)
        if chapter is None:
            chapter = Chapter(manuscript_id=manuscript.id, position=position)
            db.session.add(chapter)
        chapter.title, chapter.words = part.title[:TITLE_MAX], part.words
        db.session.flush()
        for index, block in enumerate(part.blocks, start=1):
            rows.append(
                {
                    "manuscript_id": manuscript.id,
                    "chapter_id": chapter.id,
                    "position": index,
                    "key": next(keys),
                    "kind": block.kind,
                    "html": block.html,
                    "text": block.text,
                }
            )
    for chapter in existing.values():
        db.session.delete(chapter)
    if rows:
        db.session.execute(Paragraph.__table__.insert(), rows)
    manuscript.words = converted.words
    manuscript.updated_at = utcnow()
    db.session.flush()


def add_manuscript(
    author, help_request: HelpRequest, title: str, converted: conversion.Converted
) -> Manuscript:
    """The requester shares a text on their request (one per request)."""
    if help_request.requester_id != getattr(author, "id", None):
        raise NotFound()
    if manuscript_for_request(help_request.id) is not None:
        raise Conflict("This request already has a manuscript: upload a new version instead.")
    title = (title or "").strip() or help_request.title
    manuscript = Manuscript(
        request_id=help_request.id, author_id=author.id, title=title[:TITLE_MAX]
    )
    db.session.add(manuscript)
    db.session.flush()
    _write_text(manuscript, converted)
    return manuscript


def upload_version(author, manuscript: Manuscript, converted: conversion.Converted) -> dict:
    """A new version: the text replaced, comments re-anchored. Returns counts."""
    if manuscript.author_id != getattr(author, "id", None):
        raise NotFound()
    comments = list(
        db.session.scalars(
            select(Comment).where(Comment.manuscript_id == manuscript.id, Comment.kind == "comment")
        )
    )
    _write_text(manuscript, converted)
    manuscript.version += 1
    paragraphs = list(
        db.session.execute(
            select(Paragraph.key, Paragraph.text, Paragraph.chapter_id).where(
                Paragraph.manuscript_id == manuscript.id
            )
        )
    )
    kept = reanchor(comments, [(key, text) for key, text, _ in paragraphs])
    chapter_of = {key: chapter_id for key, _, chapter_id in paragraphs}
    for comment in comments:
        if comment.paragraph_key in chapter_of and not comment.earlier_version:
            comment.chapter_id = chapter_of[comment.paragraph_key]
    db.session.flush()
    return {"kept": kept, "earlier": len(comments) - kept}


def reanchor(comments, paragraphs: list[tuple[str, str]]) -> int:
    """Keep each comment on its paragraph if one of ``paragraphs`` (key, text)
    has the text it was written on (the key names the same content, so it is
    tried first); otherwise mark it on an earlier version. Pure: changes the
    comments' ``paragraph_key``/``earlier_version`` only. Returns how many stay.
    """
    by_key = dict(paragraphs)
    by_text: dict[str, str] = {}
    for key, text in paragraphs:
        by_text.setdefault(text, key)
    kept = 0
    for comment in comments:
        if comment.earlier_version:
            continue
        key = comment.paragraph_key
        if by_key.get(key) != comment.paragraph_text:
            key = by_text.get(comment.paragraph_text)
        text = by_key.get(key) if key is not None else None
        if text is not None and text == comment.paragraph_text and comment.quote in text:
            comment.paragraph_key = key
            kept += 1
        else:
            comment.earlier_version = True
    return kept


def set_options(author, manuscript: Manuscript, *, allow_downloads: bool, share: bool) -> None:
    if manuscript.author_id != getattr(author, "id", None):
        raise NotFound()
    manuscript.allow_downloads = bool(allow_downloads)
    manuscript.readers_see_each_other = bool(share)
    db.session.flush()


def delete_manuscript(author, manuscript: Manuscript) -> None:
    """The text, its comments, readers and questions go (the database cascades)."""
    if manuscript.author_id != getattr(author, "id", None):
        raise NotFound()
    reader_ids = list(
        db.session.scalars(select(Reader.user_id).where(Reader.manuscript_id == manuscript.id))
    )
    manuscript_id = manuscript.id
    db.session.delete(manuscript)
    db.session.flush()
    _push_after_commit(reader_ids, "manuscript_gone", {"manuscript_id": manuscript_id})


# --- readers ---------------------------------------------------------------------


def invitable_matches(manuscript: Manuscript) -> list[Match]:
    """Matches on the request whose helpers the author may invite."""
    return list(
        db.session.scalars(
            select(Match)
            .where(
                Match.request_id == manuscript.request_id,
                Match.status.in_([MatchStatus.ACTIVE.value, MatchStatus.COMPLETED.value]),
            )
            .order_by(Match.created_at)
        )
    )


def _chapter_count(manuscript: Manuscript) -> int:
    return db.session.scalar(
        select(func.count()).select_from(Chapter).where(Chapter.manuscript_id == manuscript.id)
    )


def invite_reader(
    author,
    manuscript: Manuscript,
    match_id: int,
    first: int | None = None,
    last: int | None = None,
) -> Reader:
    """Invite the helper of ``match_id`` to read (the whole book, or first..last).

    Inviting again changes the range and undoes a revocation.
    """
    if manuscript.author_id != getattr(author, "id", None):
        raise NotFound()
    match = db.session.get(Match, match_id) if match_id else None
    if match is None or match.request_id != manuscript.request_id:
        raise Invalid("Choose one of the helpers of this request.", field="match_id")
    if match.status not in (MatchStatus.ACTIVE, MatchStatus.COMPLETED):
        raise Invalid("That match was cancelled.", field="match_id")
    count = _chapter_count(manuscript)
    if (first, last) != (None, None):
        first, last = first or 1, last or count
        if not (1 <= first <= last <= count):
            raise Invalid(f"Choose chapters between 1 and {count}.", field="first_chapter")
        if (first, last) == (1, count):
            first = last = None
    reader = db.session.scalar(
        select(Reader).where(
            Reader.manuscript_id == manuscript.id, Reader.user_id == match.helper_id
        )
    )
    if reader is None:
        reader = Reader(manuscript_id=manuscript.id, user_id=match.helper_id, match_id=match.id)
        db.session.add(reader)
    reader.match_id = match.id
    reader.first_chapter, reader.last_chapter = first, last
    reader.revoked_at = None
    db.session.flush()
    return reader


def _author_reader(author, manuscript: Manuscript, reader_id: int) -> Reader:
    if manuscript.author_id != getattr(author, "id", None):
        raise NotFound()
    reader = db.session.get(Reader, reader_id)
    if reader is None or reader.manuscript_id != manuscript.id:
        raise NotFound()
    return reader


def revoke_reader(author, manuscript: Manuscript, reader_id: int) -> Reader:
    """End a reader's access at once; their open pages are told after commit."""
    reader = _author_reader(author, manuscript, reader_id)
    if reader.revoked_at is None:
        reader.revoked_at = utcnow()
        db.session.flush()
        _push_after_commit([reader.user_id], "manuscript_revoked", {"manuscript_id": manuscript.id})
    return reader


def extend_reader(author, manuscript: Manuscript, reader_id: int) -> Reader:
    """Give a reader the default number of days more, from now or from the end."""
    reader = _author_reader(author, manuscript, reader_id)
    match = db.session.get(Match, reader.match_id)
    days = timedelta(days=_setting("MANUSCRIPT_ACCESS_DAYS", 30))
    base = max(access_until(reader, match) or utcnow(), utcnow())
    reader.access_until = base + days
    db.session.flush()
    return reader


def readers_of(manuscript: Manuscript) -> list[tuple[Reader, Match]]:
    return list(
        db.session.execute(
            select(Reader, Match)
            .join(Match, Match.id == Reader.match_id)
            .where(Reader.manuscript_id == manuscript.id)
            .order_by(Reader.created_at)
        ).all()
    )


# --- reading ---------------------------------------------------------------------


def _touch_session(access: Access, what: str) -> None:
    """Notify the author once per reading session (see the module rules)."""
    reader = access.reader
    now = utcnow()
    gap = timedelta(minutes=_setting("MANUSCRIPT_SESSION_MINUTES", 60))
    new_session = reader.last_activity_at is None or now - reader.last_activity_at > gap
    reader.last_activity_at = now
    if new_session:
        notify(
            access.manuscript.author,
            "manuscript_reading",
            {
                "name": reader.user.display_name,
                "title": access.manuscript.title,
                "manuscript_id": access.manuscript.id,
            },
        )


def position_changes(access: Access, chapter: Chapter, paragraph_key: str | None = None) -> bool:
    """Whether :func:`record_position` would change anything (the author's
    reading is not tracked; a reader rereading the same place changes nothing)."""
    if access.is_author:
        return False
    reader = access.reader
    return (reader.position_chapter, reader.position_paragraph) != (chapter.position, paragraph_key)


def record_position(access: Access, chapter: Chapter, paragraph_key: str | None = None) -> None:
    """Remember where the reader is (the author's own reading is not tracked)."""
    if access.is_author:
        return
    reader = access.reader
    if paragraph_key is not None:
        exists = db.session.scalar(
            select(Paragraph.id).where(
                Paragraph.chapter_id == chapter.id, Paragraph.key == paragraph_key
            )
        )
        if exists is None:
            paragraph_key = None
    reader.position_chapter = chapter.position
    reader.position_paragraph = paragraph_key
    db.session.flush()


def mark_chapter_read(access: Access, chapter: Chapter) -> bool:
    """A reader finished a chapter; True when that finishes their read."""
    if access.is_author:
        raise NotAllowed("Only readers mark chapters read.")
    reader = access.reader
    if db.session.get(ChapterRead, (reader.id, chapter.id)) is None:
        db.session.add(ChapterRead(reader_id=reader.id, chapter_id=chapter.id))
        db.session.flush()
    reader.chapters_read = db.session.scalar(
        select(func.count()).select_from(ChapterRead).where(ChapterRead.reader_id == reader.id)
    )
    reader.position_chapter, reader.position_paragraph = chapter.position, None
    last = reader.last_chapter or _chapter_count(access.manuscript)
    finished = chapter.position >= last and reader.finished_at is None
    if finished:
        reader.finished_at = utcnow()
    _touch_session(access, "read")
    db.session.flush()
    _push_after_commit(
        [access.manuscript.author_id],
        "manuscript_progress",
        {
            "manuscript_id": access.manuscript.id,
            "reader": reader.user.display_name,
            "chapters_read": reader.chapters_read,
            "finished": reader.finished_at is not None,
        },
    )
    return finished


@dataclass(slots=True)
class ShownParagraph:
    id: int
    key: str
    kind: str
    html: str


def paragraphs_of(chapter: Chapter) -> list[ShownParagraph]:
    """The chapter's paragraphs in order, as the reading page shows them (plain
    values, no ORM objects to build); a passage a moderator hid shows as such."""
    hidden = hidden_ids(PASSAGE_ITEM)
    shown = []
    for row in db.session.execute(
        select(Paragraph.id, Paragraph.key, Paragraph.kind, Paragraph.html)
        .where(Paragraph.chapter_id == chapter.id)
        .order_by(Paragraph.position)
    ):
        paragraph = ShownParagraph(*row)
        if paragraph.id in hidden:
            paragraph.html = f"<em>{removed_text(PASSAGE_ITEM, paragraph.id)}</em>"
        shown.append(paragraph)
    return shown


def chapters_read(reader: Reader) -> set[int]:
    return set(
        db.session.scalars(select(ChapterRead.chapter_id).where(ChapterRead.reader_id == reader.id))
    )


# --- comments ----------------------------------------------------------------------


def _body(body: str, field_name: str = "body", maximum: int = BODY_MAX) -> str:
    body = (body or "").strip()
    if not body:
        raise Invalid("Write something first.", field=field_name)
    if len(body) > maximum:
        raise Invalid(f"Keep it under {maximum:,} characters.", field=field_name)
    return body


def add_comment(
    access: Access, chapter: Chapter, paragraph_key: str, quote: str, body: str
) -> Comment:
    """A reader's comment on words of one paragraph of the chapter."""
    if access.is_author:
        raise NotAllowed("Readers comment; you can reply to their comments.")
    body = _body(body)
    paragraph = db.session.scalar(
        select(Paragraph).where(
            Paragraph.chapter_id == chapter.id,
            Paragraph.key == (paragraph_key or ""),
            Paragraph.kind == "text",
        )
    )
    if paragraph is None:
        raise Invalid("Choose a paragraph of this chapter.", field="paragraph")
    quote = " ".join((quote or "").split())
    text = " ".join(paragraph.text.split())
    if not quote or quote not in text:
        raise Invalid("Select words of that paragraph to comment on them.", field="quote")
    # The quote is stored as the paragraph has it (whitespace included).
    comment = Comment(
        manuscript_id=access.manuscript.id,
        chapter_id=chapter.id,
        author_id=access.reader.user_id,
        kind="comment",
        paragraph_key=paragraph.key,
        paragraph_text=paragraph.text,
        quote=_original_quote(paragraph.text, quote),
        body=body,
        version=access.manuscript.version,
    )
    db.session.add(comment)
    _touch_session(access, "comment")
    db.session.flush()
    _push_comment(access, chapter, comment)
    return comment


def _original_quote(text: str, normalised: str) -> str:
    """The words of ``text`` that ``normalised`` (whitespace collapsed) names."""
    words = normalised.split(" ")
    pattern = r"\s+".join(re.escape(word) for word in words)
    found = re.search(pattern, text)
    return found.group(0) if found else normalised


def add_note(access: Access, chapter: Chapter, body: str) -> Comment:
    """A reader's note at the end of a chapter."""
    if access.is_author:
        raise NotAllowed("Readers leave notes; you can reply to them.")
    note = Comment(
        manuscript_id=access.manuscript.id,
        chapter_id=chapter.id,
        author_id=access.reader.user_id,
        kind="note",
        body=_body(body, "note"),
        version=access.manuscript.version,
    )
    db.session.add(note)
    _touch_session(access, "note")
    db.session.flush()
    _push_comment(access, chapter, note)
    return note


def _access_comment(access: Access, comment_id: int) -> Comment:
    comment = db.session.get(Comment, comment_id)
    if comment is None or comment.manuscript_id != access.manuscript.id:
        raise NotFound()
    if not access.is_author and comment.author_id != access.reader.user_id:
        raise NotFound()
    return comment


def reply(access: Access, comment_id: int, body: str) -> CommentReply:
    """The author, or the comment's own reader, replies to a comment."""
    comment = _access_comment(access, comment_id)
    user_id = access.manuscript.author_id if access.is_author else access.reader.user_id
    answer = CommentReply(comment_id=comment.id, author_id=user_id, body=_body(body, "reply"))
    db.session.add(answer)
    db.session.flush()
    if access.is_author and _may_notify_reply(access.manuscript.id, comment.author_id):
        notify(
            comment.author,
            "manuscript_reply",
            {
                "name": access.manuscript.author.display_name,
                "title": access.manuscript.title,
                "manuscript_id": access.manuscript.id,
            },
        )
    recipient = comment.author_id if access.is_author else access.manuscript.author_id
    _push_after_commit(
        [recipient],
        "manuscript_reply",
        {"manuscript_id": access.manuscript.id, "comment_id": comment.id, "body": answer.body},
    )
    return answer


def _may_notify_reply(manuscript_id: int, reader_id: int) -> bool:
    """Replies are batched like reading: at most one notification per reader and
    manuscript per session length (the live push still carries every reply)."""
    minutes = _setting("MANUSCRIPT_SESSION_MINUTES", 60)
    item = parse_limit(f"1 per {minutes} minutes")
    return rate_limits.hit(item, "manuscript-reply", f"{manuscript_id}:{reader_id}")


def resolve(access: Access, comment_id: int, resolved: bool = True) -> Comment:
    if not access.is_author:
        raise NotFound()
    comment = _access_comment(access, comment_id)
    comment.resolved_at = utcnow() if resolved else None
    db.session.flush()
    return comment


@dataclass(slots=True)
class ShownReply:
    author_name: str
    body: str


@dataclass(slots=True)
class ShownComment:
    """A comment as the chapter page shows it: plain values, no ORM object
    (building 50 comments with their authors and replies as mapped objects
    took longer than the rest of the page)."""

    id: int
    kind: str
    author_id: int
    author_name: str
    paragraph_key: str | None
    quote: str
    body: str
    resolved_at: datetime | None
    earlier_version: bool
    replies: list[ShownReply]


def visible_comments(access: Access, chapter: Chapter) -> list[ShownComment]:
    """The chapter's comments and notes the viewer may see, oldest first, with
    their authors' names and their replies (two queries, whatever the count)."""
    query = (
        select(
            Comment.id,
            Comment.kind,
            Comment.author_id,
            User.display_name,
            Comment.paragraph_key,
            Comment.quote,
            Comment.body,
            Comment.resolved_at,
            Comment.earlier_version,
        )
        .join(User, User.id == Comment.author_id)
        .where(Comment.chapter_id == chapter.id)
        .order_by(Comment.created_at, Comment.id)
    )
    if not access.is_author and not access.manuscript.readers_see_each_other:
        query = query.where(Comment.author_id == access.reader.user_id)
    shown = [ShownComment(*row, replies=[]) for row in db.session.execute(query)]
    hidden = hidden_ids(COMMENT_ITEM) if shown else {}
    for comment in shown:
        if comment.id in hidden:
            comment.body = removed_text(COMMENT_ITEM, comment.id)
    if shown:
        by_id = {comment.id: comment for comment in shown}
        replies = db.session.execute(
            select(CommentReply.comment_id, User.display_name, CommentReply.body)
            .join(User, User.id == CommentReply.author_id)
            .join(Comment, Comment.id == CommentReply.comment_id)
            .where(Comment.chapter_id == chapter.id)
            .order_by(CommentReply.created_at, CommentReply.id)
        )
        for comment_id, name, body in replies:
            if comment_id in by_id:
                by_id[comment_id].replies.append(ShownReply(name, body))
    return shown


def earlier_comments(access: Access) -> list[Comment]:
    """Comments whose paragraph a later version changed (or whose chapter went)."""
    query = select(Comment).where(
        Comment.manuscript_id == access.manuscript.id,
        (Comment.earlier_version.is_(True)) | (Comment.chapter_id.is_(None)),
    )
    if not access.is_author:
        query = query.where(Comment.author_id == access.reader.user_id)
    return list(db.session.scalars(query.order_by(Comment.created_at)))


def all_comments(access: Access) -> list[Comment]:
    """For export: every comment the viewer may download (the author: all;
    a reader: their own), in reading order where the chapter is known."""
    query = (
        select(Comment)
        .outerjoin(Chapter, Chapter.id == Comment.chapter_id)
        .where(Comment.manuscript_id == access.manuscript.id)
        .order_by(Chapter.position, Comment.created_at, Comment.id)
    )
    if not access.is_author:
        query = query.where(Comment.author_id == access.reader.user_id)
    query = query.options(
        selectinload(Comment.author),
        selectinload(Comment.replies).joinedload(CommentReply.author),
    )
    return list(db.session.scalars(query))


# --- questions -------------------------------------------------------------------


def ask_question(author, manuscript: Manuscript, chapter: Chapter, body: str) -> Question:
    if manuscript.author_id != getattr(author, "id", None):
        raise NotFound()
    body = _body(body, "question", QUESTION_MAX)
    asked = db.session.scalar(
        select(func.count()).select_from(Question).where(Question.chapter_id == chapter.id)
    )
    if asked >= QUESTIONS_PER_CHAPTER:
        raise Invalid(f"At most {QUESTIONS_PER_CHAPTER} questions a chapter.", field="question")
    question = Question(chapter_id=chapter.id, body=body)
    db.session.add(question)
    db.session.flush()
    return question


def questions_of(chapter: Chapter) -> list[Question]:
    return list(
        db.session.scalars(
            select(Question).where(Question.chapter_id == chapter.id).order_by(Question.id)
        )
    )


def answer_question(access: Access, chapter: Chapter, question_id: int, body: str):
    if access.is_author:
        raise NotAllowed("Readers answer your questions.")
    question = db.session.get(Question, question_id)
    if question is None or question.chapter_id != chapter.id:
        raise NotFound()
    body = _body(body, "answer")
    answer = db.session.scalar(
        select(QuestionAnswer).where(
            QuestionAnswer.question_id == question.id,
            QuestionAnswer.user_id == access.reader.user_id,
        )
    )
    if answer is None:
        answer = QuestionAnswer(question_id=question.id, user_id=access.reader.user_id, body=body)
        db.session.add(answer)
    answer.body, answer.updated_at = body, utcnow()
    _touch_session(access, "answer")
    db.session.flush()
    _push_after_commit(
        [access.manuscript.author_id],
        "manuscript_answer",
        {
            "manuscript_id": access.manuscript.id,
            "chapter": chapter.position,
            "question_id": question.id,
            "reader": access.reader.user.display_name,
            "body": body,
        },
    )
    return answer


def answers_to(access: Access, chapter: Chapter) -> list[QuestionAnswer]:
    """The author sees every reader's answers; a reader their own."""
    query = (
        select(QuestionAnswer)
        .join(Question, Question.id == QuestionAnswer.question_id)
        .where(Question.chapter_id == chapter.id)
        .options(selectinload(QuestionAnswer.user))
    )
    if not access.is_author:
        query = query.where(QuestionAnswer.user_id == access.reader.user_id)
    return list(db.session.scalars(query))


# --- live ------------------------------------------------------------------------


def _push_comment(access: Access, chapter: Chapter, comment: Comment) -> None:
    _push_after_commit(
        [access.manuscript.author_id],
        "manuscript_comment",
        {
            "manuscript_id": access.manuscript.id,
            "chapter": chapter.position,
            "comment_id": comment.id,
            "kind": comment.kind,
            "paragraph": comment.paragraph_key,
            "quote": comment.quote,
            "body": comment.body,
            "reader": access.reader.user.display_name,
        },
    )


def _push_after_commit(user_ids: list[int], event: str, payload: dict) -> None:
    after_commit(lambda: push.to_users(user_ids, event, payload))


# --- thanks ----------------------------------------------------------------------

QUOTE_MAX = 500  # of a comment quoted in a thank-you (which holds 2,000 characters)


@dataclass(frozen=True)
class Quotable:
    comment_id: int
    label: str  # "On “the words” (chapter 3): the comment"


def _helpers_comments(requester, match: Match):
    """The match helper's comments and notes on the request's manuscript, when
    ``requester`` is its author (nobody else thanks for them), in reading order;
    those a moderator hid are left out."""
    if match.requester_id != getattr(requester, "id", None):
        return []
    manuscript = manuscript_for_request(match.request_id)
    if manuscript is None or manuscript.author_id != requester.id:
        return []
    hidden = hidden_ids(COMMENT_ITEM)
    rows = db.session.execute(
        select(Comment, Chapter.position)
        .outerjoin(Chapter, Chapter.id == Comment.chapter_id)
        .where(Comment.manuscript_id == manuscript.id, Comment.author_id == match.helper_id)
        .order_by(Chapter.position, Comment.created_at, Comment.id)
    ).all()
    return [(comment, position) for comment, position in rows if comment.id not in hidden]


def _attributed(comment: Comment, position: int | None) -> tuple[str, str]:
    """Where a comment sits, and its words (shortened to QUOTE_MAX)."""
    body = " ".join(comment.body.split())
    if len(body) > QUOTE_MAX:
        body = body[: QUOTE_MAX - 1].rstrip() + "…"
    chapter = f"chapter {position}" if position is not None else "an earlier version"
    if comment.kind == "note":
        return f"on {chapter}", body
    quote = " ".join(comment.quote.split())
    if len(quote) > 80:
        quote = quote[:79].rstrip() + "…"
    return f"on “{quote}” ({chapter})", body


def quotable_comments(requester, match: Match) -> list[Quotable]:
    """What the thank-you panel offers the author to quote: the reader's own
    comments on her manuscript (a finished read is the help received)."""
    quotable = []
    for comment, position in _helpers_comments(requester, match):
        where, body = _attributed(comment, position)
        quotable.append(Quotable(comment.id, f"{where[0].upper()}{where[1:]}: {body}"))
    return quotable


def thanks_with_quote(requester, match: Match, body: str, comment_id: str | int | None) -> str:
    """The thank-you ``body`` with the chosen comment quoted after it, attributed
    to the passage it was on (plain text: pages escape it). Invalid (on the
    ``quote`` field) for a comment that is not one the panel offers."""
    if comment_id in (None, ""):
        return body
    chosen = str(comment_id)
    for comment, position in _helpers_comments(requester, match):
        if str(comment.id) == chosen:
            where, words = _attributed(comment, position)
            return f"{(body or '').rstrip()}\n\nYour {comment.kind} {where}: “{words}”"
    raise Invalid("Choose one of their comments, or none.", field="quote")


# --- reports ---------------------------------------------------------------------


@dataclass(frozen=True)
class Reportable:
    """What moderation freezes into a report about the room: the member it is
    about, the reported words, and where they sit (no more of the text)."""

    author: User
    text: str
    context: dict


def reportable_comment(viewer, comment_id: int) -> Reportable:
    """A comment or chapter note as ``viewer`` sees it (the author: every one;
    a reader: their own, and the others' when the author shares them), or
    NotFound. The report keeps the comment and the words it quotes."""
    comment = db.session.get(Comment, comment_id)
    if comment is None:
        raise NotFound()
    access = access_manuscript(viewer, comment.manuscript_id)
    chapter = db.session.get(Chapter, comment.chapter_id) if comment.chapter_id else None
    if not access.is_author:
        mine = comment.author_id == access.reader.user_id
        if not mine and not access.manuscript.readers_see_each_other:
            raise NotFound()
        if chapter is None or not access.covers(chapter.position):
            raise NotFound()
    context = {
        "text": comment.body,
        "quote": comment.quote,
        "where": f"a {comment.kind} on chapter {chapter.position} of a shared manuscript"
        if chapter is not None
        else f"a {comment.kind} on an earlier version of a shared manuscript",
    }
    return Reportable(comment.author, comment.body, context)


def reportable_passage(viewer, paragraph_id: int) -> Reportable:
    """A paragraph a reader may read (plagiarism, misuse...), or NotFound. The
    report keeps that one paragraph and no other words of the manuscript."""
    paragraph = db.session.get(Paragraph, paragraph_id)
    if paragraph is None or paragraph.kind != "text":
        raise NotFound()
    access = access_manuscript(viewer, paragraph.manuscript_id)
    chapter = db.session.get(Chapter, paragraph.chapter_id)
    if not access.covers(chapter.position):
        raise NotFound()
    context = {
        "text": paragraph.text,
        "where": f"a passage of chapter {chapter.position} of a shared manuscript",
    }
    return Reportable(access.manuscript.author, paragraph.text, context)


# --- accounts ----------------------------------------------------------------------


@member_leaving.connect
def forget_member(user, *, reason: str = "deleted", **_) -> None:
    """A deleted account's manuscripts go, with every comment made on them; as a
    reader, their invitations end (their comments stay with the author's text)."""
    db.session.execute(delete(Manuscript).where(Manuscript.author_id == user.id))
    db.session.execute(delete(Reader).where(Reader.user_id == user.id))
