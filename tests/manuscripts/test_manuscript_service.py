"""The rules of the reading room against a real database: access, comments,
progress, versions (with a property test of re-anchoring), deletion."""

from __future__ import annotations

from datetime import timedelta
from types import SimpleNamespace

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from sqlalchemy import func, select

from community.accounts import service as accounts
from community.db import db, utcnow
from community.errors import Invalid, NotAllowed, NotFound
from community.helping import matches
from community.helping.models import HelpRequest, MatchStatus
from community.manuscripts import conversion, service
from community.manuscripts.models import Comment, Manuscript, Paragraph
from community.notifications.models import Notification
from tests.manuscripts.conftest import BOOK, build_docx


def _first_paragraph(manuscript, chapter=1):
    _, chapter_row = service.access_chapter(manuscript.author, manuscript.id, chapter)
    return chapter_row, db.session.scalar(
        select(Paragraph).where(Paragraph.chapter_id == chapter_row.id).order_by(Paragraph.position)
    )


def test_author_and_invited_reader_read_nobody_else(room):
    manuscript = room["manuscript"]
    assert service.access_manuscript(room["ann"], manuscript.id).is_author
    assert service.access_manuscript(room["ben"], manuscript.id).reader.user_id == room["ben"].id
    for name in ("dee", "cal", "ada"):  # uninvited helper, other request, admin
        with pytest.raises(NotFound):
            service.access_manuscript(room[name], manuscript.id)
    with pytest.raises(NotFound):
        service.access_manuscript(None, manuscript.id)


def test_revocation_cancellation_and_expiry_end_access(room):
    manuscript, ben = room["manuscript"], room["ben"]
    service.revoke_reader(room["ann"], manuscript, room["reader"].id)
    db.session.commit()
    with pytest.raises(NotFound):
        service.access_manuscript(ben, manuscript.id)
    service.invite_reader(room["ann"], manuscript, room["ben_match"].id)  # invited again
    db.session.commit()
    assert service.access_manuscript(ben, manuscript.id)

    match = room["ben_match"]
    match.status, match.ended_at = MatchStatus.COMPLETED.value, utcnow() - timedelta(days=29)
    db.session.commit()
    assert service.access_manuscript(ben, manuscript.id)  # within the 30 days
    match.ended_at = utcnow() - timedelta(days=31)
    db.session.commit()
    with pytest.raises(NotFound):
        service.access_manuscript(ben, manuscript.id)
    service.extend_reader(room["ann"], manuscript, room["reader"].id)
    db.session.commit()
    assert service.access_manuscript(ben, manuscript.id)  # extended

    dee_reader = service.invite_reader(room["ann"], manuscript, room["dee_match"].id)
    db.session.commit()
    assert service.access_manuscript(room["dee"], manuscript.id).reader.id == dee_reader.id
    matches.cancel_match(room["dee"], room["dee_match"], "I am so sorry, life got busy.")
    db.session.commit()
    with pytest.raises(NotFound):
        service.access_manuscript(room["dee"], manuscript.id)


def test_a_chapter_range_limits_the_chapters(room):
    manuscript = room["manuscript"]
    service.invite_reader(room["ann"], manuscript, room["ben_match"].id, 2, 3)
    db.session.commit()
    with pytest.raises(NotFound):
        service.access_chapter(room["ben"], manuscript.id, 1)
    assert service.access_chapter(room["ben"], manuscript.id, 2)[1].title == "Chapter Two"
    with pytest.raises(Invalid):
        service.invite_reader(room["ann"], manuscript, room["ben_match"].id, 3, 9)
    with pytest.raises(Invalid):  # a match of another request
        service.invite_reader(room["ann"], manuscript, 10_000)


def test_comments_are_anchored_private_and_notify_once_per_session(room):
    manuscript = room["manuscript"]
    access = service.access_manuscript(room["ben"], manuscript.id)
    chapter, paragraph = _first_paragraph(manuscript)
    with pytest.raises(Invalid):
        service.add_comment(access, chapter, paragraph.key, "not in it", "Hmm.")
    comment = service.add_comment(access, chapter, paragraph.key, "counted  the\nships", "Lovely.")
    assert comment.quote == "counted the ships"
    service.add_note(access, chapter, "The ending of this chapter pulled me in.")
    db.session.commit()
    reading = db.session.scalars(
        select(Notification).where(Notification.kind == "manuscript_reading")
    ).all()
    assert len(reading) == 1 and reading[0].user_id == room["ann"].id
    assert "lighthouse keeper" not in str(reading[0].data)  # never the text

    author = service.access_manuscript(room["ann"], manuscript.id)
    with pytest.raises(NotAllowed):
        service.add_comment(author, chapter, paragraph.key, "ships", "Mine.")
    service.reply(author, comment.id, "Thank you!")
    service.reply(author, comment.id, "And one more thing.")
    service.resolve(author, comment.id)
    db.session.commit()
    replies = db.session.scalars(
        select(Notification).where(Notification.kind == "manuscript_reply")
    ).all()
    assert [n.user_id for n in replies] == [room["ben"].id]  # one for the session
    assert [c.kind for c in service.visible_comments(author, chapter)] == ["comment", "note"]
    assert [r.body for r in comment.replies] == ["Thank you!", "And one more thing."]
    assert comment.resolved_at is not None

    dee = service.invite_reader(room["ann"], manuscript, room["dee_match"].id)
    db.session.commit()
    dee_access = service.access_manuscript(room["dee"], manuscript.id)
    assert service.visible_comments(dee_access, chapter) == []  # private per reader
    with pytest.raises(NotFound):
        service.reply(dee_access, comment.id, "I agree")
    service.set_options(room["ann"], manuscript, allow_downloads=False, share=True)
    assert len(service.visible_comments(dee_access, chapter)) == 2
    assert dee.user_id == room["dee"].id


