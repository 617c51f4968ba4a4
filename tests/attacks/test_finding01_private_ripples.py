"""Finding 1: a member who keeps their acts of help private must stay private.

Before: anyone logged in could open ``/members/<id>/ripples`` of a private
member and read their counts, the picture with the names of everyone they
helped (and who those people helped), and their came-back chains; their
profile listed the thanks they received. Now, for anyone but the member and
admins, none of it shows; their acts still count in community totals.
"""

from __future__ import annotations

import pytest

from community.db import db
from community.kindness import privacy, service
from tests.builders import make_match
from tests.conftest import Auth

THANKS = "Thank you so much for your careful notes on my opening!"


def signed_in(app, email: str):
    client = app.test_client()
    assert Auth(client).login(email).status_code == 302
    return client


@pytest.fixture
def circle(make_user):
    """Pia (private) helped Ann, Ann helped Cam, Cam helped Pia: a chain that came back."""
    pia = make_user(display_name="Pia Private", email="pia@example.com")
    ann = make_user(display_name="Ann Asker", email="ann@example.com")
    cam = make_user(display_name="Cam Third", email="cam@example.com")
    make_user(display_name="Oscar Outsider", email="oscar@example.com")
    make_user(display_name="Ada Admin", email="admin@example.com", is_admin=True)
    for requester, helper in [(ann, pia), (cam, ann), (pia, cam)]:
        match, _ = make_match(requester, helper)
        service.complete_match(requester, match, THANKS)
        db.session.commit()
    privacy.set_ripples_private(pia, True)
    db.session.commit()
    return pia


def test_others_see_no_names_picture_chains_or_counts(app, circle):
    page = signed_in(app, "oscar@example.com").get(f"/members/{circle.id}/ripples")
    text = page.get_data(as_text=True)
    assert page.status_code == 200
    for leaked in ("Ann Asker", "Cam Third", "Pia Private", "<svg", "People reached", "helped"):
        assert leaked not in text, leaked


def test_the_profile_shows_no_thanks_or_pledges_to_others(app, client, circle):
    for viewer in (client, signed_in(app, "oscar@example.com")):  # anonymous too
        text = viewer.get(f"/members/{circle.id}").get_data(as_text=True)
        assert THANKS not in text
        assert "Thanked for their help" not in text


@pytest.mark.parametrize("email", ["pia@example.com", "admin@example.com"])
def test_the_member_and_admins_still_see_everything(app, circle, email):
    text = signed_in(app, email).get(f"/members/{circle.id}/ripples").get_data(as_text=True)
    assert "<svg" in text and "People reached" in text and "Ann Asker" in text
    assert THANKS in signed_in(app, email).get(f"/members/{circle.id}").get_data(as_text=True)


def test_the_community_page_counts_but_never_names_them(app, circle):
    text = signed_in(app, "oscar@example.com").get("/kindness").get_data(as_text=True)
    assert "<strong>3</strong> acts of help this month" in text
    assert "Pia Private" not in text


def test_the_feed_never_names_them_for_their_acts(app, circle):
    text = signed_in(app, "oscar@example.com").get("/feed").get_data(as_text=True)
    assert THANKS not in text
