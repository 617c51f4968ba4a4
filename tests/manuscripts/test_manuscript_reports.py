"""Reporting in the reading room: a reader reports a passage, the author or a
reader a comment, through moderation's one report form. The moderator sees
only the reported words, and still gets 404 on every page of the manuscript."""

from __future__ import annotations

import re

from sqlalchemy import select

from community.db import db
from community.manuscripts import service
from community.manuscripts.models import Comment, Paragraph
from community.moderation import service as moderation
from community.moderation.models import Report

OTHER_WORDS = ("Nobody came to the island", "Then the letter arrived", "She opened it")


def _paragraph(manuscript, text_start: str) -> Paragraph:
    return db.session.scalar(
        select(Paragraph).where(
            Paragraph.manuscript_id == manuscript.id, Paragraph.text.startswith(text_start)
        )
    )


def _pages(manuscript) -> list[str]:
    base = f"/manuscripts/{manuscript.id}"
    return [base, f"{base}/chapters/1", f"{base}/chapters/2", f"{base}/comments.md"]


def _switch(auth, email: str) -> None:
    auth.logout()
    auth.login(email)


def test_a_reader_reports_a_passage_and_the_moderator_sees_only_it(room, auth, client, make_user):
    make_user(email="mo@example.com", display_name="Mo Moderator", is_moderator=True)
    manuscript = room["manuscript"]
    passage = _paragraph(manuscript, "The lighthouse keeper")
    auth.login("mo@example.com")
    assert [client.get(url).status_code for url in _pages(manuscript)] == [404] * 4  # no report

    _switch(auth, "ben@example.com")
    page = client.get(f"/manuscripts/{manuscript.id}/chapters/1").get_data(as_text=True)
    link = f"/report/manuscript_passage/{passage.id}"
    assert f'href="{link}"' in page
    form = client.get(link).get_data(as_text=True)
    assert "Report a manuscript passage" in form and "lighthouse keeper counted" in form
    assert not any(words in form for words in OTHER_WORDS)
    response = client.post(link, data={"reason": "plagiarism", "words": "From a known novel."})
    assert response.status_code == 302

    report = db.session.scalar(select(Report))
    assert (report.item_type, report.reported_id) == ("manuscript_passage", room["ann"].id)
    assert report.context["text"] == passage.text
    frozen = repr(report.context)
    assert not any(words in frozen for words in OTHER_WORDS)

    _switch(auth, "mo@example.com")
    queue = client.get("/moderation/").get_data(as_text=True)
    assert "Manuscript passage" in queue and "lighthouse keeper counted the ships" in queue
    assert "a passage of chapter 1" in queue.lower()
    assert not any(words in queue for words in OTHER_WORDS)
    assert [client.get(url).status_code for url in _pages(manuscript)] == [404] * 4  # a report
    # The frozen copy stays what it was when the text changes or goes.
    db.session.delete(manuscript)
    db.session.commit()
    assert "lighthouse keeper counted the ships" in client.get("/moderation/").get_data(
        as_text=True
    )


