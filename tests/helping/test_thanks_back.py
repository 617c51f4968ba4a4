"""Thanks back: once a match has ended, its helper may send the requester one
short thank-you note. The two members see it; the requester is told; it is no
thank-you for help (no Thanks row), no act of help, nothing for the ripples."""

from __future__ import annotations

import pytest
from sqlalchemy import func, select

from community import blocking
from community.db import db
from community.errors import NotAllowed, NotFound
from community.helping import matches, thanks_back
from community.helping.errors import HelpingError
from community.helping.models import MatchThanksBack
from community.kindness import jobs as ripple_jobs
from community.kindness import service as kindness
from community.kindness.models import CameBack, HelpAct, MemberRipples, Pledge, Thanks
from tests.builders import make_match, notifications_of, reload
from tests.conftest import Auth

NOTE = "Thank you for trusting me with your opening chapters.\nI learned a lot."


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


def kindness_counts() -> dict[str, int]:
    return {
        model.__tablename__: db.session.scalar(select(func.count()).select_from(model))
        for model in (HelpAct, Thanks, Pledge, MemberRipples, CameBack)
    }


def test_only_the_helper_only_after_the_end(app, pair, make_user):
    ann, vic, match = pair
    assert not thanks_back.may_thank_back(match, vic.id)
    with pytest.raises(NotAllowed, match="once the match has ended"):
        thanks_back.thank_back(vic, match, NOTE)
    db.session.rollback()
    end_with_thanks(ann, match)
    match = reload(match)
    assert thanks_back.may_thank_back(match, vic.id)
    assert not thanks_back.may_thank_back(match, ann.id)
    stranger = make_user(email="sam@example.com")
    for not_the_helper in (ann, stranger, None):
        with pytest.raises(NotFound):
            thanks_back.thank_back(not_the_helper, match, NOTE)
    assert thanks_back.thanks_back_of(match) is None


def test_once_only_checked_and_the_requester_told(app, pair):
    ann, vic, match = pair
    matches.cancel_match(vic, match, "I have to stop for a while, sorry.")
    db.session.commit()  # a cancelled match may be thanked for the trust too
    match = reload(match)
    for bad, words in (
        ("  \n ", "Write your thank-you"),
        ("x" * (thanks_back.BODY_MAX + 1), f"at most {thanks_back.BODY_MAX} characters"),
    ):
        with pytest.raises(HelpingError, match=words) as refused:
            thanks_back.thank_back(vic, match, bad)
        assert refused.value.field == "body"
        db.session.rollback()

    note = thanks_back.thank_back(vic, match, f"  {NOTE}\r\n")
    db.session.commit()
    assert reload(note).body == NOTE
    assert (note.match_id, note.helper_id) == (match.id, vic.id)
    [told] = notifications_of(ann, "thanks_back")
    assert told.data["match_id"] == match.id
    assert told.data["name"] == "Vic Volunteer"
    assert told.data["excerpt"].startswith("Thank you for trusting me")
    assert notifications_of(vic, "thanks_back") == []

    assert not thanks_back.may_thank_back(reload(match), ann.id)
    with pytest.raises(NotAllowed, match="already thanked"):
        thanks_back.thank_back(vic, reload(match), "Thank you again!")
    db.session.rollback()
    assert db.session.scalar(select(func.count()).select_from(MatchThanksBack)) == 1


def test_a_stalled_match_may_be_thanked_too(app, pair):
    ann, vic, match = pair
    matches.end_stalled(ann, match, "It stalled, and that is all right.")
    db.session.commit()
    thanks_back.thank_back(vic, reload(match), "Thank you for asking me.")
    db.session.commit()
    assert thanks_back.thanks_back_of(match).body == "Thank you for asking me."


def test_not_an_act_of_help_and_no_ripples(app, pair):
    ann, vic, match = pair
    end_with_thanks(ann, match)
    assert ripple_jobs.record_new_acts() == 0  # the requester's thanks already counted
    db.session.commit()
    before = kindness_counts()
    thanks_back.thank_back(vic, reload(match), NOTE)
    db.session.commit()
    assert kindness_counts() == before
    assert ripple_jobs.record_new_acts() == 0
    # The one act of help stays the helper's to the requester.
    assert db.session.scalars(select(HelpAct.helper_id)).all() == [vic.id]


def test_a_blocked_pair_cannot(app, pair):
    ann, vic, match = pair
    blocking.block(ann, vic)  # ends their match
    db.session.commit()
    match = reload(match)
    assert match.status != "active"
    assert not thanks_back.may_thank_back(match, vic.id)
    with pytest.raises(NotFound):
        thanks_back.thank_back(vic, match, NOTE)
    db.session.rollback()
    assert thanks_back.thanks_back_of(match) is None
    assert notifications_of(ann, "thanks_back") == []


@pytest.mark.parametrize("settings", [{"TRUST_LIMITS": True}])
def test_a_new_members_link_is_refused(app, pair):
    ann, vic, match = pair
    end_with_thanks(ann, match)
    with pytest.raises(HelpingError, match="Links are open") as refused:
        thanks_back.thank_back(vic, reload(match), "Thanks! See https://example.com/notes")
    assert refused.value.field == "body"


def test_on_the_match_page_for_the_two_members(app, pair):
    ann, _vic, match = pair
    vic_client = signed_in(app, "vic@example.com")
    ann_client = signed_in(app, "ann@example.com")
    assert "Thank Ann Asker too?" not in vic_client.get(f"/matches/{match.id}").get_data(
        as_text=True
    )
    end_with_thanks(ann, match)
    assert "Thank Ann Asker too?" in vic_client.get(f"/matches/{match.id}").get_data(as_text=True)
    assert "too?" not in ann_client.get(f"/matches/{match.id}").get_data(as_text=True)
    # Only the helper may post it (CSRF is checked in tests/test_access.py).
    assert ann_client.post(f"/matches/{match.id}/thanks-back", data={"body": NOTE}).status_code == (
        404
    )
    empty = vic_client.post(f"/matches/{match.id}/thanks-back", data={"body": " "})
    assert empty.status_code == 400
    assert "Write your thank-you" in empty.get_data(as_text=True)

    sent = vic_client.post(
        f"/matches/{match.id}/thanks-back", data={"body": NOTE}, follow_redirects=True
    )
    page = sent.get_data(as_text=True)
    assert "Ann Asker will see your note." in page
    assert "Your thank-you to Ann Asker" in page
    assert "Thank you for trusting me with your opening chapters.<br>" in page
    assert "Thank Ann Asker too?" not in page  # the form is gone
    again = vic_client.post(
        f"/matches/{match.id}/thanks-back", data={"body": "Again"}, follow_redirects=True
    )
    assert "already thanked" in again.get_data(as_text=True)

    ann_page = ann_client.get(f"/matches/{match.id}").get_data(as_text=True)
    assert "Vic Volunteer thanked you too" in ann_page
    assert "Thank you for trusting me with your opening chapters." in ann_page
