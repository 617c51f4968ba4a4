"""The reading room through HTTP: upload, privacy headers, reading, commenting,
export with real Word comments, and a bounded number of queries."""

from __future__ import annotations

import io

import docx
import pytest
from sqlalchemy import select

from community.db import db
from community.manuscripts import service
from community.manuscripts.models import Comment, Manuscript, Paragraph
from tests.manuscripts.conftest import BOOK, build_docx


def _key(manuscript, text_start: str) -> str:
    return db.session.scalar(
        select(Paragraph.key).where(
            Paragraph.manuscript_id == manuscript.id, Paragraph.text.startswith(text_start)
        )
    )


def test_the_author_uploads_a_docx_and_keeps_her_text_on_error(room, auth, client):
    db.session.delete(room["manuscript"])
    db.session.commit()
    auth.login("ann@example.com")
    path = f"/requests/{room['request'].id}/manuscript"
    response = client.post(path, data={"title": "Mine", "text": "   "})
    assert response.status_code == 400 and b"There is no text" in response.data
    response = client.post(
        path,
        data={"title": "The Lighthouse", "file": (io.BytesIO(build_docx(BOOK)), "book.docx")},
        content_type="multipart/form-data",
    )
    assert response.status_code == 302
    manuscript = db.session.scalar(select(Manuscript))
    assert [c.title for c in manuscript.chapters] == list(BOOK)
    refused = client.post(
        path.replace("manuscript", "manuscript"),
        data={"file": (io.BytesIO(b"\x00\x01binary"), "book.docx")},
        content_type="multipart/form-data",
    )
    assert refused.status_code == 302  # the manuscript exists now: to its page


@pytest.mark.parametrize("settings", [{"MANUSCRIPT_MAX_BYTES": 10_000}])
def test_an_upload_over_the_limit_is_refused_before_it_is_read(room, auth, client):
    db.session.delete(room["manuscript"])
    db.session.commit()
    auth.login("ann@example.com")
    response = client.post(
        f"/requests/{room['request'].id}/manuscript",
        data={"file": (io.BytesIO(b"a" * 20_000), "book.txt")},
        content_type="multipart/form-data",
    )
    assert response.status_code == 413


def test_reading_pages_are_private_and_marked_with_the_reader(room, auth, client):
    auth.login("ben@example.com")
    manuscript = room["manuscript"]
    response = client.get(f"/manuscripts/{manuscript.id}/chapters/1")
    assert response.status_code == 200
    assert response.headers["Cache-Control"] == "private, no-store"
    assert "noindex" in response.headers["X-Robots-Tag"]
    page = response.get_data(as_text=True)
    assert '<meta name="robots" content="noindex, nofollow">' in page
    assert "with Ben Reader" in page and "lighthouse keeper counted" in page
    assert 'id="comment-form"' in page and "<script>" not in page
    db.session.expire_all()
    assert room["reader"].position_chapter == 1
    for name in ("dee", "cal", "ada"):
        auth.logout()
        auth.login(f"{name}@example.com")
        assert client.get(f"/manuscripts/{manuscript.id}/chapters/1").status_code == 404


def test_a_reader_comments_the_author_replies_and_exports_word_comments(room, auth, client):
    manuscript = room["manuscript"]
    key = _key(manuscript, "Then the letter")
    auth.login("ben@example.com")
    base = f"/manuscripts/{manuscript.id}"
    response = client.post(
        f"{base}/chapters/1/comments",
        data={"paragraph": key, "quote": "sealed in green wax", "body": "What a detail!"},
    )
    assert response.status_code == 302 and response.headers["Location"].endswith(f"#{key}")
    kept = client.post(
        f"{base}/chapters/1/comments",
        data={"paragraph": key, "quote": "not there", "body": "My careful words"},
    )
    assert kept.status_code == 400 and "My careful words" in kept.get_data(as_text=True)
    assert client.post(f"{base}/chapters/1/notes", data={"note": "Gripping."}).status_code == 302
    comment = db.session.scalar(select(Comment).where(Comment.kind == "comment"))
    auth.logout()

    auth.login("ann@example.com")
    page = client.get(f"{base}/chapters/1").get_data(as_text=True)
    assert "What a detail!" in page and "Gripping." in page
    # The per-comment forms are built from one prefix: they reach the real routes.
    for action in ("reply", "resolve"):
        assert f'action="{base}/comments/{comment.id}/{action}"' in page
    client.post(f"{base}/comments/{comment.id}/reply", data={"reply": "Thank you, Ben."})
    exported = client.get(f"{base}/comments.docx")
    assert exported.status_code == 200
    document = docx.Document(io.BytesIO(exported.data))
    word_comments = list(document.comments)
    assert word_comments[0].text.startswith("What a detail!")
    assert word_comments[0].author == "Ben Reader"
    # The comment's range in the document body covers exactly the quote.
    body = document.element.body.xml
    start = body.index("commentRangeStart")
    end = body.index("commentRangeEnd")
    assert "sealed in green wax" in body[start:end]
    assert "Then the letter arrived" not in body[start:end]
    report = client.get(f"{base}/comments.md").get_data(as_text=True)
    assert "**Ben Reader** on “sealed in green wax”: What a detail!" in report
    assert "Thank you, Ben." in report