def test_the_author_reports_a_readers_comment_and_a_hidden_comment_is_removed(
    room, auth, client, make_user
):
    moderator = make_user(email="mo@example.com", display_name="Mo Moderator", is_moderator=True)
    manuscript = room["manuscript"]
    chapter = manuscript.chapters[0]
    key = _paragraph(manuscript, "Then the letter").key
    reading = service.access_manuscript(room["ben"], manuscript.id)
    comment = service.add_comment(reading, chapter, key, "green wax", "You <b>stole</b> this.")
    db.session.commit()

    auth.login("ann@example.com")
    page = client.get(f"/manuscripts/{manuscript.id}/chapters/1").get_data(as_text=True)
    link = f"/report/manuscript_comment/{comment.id}"
    assert f'href="{link}"' in page
    assert "/report/manuscript_passage/" not in page  # the author does not report her own text
    response = client.post(link, data={"reason": "harassment"})
    assert response.status_code == 302
    report = db.session.scalar(select(Report))
    assert report.reported_id == room["ben"].id
    assert report.context["text"] == "You <b>stole</b> this."
    assert report.context["quote"] == "green wax"

    _switch(auth, "mo@example.com")
    queue = client.get("/moderation/").get_data(as_text=True)
    assert "You &lt;b&gt;stole&lt;/b&gt; this." in queue  # escaped
    assert "on the words “green wax”" in queue
    assert "Then the letter arrived" not in queue
    assert client.get(f"/manuscripts/{manuscript.id}/chapters/1").status_code == 404

    moderation.act(moderator, report.id, "hide", reason="Unkind.")
    db.session.commit()
    _switch(auth, "ben@example.com")
    page = client.get(f"/manuscripts/{manuscript.id}/chapters/1").get_data(as_text=True)
    assert "removed by a moderator" in page and "stole" not in page


def test_who_may_report_what_in_the_room(room, auth, client):
    manuscript = room["manuscript"]
    chapter = manuscript.chapters[0]
    passage = _paragraph(manuscript, "Nobody came")
    service.invite_reader(room["ann"], manuscript, room["dee_match"].id)
    db.session.commit()
    dee = service.access_manuscript(room["dee"], manuscript.id)
    dees = service.add_comment(dee, chapter, passage.key, "winter", "Dee's thought.")
    ben = service.access_manuscript(room["ben"], manuscript.id)
    bens = service.add_comment(ben, chapter, passage.key, "winter", "Ben's thought.")
    db.session.commit()
    comment_link = f"/report/manuscript_comment/{dees.id}"
    passage_link = f"/report/manuscript_passage/{passage.id}"

    auth.login("ben@example.com")
    # Comments are private between the author and each reader: Ben cannot see Dee's.
    assert client.get(comment_link).status_code == 404
    assert client.post(comment_link, data={"reason": "spam"}).status_code == 404
    # His own comment is his to edit, not to report.
    assert (
        client.post(f"/report/manuscript_comment/{bens.id}", data={"reason": "spam"}).status_code
        == 400
    )
    service.set_options(room["ann"], manuscript, allow_downloads=False, share=True)
    db.session.commit()
    assert client.get(comment_link).status_code == 200  # shared: he sees it, he may report it

    for email in ("cal@example.com", "ada@example.com"):  # another helper, an admin
        _switch(auth, email)
        assert client.get(passage_link).status_code == 404
        assert client.get(comment_link).status_code == 404
        assert client.post(passage_link, data={"reason": "spam"}).status_code == 404

    _switch(auth, "ann@example.com")
    assert client.post(passage_link, data={"reason": "spam"}).status_code == 400  # her own
    service.revoke_reader(room["ann"], manuscript, room["reader"].id)
    db.session.commit()
    _switch(auth, "ben@example.com")
    assert client.get(passage_link).status_code == 404  # revoked: nothing left to report
    assert db.session.scalar(select(Report.id)) is None
    assert db.session.get(Comment, dees.id).body == "Dee's thought."


def test_a_hidden_passage_shows_as_removed_to_its_readers(room, auth, client, make_user):
    moderator = make_user(email="mo@example.com", display_name="Mo Moderator", is_moderator=True)
    manuscript = room["manuscript"]
    passage = _paragraph(manuscript, "Nobody came")
    report = moderation.report(room["ben"], "manuscript_passage", passage.id, "plagiarism")
    moderation.act(moderator, report.id, "hide", reason="Copied.")
    db.session.commit()
    auth.login("ben@example.com")
    page = client.get(f"/manuscripts/{manuscript.id}/chapters/1").get_data(as_text=True)
    block = re.search(rf'id="{passage.key}">(.*?)</div>', page, re.S).group(1)
    assert "removed by a moderator" in block and "Nobody came" not in block
    assert "The lighthouse keeper counted" in page
