"""The match pages through HTTP: who sees them, cancelling, the list."""

from __future__ import annotations

import pytest

from community.db import db
from community.helping import capacity, matches, offers
from community.helping.models import HelpRequest, Match, MatchStatus, RequestStatus
from community.notifications.models import Notification
from tests import builders
from tests.conftest import Auth


def signed_in(app, email: str):
    client = app.test_client()
    assert Auth(client).login(email).status_code == 302
    return client


@pytest.fixture
def matched(make_user, make_offer, make_request):
    """Ann's request (one place) matched with Bob; Cat and an admin look on."""
    ann = make_user(email="ann@example.com", display_name="Ann Asker")
    bob = make_user(email="bob@example.com", display_name="Bob Helper")
    make_user(email="cat@example.com", display_name="Cat Stranger")
    make_user(email="admin@example.com", is_admin=True)
    make_offer(bob, "beta-reading", capacity=1)
    help_request = make_request(ann, helpers=1)
    answer = builders.answer(bob, help_request, "Glad to help")
    match = builders.accept(ann, answer)
    return {"ann": ann, "bob": bob, "request": help_request, "match": match}


def test_only_the_two_members_see_the_match(app, matched, client):
    path = f"/matches/{matched['match'].id}"
    assert client.get(path).headers["Location"].startswith("/login")
    for email in ("cat@example.com", "admin@example.com"):
        stranger = signed_in(app, email)
        assert stranger.get(path).status_code == 404
        assert stranger.get("/matches/999").status_code == 404  # the same as a missing one
        assert stranger.post(f"{path}/cancel", data={"reason": "x"}).status_code == 404
    page = signed_in(app, "bob@example.com").get(path).get_data(as_text=True)
    assert "Your match with Ann Asker" in page
    assert "Hi Ann, I&#39;m glad I can help with" in page  # the suggested first message
    page = signed_in(app, "ann@example.com").get(path).get_data(as_text=True)
    assert "Hi Bob, thank you so much for offering to help" in page
    assert "Beta readers for my fantasy novel" in page


def test_cancel_needs_a_reason_and_frees_the_place(app, matched):
    path = f"/matches/{matched['match'].id}"
    helper = signed_in(app, "bob@example.com")
    response = helper.post(f"{path}/cancel", data={"reason": "   "})
    assert response.status_code == 400
    assert "Tell the other member why" in response.get_data(as_text=True)
    response = helper.post(f"{path}/cancel", data={"reason": "x" * 501})
    assert response.status_code == 400 and "x" * 501 in response.get_data(as_text=True)

    response = helper.post(f"{path}/cancel", data={"reason": "A family emergency, sorry."})
    assert response.headers["Location"] == path
    db.session.expire_all()
    match = db.session.get(Match, matched["match"].id)
    assert match.status == MatchStatus.CANCELLED and match.cancelled_by_id == matched["bob"].id
    help_request = db.session.get(HelpRequest, matched["request"].id)
    assert help_request.status == RequestStatus.OPEN and help_request.places_left == 1
    assert capacity.capacity_left(offers.offer_of(matched["bob"].id)) == 1
    notified = db.session.scalars(
        db.select(Notification).where(
            Notification.user_id == matched["ann"].id, Notification.kind == "match_cancelled"
        )
    ).one()
    assert notified.data["reason"] == "A family emergency, sorry."

    page = signed_in(app, "ann@example.com").get(path).get_data(as_text=True)
    assert "Cancelled" in page and "by Bob Helper" in page and "A family emergency" in page
    assert "Cancel the match</button>" not in page
    response = helper.post(f"{path}/cancel", data={"reason": "again"}, follow_redirects=True)
    assert "Only an active match can be cancelled." in response.get_data(as_text=True)


def test_complete_the_request(app, matched):
    asker = signed_in(app, "ann@example.com")
    request_path = f"/requests/{matched['request'].id}"
    response = asker.post(f"{request_path}/complete", follow_redirects=True)
    assert "Thank your helper first" in response.get_data(as_text=True)
    match_path = f"/matches/{matched['match'].id}"
    assert "Mark the help received" in asker.get(match_path).get_data(as_text=True)
    response = asker.post(
        f"{match_path}/complete",
        data={"body": "Thank you for the thoughtful notes on my middle chapters."},
        follow_redirects=True,
    )
    assert "Thank you for the thoughtful notes" in response.get_data(as_text=True)
    db.session.expire_all()
    assert db.session.get(Match, matched["match"].id).status == MatchStatus.COMPLETED
    assert db.session.get(HelpRequest, matched["request"].id).status == RequestStatus.COMPLETED
    page = asker.get(f"/matches/{matched['match'].id}").get_data(as_text=True)
    assert "Completed" in page


def test_my_matches_lists_active_first(app, matched, make_request):
    second = make_request(matched["ann"], title="A second request for help")
    # Bob's capacity (1) is used, and answers waiting count against it:
    # cancel the first match, then Bob answers the second and is accepted.
    matches.cancel_match(matched["ann"], matched["match"], "Found someone closer")
    db.session.commit()
    answer = builders.answer(matched["bob"], second, "Again!")
    builders.accept(matched["ann"], answer)
    page = signed_in(app, "bob@example.com").get("/matches").get_data(as_text=True)
    assert page.index("A second request for help") < page.index("Beta readers for my")
    assert "Cancelled" in page and "Active" in page and "You are helping" in page
    mine = signed_in(app, "ann@example.com").get("/requests/mine").get_data(as_text=True)
    assert "Active matches" in mine and "A second request for help" in mine