def test_a_reader_downloads_only_their_own_comments(room, auth, client):
    manuscript = room["manuscript"]
    service.invite_reader(room["ann"], manuscript, room["dee_match"].id)
    db.session.commit()
    chapter = manuscript.chapters[0]
    key = _key(manuscript, "Nobody came")
    for name in ("ben", "dee"):
        access = service.access_manuscript(room[name], manuscript.id)
        service.add_comment(access, chapter, key, "winter", f"{name} says hi")
    db.session.commit()
    auth.login("ben@example.com")
    report = client.get(f"/manuscripts/{manuscript.id}/comments.md").get_data(as_text=True)
    assert "ben says hi" in report and "dee says hi" not in report
    assert client.get(f"/manuscripts/{manuscript.id}/comments.docx").status_code == 404


def test_the_chapter_page_takes_a_bounded_number_of_queries(room, auth, client, count_queries):
    manuscript = room["manuscript"]
    chapter = manuscript.chapters[0]
    key = _key(manuscript, "Nobody came")
    access = service.access_manuscript(room["ben"], manuscript.id)

    def measure():
        with count_queries() as counter:
            assert client.get(f"/manuscripts/{manuscript.id}/chapters/1").status_code == 200
        return counter.count

    auth.login("ann@example.com")
    service.add_comment(access, chapter, key, "winter", "One")
    db.session.commit()
    few = measure()
    for number in range(15):
        comment = service.add_comment(access, chapter, key, "winter", f"More {number}")
        service.reply(service.access_manuscript(room["ann"], manuscript.id), comment.id, "Yes")
    db.session.commit()
    assert measure() <= few


def test_a_finished_read_shows_on_the_match_page_as_help_to_mark_received(room, auth, client):
    manuscript = room["manuscript"]
    access = service.access_manuscript(room["ben"], manuscript.id)
    for chapter in manuscript.chapters:
        service.mark_chapter_read(access, chapter)
    db.session.commit()
    auth.login("ann@example.com")
    page = client.get(f"/matches/{room['ben_match'].id}").get_data(as_text=True)
    assert "Ben Reader finished reading" in page and "Mark it received" in page
    auth.logout()
    auth.login("ben@example.com")
    page = client.get(f"/matches/{room['ben_match'].id}").get_data(as_text=True)
    assert "finished reading" not in page and "Read “The Lighthouse”" in page


def test_a_revoked_or_expired_reader_and_an_admin_get_404(room, auth, client):
    from datetime import timedelta

    from community.db import utcnow
    from community.helping.models import MatchStatus

    manuscript = room["manuscript"]
    urls = [f"/manuscripts/{manuscript.id}", f"/manuscripts/{manuscript.id}/chapters/1"]
    auth.login("ben@example.com")
    assert [client.get(url).status_code for url in urls] == [200, 200]
    match = room["ben_match"]
    match.status, match.ended_at = MatchStatus.COMPLETED.value, utcnow() - timedelta(days=31)
    db.session.commit()
    assert [client.get(url).status_code for url in urls] == [404, 404]  # expired
    service.extend_reader(room["ann"], manuscript, room["reader"].id)
    db.session.commit()
    assert [client.get(url).status_code for url in urls] == [200, 200]  # extended
    service.revoke_reader(room["ann"], manuscript, room["reader"].id)
    db.session.commit()
    assert [client.get(url).status_code for url in urls] == [404, 404]  # revoked
    auth.logout()
    auth.login("ada@example.com")
    assert [client.get(url).status_code for url in urls] == [404, 404]  # admins too