def test_progress_and_a_finished_read(room):
    manuscript = room["manuscript"]
    access = service.access_manuscript(room["ben"], manuscript.id)
    for position in (1, 2):
        _, chapter = service.access_chapter(room["ben"], manuscript.id, position)
        assert service.mark_chapter_read(access, chapter) is False
    service.record_position(access, chapter, "no-such-paragraph")
    db.session.commit()
    reader = room["reader"]
    assert (reader.chapters_read, reader.position_chapter, reader.finished_at) == (2, 2, None)
    _, last = service.access_chapter(room["ben"], manuscript.id, 3)
    assert service.mark_chapter_read(access, last) is True
    db.session.commit()
    assert reader.finished_at is not None


def test_questions_and_answers(room):
    manuscript = room["manuscript"]
    chapter, _ = _first_paragraph(manuscript)
    question = service.ask_question(
        room["ann"], manuscript, chapter, "Did the ending surprise you?"
    )
    access = service.access_manuscript(room["ben"], manuscript.id)
    service.answer_question(access, chapter, question.id, "Yes!")
    service.answer_question(access, chapter, question.id, "Yes, completely.")  # changed
    db.session.commit()
    author = service.access_manuscript(room["ann"], manuscript.id)
    assert [a.body for a in service.answers_to(author, chapter)] == ["Yes, completely."]
    with pytest.raises(NotFound):
        service.ask_question(room["ben"], manuscript, chapter, "Sneaky?")


def test_a_new_version_keeps_comments_on_surviving_paragraphs(room):
    manuscript = room["manuscript"]
    access = service.access_manuscript(room["ben"], manuscript.id)
    chapter, paragraph = _first_paragraph(manuscript)
    key = paragraph.key
    kept = service.add_comment(access, chapter, key, "lighthouse keeper", "Nice.")
    second = db.session.scalar(
        select(Paragraph).where(Paragraph.chapter_id == chapter.id, Paragraph.position == 2)
    )
    changed = service.add_comment(access, chapter, second.key, "in winter", "Why?")
    db.session.commit()

    book = {title: list(paragraphs) for title, paragraphs in BOOK.items()}
    book["Chapter One"][1] = "Nobody came to the island in spring."
    # The surviving paragraph moves to chapter two.
    book["Chapter Two"].insert(0, book["Chapter One"].pop(0))
    counts = service.upload_version(
        room["ann"], manuscript, conversion.convert_upload(build_docx(book))
    )
    db.session.commit()
    assert counts == {"kept": 1, "earlier": 1}
    assert manuscript.version == 2
    db.session.expire_all()
    kept, changed = db.session.get(Comment, kept.id), db.session.get(Comment, changed.id)
    assert not kept.earlier_version and kept.paragraph_key == key
    _, chapter_two = service.access_chapter(room["ann"], manuscript.id, 2)
    assert kept.chapter_id == chapter_two.id
    assert changed.earlier_version
    assert [c.id for c in service.earlier_comments(access)] == [changed.id]


paragraph_text = st.text(alphabet="ab .", min_size=1, max_size=12)


@settings(max_examples=300, deadline=None)
@given(
    old=st.lists(paragraph_text, min_size=1, max_size=6),
    new=st.lists(paragraph_text, min_size=0, max_size=6),
    picks=st.lists(st.tuples(st.integers(0, 5), st.integers(0, 12), st.integers(1, 6))),
)
def test_reanchoring_never_attaches_a_comment_where_its_quote_is_not(old, new, picks):
    old_keys = conversion.paragraph_keys(old)
    comments = []
    for index, start, length in picks:
        index %= len(old)
        quote = old[index][start : start + length] or old[index]
        comments.append(
            SimpleNamespace(
                paragraph_key=old_keys[index],
                paragraph_text=old[index],
                quote=quote,
                earlier_version=False,
            )
        )
    paragraphs = list(zip(conversion.paragraph_keys(new), new, strict=True))
    kept = service.reanchor(comments, paragraphs)
    texts = dict(paragraphs)
    assert kept == sum(not c.earlier_version for c in comments)
    for comment in comments:
        if not comment.earlier_version:
            assert comment.quote in texts[comment.paragraph_key]
        else:
            assert comment.paragraph_text not in texts.values() or comment.quote not in (
                comment.paragraph_text
            )


def test_deleting_the_request_or_the_account_deletes_the_text_and_comments(room):
    manuscript = room["manuscript"]
    access = service.access_manuscript(room["ben"], manuscript.id)
    chapter, paragraph = _first_paragraph(manuscript)
    service.add_comment(access, chapter, paragraph.key, "ships", "Lovely.")
    db.session.commit()
    db.session.delete(db.session.get(HelpRequest, room["request"].id))
    db.session.commit()
    for model in (Manuscript, Paragraph, Comment):
        assert db.session.scalar(select(func.count()).select_from(model)) == 0


def test_deleting_the_author_account_deletes_the_manuscript(room):
    accounts.delete_account(room["ann"], "correct horse battery")
    db.session.commit()
    for model in (Manuscript, Paragraph, Comment):
        assert db.session.scalar(select(func.count()).select_from(model)) == 0
