"""Kindness pages through HTTP: the match page's thanks form, "X helped me",
pending thanks, the ripple page (picture, chains, privacy), the community page."""

from __future__ import annotations

from sqlalchemy import func, select

from community.db import db, utcnow
from community.helping.models import Match, MatchStatus
from community.kindness import service
from community.kindness.models import HelpAct, Pledge, Thanks
from tests.builders import make_match
from tests.conftest import Auth

THANKS = "Thank you so much for your careful help!"


def signed_in(app, email: str):
    client = app.test_client()
    assert Auth(client).login(email).status_code == 302
    return client


def test_the_requester_completes_the_match_with_thanks_and_the_helper_replies(app, make_user):
    ann = make_user(display_name="Ann Asker", email="ann@example.com")
    raj = make_user(display_name="Raj Helper", email="raj@example.com")
    match, _ = make_match(ann, raj)
    path = f"/matches/{match.id}"
    asker, helper = signed_in(app, "ann@example.com"), signed_in(app, "raj@example.com")
    assert "Mark the help received" in asker.get(path).get_data(as_text=True)
    assert "Mark the help received" not in helper.get(path).get_data(as_text=True)
    assert helper.post(f"{path}/complete", data={"body": THANKS}).status_code == 404

    response = asker.post(f"{path}/complete", data={"body": "Thanks!", "pledge": "y"})
    assert response.status_code == 400
    page = response.get_data(as_text=True)
    assert "at least a sentence" in page and "Thanks!</textarea>" in page
    db.session.expire_all()
    assert db.session.get(Match, match.id).status == MatchStatus.ACTIVE

    response = asker.post(f"{path}/complete", data={"body": THANKS, "pledge": "y"})
    # A pledge leads to its page: where the pledge could be kept.
    pledge = db.session.scalar(select(Pledge))
    assert response.status_code == 302
    assert response.headers["Location"] == f"/pledges/{pledge.id}"
    db.session.expire_all()
    assert db.session.get(Match, match.id).status == MatchStatus.COMPLETED
    page = helper.get(path).get_data(as_text=True)
    assert THANKS in page and "Your reply" in page
    thanks = db.session.scalar(select(Thanks))
    helper.post(f"/thanks/{thanks.id}/reply", data={"reply": "A joy to read, truly."})
    assert "A joy to read, truly." in asker.get(path).get_data(as_text=True)
    assert THANKS in asker.get(f"/members/{raj.id}").get_data(as_text=True)  # on the profile

    helper.post(f"/thanks/{thanks.id}/privacy", data={"private": "y"})
    assert THANKS not in asker.get(f"/members/{raj.id}").get_data(as_text=True)


def test_x_helped_me_waits_for_confirmation(app, make_user):
    ann = make_user(display_name="Ann Asker", email="ann@example.com")
    raj = make_user(display_name="Raj Helper", email="raj@example.com")
    asker, helper = signed_in(app, "ann@example.com"), signed_in(app, "raj@example.com")
    assert "Raj Helper helped me" in asker.get(f"/members/{raj.id}").get_data(as_text=True)
    response = asker.post(f"/members/{raj.id}/thank", data={"body": "Too short"})
    assert response.status_code == 400 and "Too short</textarea>" in response.get_data(as_text=True)
    response = asker.post(f"/members/{raj.id}/thank", data={"body": THANKS})
    assert response.status_code == 302
    assert db.session.scalar(select(func.count()).select_from(HelpAct)) == 0

    page = helper.get("/thanks").get_data(as_text=True)
    assert THANKS in page and "Yes, I helped" in page
    thanks = db.session.scalar(select(Thanks))
    assert asker.post(f"/thanks/{thanks.id}/confirm").status_code == 404  # not the author
    assert helper.post(f"/thanks/{thanks.id}/confirm").status_code == 302
    assert db.session.scalar(select(func.count()).select_from(HelpAct)) == 1
    assert ann.id != raj.id


def test_the_ripple_page_draws_the_picture_and_hides_private_names(app, make_user):
    ann = make_user(display_name="Ann Asker", email="ann@example.com")
    raj = make_user(display_name="Raj Private", email="raj@example.com")
    cam = make_user(display_name="Cam Third", email="cam@example.com")
    for requester, helper in [(raj, ann), (cam, raj), (ann, cam)]:
        match, _ = make_match(requester, helper)
        service.complete_match(requester, match, THANKS)
        db.session.commit()
    raj_client = signed_in(app, "raj@example.com")
    assert raj_client.post("/kindness/privacy", data={"private": "y"}).status_code == 302

    page = signed_in(app, "ann@example.com").get(f"/members/{ann.id}/ripples")
    text = page.get_data(as_text=True)
    assert page.status_code == 200
    assert 'role="img"' in text and "<desc" in text and "<line" in text
    assert "Raj Private" not in text and "someone" in text  # counts stay, names go
    assert "You helped someone" in text and "Cam Third helped you today" in text
    assert "People reached" in text

    own = raj_client.get(f"/members/{raj.id}/ripples").get_data(as_text=True)
    assert "Keep my acts of help off public pages" in own

    board = signed_in(app, "cam@example.com").get("/kindness").get_data(as_text=True)
    assert "<strong>3</strong> acts of help this month" in board
    assert "Raj Private" not in board and "Ann Asker" in board


def test_the_profile_shows_pledges_made_and_kept(app, client, auth, make_user):
    from community.kindness.models import Pledge

    pledger = make_user(email="pia@example.com", display_name="Pia Pledger")
    helper = make_user(display_name="Hal Helper")
    for kept in (True, False):
        thanks = Thanks(author_id=pledger.id, helper_id=helper.id, body="Thank you for the notes.")
        db.session.add(thanks)
        db.session.flush()
        db.session.add(
            Pledge(user_id=pledger.id, thanks_id=thanks.id, kept_at=utcnow() if kept else None)
        )
    db.session.commit()
    auth.login("pia@example.com")
    page = client.get(f"/members/{pledger.id}").get_data(as_text=True)
    assert "Pledged to pay help forward 2 times; kept 1." in page
