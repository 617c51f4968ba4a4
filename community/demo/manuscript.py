"""The beta-reading room: the host shares The Salt Lantern on their open
request for beta readers, invites its two helpers (one to the whole book,
one to the first chapters), asks chapter questions; the readers read,
comment on words of paragraphs, leave a note, answer, and the host replies
and resolves. All through the manuscripts domain (the text pasted, as an
author may paste it), then dated between when the text was shared and now.
"""

from __future__ import annotations

from datetime import datetime, timedelta

from sqlalchemy import select

from community.db import db
from community.demo.content.manuscript import (
    ANSWERED_AT,
    ANSWERS,
    ASKED_AT,
    PROGRESS,
    QUESTIONS,
    READER_NOTES,
    REPLY_AFTER,
    SECOND_READER_CHAPTERS,
    TEXT,
    TITLE,
)
from community.demo.content.members import HOST_EMAIL
from community.demo.content.requests import HOST_OPEN
from community.demo.play import Play
from community.helping.models import HelpRequest
from community.manuscripts import conversion
from community.manuscripts import service as manuscripts
from community.manuscripts.models import Paragraph

ROLES = ("first", "second")


def play_manuscript(play: Play) -> None:
    """The host's manuscript with two readers at work; commits. Nothing happens
    when the request already has one (a second run) or lacks two helpers."""
    host = play.users.get(HOST_EMAIL)
    if host is None:
        return
    request = db.session.scalar(
        select(HelpRequest).where(
            HelpRequest.requester_id == host.id, HelpRequest.title == HOST_OPEN.title
        )
    )
    if request is None or manuscripts.manuscript_for_request(request.id) is not None:
        return
    converted = conversion.convert_text(TEXT, manuscripts.limits())
    manuscript = manuscripts.add_manuscript(host, request, TITLE, converted)
    helped_by = manuscripts.invitable_matches(manuscript)
    if len(helped_by) < len(ROLES):
        db.session.rollback()
        return
    shared = max(match.created_at for match in helped_by) + timedelta(minutes=40)
    span = play.now - timedelta(minutes=30) - shared

    def at(moment: float) -> datetime:
        return shared + span * min(moment, 0.99)

    manuscript.created_at = manuscript.updated_at = shared
    first, last = SECOND_READER_CHAPTERS
    readers = {
        "first": manuscripts.invite_reader(host, manuscript, helped_by[0].id),
        "second": manuscripts.invite_reader(host, manuscript, helped_by[1].id, first, last),
    }
    for reader in readers.values():
        reader.created_at = at(0.01)
    author = manuscripts.access_manuscript(host, manuscript.id)
    questions = {}
    for position, body in QUESTIONS.items():
        _, chapter = manuscripts.access_chapter(host, manuscript.id, position)
        questions[position] = manuscripts.ask_question(host, manuscript, chapter, body)
        questions[position].created_at = at(ASKED_AT)

    for role in ROLES:
        user = readers[role].user
        last_seen = shared
        for note in (note for note in READER_NOTES if note.reader == role):
            access, chapter = manuscripts.access_chapter(user, manuscript.id, note.chapter)
            if note.paragraph is None:
                comment = manuscripts.add_note(access, chapter, note.body)
            else:
                key = db.session.scalar(
                    select(Paragraph.key).where(
                        Paragraph.chapter_id == chapter.id, Paragraph.position == note.paragraph
                    )
                )
                comment = manuscripts.add_comment(access, chapter, key, note.quote, note.body)
            comment.created_at = last_seen = max(last_seen, at(note.moment))
            if note.reply:
                answer = manuscripts.reply(author, comment.id, note.reply)
                answer.created_at = at(note.moment + REPLY_AFTER)
            if note.resolved:
                manuscripts.resolve(author, comment.id).resolved_at = at(note.moment + REPLY_AFTER)
            play.counts.manuscript_notes += 1
        for (who, position), body in ANSWERS.items():
            if who != role:
                continue
            access, chapter = manuscripts.access_chapter(user, manuscript.id, position)
            answer = manuscripts.answer_question(access, chapter, questions[position].id, body)
            answer.updated_at = at(ANSWERED_AT[(who, position)])
            last_seen = max(last_seen, answer.updated_at)
            play.counts.manuscript_notes += 1
        for position, moment in PROGRESS[role]["read"]:
            access, chapter = manuscripts.access_chapter(user, manuscript.id, position)
            manuscripts.mark_chapter_read(access, chapter)
            last_seen = max(last_seen, at(moment))
        position, moment = PROGRESS[role]["at"]
        access, chapter = manuscripts.access_chapter(user, manuscript.id, position)
        manuscripts.record_position(access, chapter)
        readers[role].last_activity_at = max(last_seen, at(moment))
        # The author heard that this reader started: as old as their first visit.
        play.date_news(at(min(n.moment for n in READER_NOTES if n.reader == role)), unread=True)
    db.session.commit()
