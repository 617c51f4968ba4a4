"""Closure with a word: when a match ends (thanks, cancel, stall) each member
is asked for one private sentence about how it went; moderators read it,
the other member never does; once each, and only while the end is recent."""

from __future__ import annotations

from datetime import timedelta

import pytest
from sqlalchemy import update

from community.db import db
from community.errors import NotAllowed, NotFound
from community.helping import closure, matches
from community.helping.errors import HelpingError
from community.helping.models import Match
from community.kindness import service as kindness
from community.waiting.service import waiting_count, waiting_for
from tests.builders import make_match, notifications_of, reload
from tests.conftest import Auth


@pytest.fixture
def pair(make_user):
    ann = make_user(email="ann@example.com", display_name="Ann Asker")
    vic = make_user(email="vic@example.com", display_name="Vic Volunteer")
    match, _conversation = make_match(ann, vic)
    return ann, vic, reload(match)


def signed_in(app, email: str):
    client = app.test_client()
    assert Auth(client).login(email).status_code == 302
    return client


def end_with_thanks(ann, match) -> None:
    kindness.complete_match(ann, match, "Thank you, your notes on the middle were wonderful.")
    db.session.commit()


def test_asked_only_once_the_match_has_ended(app, pair):
    ann, vic, match = pair
    assert not closure.may_write(match, ann.id)
    with pytest.raises(NotAllowed, match="once the match has ended"):
        closure.write_closure(ann, match, "It went well.")
    assert waiting_for(ann.id).closures == []
    end_with_thanks(ann, match)
    match = reload(match)
    assert closure.may_write(match, ann.id) and closure.may_write(match, vic.id)
    assert [m.id for m in waiting_for(ann.id).closures] == [match.id]
    assert [m.id for m in waiting_for(vic.id).closures] == [match.id]
    assert waiting_count(vic.id) == 1


def test_one_sentence_each_once_checked(app, pair, make_user):
    ann, vic, match = pair
    matches.cancel_match(vic, match, "I have to stop for a while, sorry.")
    db.session.commit()
    for bad, words in (("   ", "Write a sentence"), ("x" * 301, "at most 300")):
        with pytest.raises(HelpingError, match=words) as refused:
            closure.write_closure(ann, match, bad)
        assert refused.value.field == "body"
    stranger = make_user(email="sam@example.com")
    with pytest.raises(NotFound):
        closure.write_closure(stranger, match, "Not mine.")

    closure.write_closure(ann, match, "Vic was kind  about stopping.\n")
    db.session.commit()
    assert closure.closure_of(match, ann.id).body == "Vic was kind about stopping."
    assert closure.closure_of(match, vic.id) is None
    with pytest.raises(NotAllowed, match="already said"):
        closure.write_closure(ann, match, "Again.")
    db.session.rollback()
    assert waiting_for(ann.id).closures == []
    assert [m.id for m in waiting_for(vic.id).closures] == [match.id]


def test_no_longer_asked_after_the_window(app, pair):
    ann, _vic, match = pair
    end_with_thanks(ann, match)
    ended = reload(match).ended_at
    db.session.execute(
        update(Match)
        .where(Match.id == match.id)
        .values(ended_at=ended - timedelta(days=app.config["CLOSURE_WORD_DAYS"], minutes=1))
    )
    db.session.commit()
    assert waiting_for(ann.id).closures == []
    with pytest.raises(NotAllowed, match="too long ago"):
        closure.write_closure(ann, reload(match), "It went well.")


def test_private_to_moderators_through_the_match_page(app, pair, make_user):
    ann, vic, match = pair
    make_user(email="mo@example.com", display_name="Mo Moderator", is_moderator=True)
    end_with_thanks(ann, match)
    ann_client = signed_in(app, "ann@example.com")
    page = ann_client.get(f"/matches/{match.id}").get_data(as_text=True)
    assert "How did it go?" in page
    # (CSRF is checked in tests/test_access.py; it is off here.)
    empty = ann_client.post(f"/matches/{match.id}/closure", data={})
    assert empty.status_code == 400
    assert "Write a sentence" in empty.get_data(as_text=True)
    sent = ann_client.post(
        f"/matches/{match.id}/closure",
        data={"body": "Vic read every page with care."},
        follow_redirects=True,
    )
    assert "Only the site&#39;s hosts read it" in sent.get_data(as_text=True)
    assert "Vic read every page with care." in sent.get_data(as_text=True)  # her own

    # Never to the other member...
    vic_page = signed_in(app, "vic@example.com").get(f"/matches/{match.id}")
    assert "Vic read every page with care." not in vic_page.get_data(as_text=True)
    assert notifications_of(vic, "thanks_received")  # (what Vic does get)
    # ...and on the member's record for moderators.
    record = signed_in(app, "mo@example.com").get(f"/moderation/members/{vic.id}")
    text = record.get_data(as_text=True)
    assert "Ann Asker about Vic Volunteer" in text
    assert "Vic read every page with care." in text
    assert "ended with thanks" in text


def test_the_end_emails_ask_for_the_words(app, pair, mailbox):
    ann, _vic, match = pair
    matches.cancel_match(ann, match, "My plans changed, I am so sorry.")
    db.session.commit()
    [email] = [m for m in mailbox.to("vic@example.com") if "cancelled" in mailbox.text(m)]
    assert "one private sentence about how the match went" in mailbox.text(email)
