"""Kindness counts a finished read: the thank-you on the match page offers the
author her reader's comments to quote, escaped and attributed to the passage."""

from __future__ import annotations

from sqlalchemy import select

from community.db import db
from community.kindness.models import Thanks
from community.manuscripts import service
from community.manuscripts.models import Paragraph
from community.moderation import service as moderation

THANKS = "Thank you, Ben: your notes changed how I see my middle chapters."


def _key(manuscript, text_start: str) -> str:
    return db.session.scalar(
        select(Paragraph.key).where(
            Paragraph.manuscript_id == manuscript.id, Paragraph.text.startswith(text_start)
        )
    )


def _bens_comments(room):
    manuscript = room["manuscript"]
    ben = service.access_manuscript(room["ben"], manuscript.id)
    first, second = manuscript.chapters[0], manuscript.chapters[1]
    favourite = service.add_comment(
        ben, first, _key(manuscript, "Then the letter"), "sealed in green wax", "<b>Chills</b>!"
    )
    note = service.add_note(ben, second, "The rain & the ink: perfect.")
    for chapter in manuscript.chapters:
        service.mark_chapter_read(ben, chapter)
    db.session.commit()
    return favourite, note


def test_the_thanks_form_offers_the_readers_comments_escaped(room, auth, client):
    favourite, note = _bens_comments(room)
    dee = service.access_manuscript(
        room["dee"],
        service.invite_reader(room["ann"], room["manuscript"], room["dee_match"].id).manuscript_id,
    )
    service.add_note(dee, room["manuscript"].chapters[0], "Dee's own note.")
    db.session.commit()
    auth.login("ann@example.com")
    page = client.get(f"/matches/{room['ben_match'].id}").get_data(as_text=True)
    assert "Quote a favourite comment" in page
    assert f'value="{favourite.id}"' in page and f'value="{note.id}"' in page
    assert "On “sealed in green wax” (chapter 1): &lt;b&gt;Chills&lt;/b&gt;!" in page
    assert "On chapter 2: The rain &amp; the ink: perfect." in page
    assert "Dee&#39;s own note." not in page and "Dee's own note." not in page  # Dee's, not Ben's
    dee_page = client.get(f"/matches/{room['dee_match'].id}").get_data(as_text=True)
    assert "Dee&#39;s own note." in dee_page and "Chills" not in dee_page

    auth.logout()
    auth.login("ben@example.com")  # the helper is not offered anything to quote
    page = client.get(f"/matches/{room['ben_match'].id}").get_data(as_text=True)
    assert "Quote a favourite comment" not in page


def test_the_chosen_comment_is_quoted_in_the_thank_you_with_its_passage(room, auth, client):
    favourite, _note = _bens_comments(room)
    auth.login("ann@example.com")
    response = client.post(
        f"/matches/{room['ben_match'].id}/complete", data={"body": THANKS, "quote": favourite.id}
    )
    assert response.status_code == 302
    thanks = db.session.scalar(select(Thanks))
    assert thanks.body == (
        f"{THANKS}\n\nYour comment on “sealed in green wax” (chapter 1): “<b>Chills</b>!”"
    )
    page = client.get(f"/matches/{room['ben_match'].id}").get_data(as_text=True)
    assert "Your comment on “sealed in green wax” (chapter 1): “&lt;b&gt;Chills&lt;/b&gt;!”" in page
    assert "<b>Chills</b>" not in page


def test_a_comment_not_offered_is_refused_and_the_thanks_kept(room, auth, client, make_user):
    favourite, _note = _bens_comments(room)
    service.invite_reader(room["ann"], room["manuscript"], room["dee_match"].id)
    db.session.commit()
    dee = service.access_manuscript(room["dee"], room["manuscript"].id)
    dees = service.add_note(dee, room["manuscript"].chapters[0], "Dee's own note.")
    db.session.commit()
    auth.login("ann@example.com")
    url = f"/matches/{room['ben_match'].id}/complete"
    for wrong in (str(dees.id), "not-a-number", "9" * 30):
        response = client.post(url, data={"body": THANKS, "quote": wrong})
        assert response.status_code == 400
        page = response.get_data(as_text=True)
        assert "Choose one of their comments, or none." in page and THANKS in page
    assert db.session.scalar(select(Thanks)) is None
    # A comment a moderator removed is not offered either.
    moderator = make_user(email="mo@example.com", display_name="Mo Moderator", is_moderator=True)
    report = moderation.report(room["ann"], "manuscript_comment", favourite.id, "harassment")
    moderation.act(moderator, report.id, "hide", reason="Unkind.")
    db.session.commit()
    page = client.get(f"/matches/{room['ben_match'].id}").get_data(as_text=True)
    assert f'value="{favourite.id}"' not in page
    assert client.post(url, data={"body": THANKS, "quote": favourite.id}).status_code == 400
    assert client.post(url, data={"body": THANKS, "quote": ""}).status_code == 302
    assert db.session.scalar(select(Thanks.body)) == THANKS
