"""Finding 12: nobody unverified is suggested, listed or shown to others.

Before: an unverified member's offer showed in suggestions, and followers
and following pages (and the feed's "X followed Y") listed unverified
members. Now every such place asks for a verified address.
"""

from __future__ import annotations

from community.db import db
from community.helping import matching
from community.network import follows
from community.network.follows import NetworkError
from community.network.models import Follow
from tests.conftest import Auth

UNA = "Una Unconfirmed"


def signed_in(app, email: str):
    client = app.test_client()
    assert Auth(client).login(email).status_code == 302
    return client


def test_an_unverified_volunteer_is_never_suggested(app, make_user, make_volunteer, make_request):
    una = make_volunteer(UNA, "beta-reading", email="una@example.com")
    una.email_verified_at = None
    vic = make_volunteer("Vic Verified", "beta-reading")
    ann = make_user(email="ann@example.com")
    request = make_request(ann)
    suggested = [s.volunteer.id for s in matching.suggest_volunteers(request, per_skill=1)]
    # Una ranks like Vic, but even with one candidate per skill Vic is the one.
    assert suggested == [vic.id]
    page = signed_in(app, "ann@example.com").get(f"/requests/{request.id}").get_data(as_text=True)
    assert UNA not in page


def test_an_unverified_requesters_request_is_never_suggested(
    app, make_user, make_volunteer, make_request
):
    una = make_user(display_name=UNA, email="una@example.com")
    request = make_request(una)
    una.email_verified_at = None  # e.g. unverified again by a moderator
    db.session.commit()
    vic = make_volunteer("Vic Verified", "beta-reading")
    assert request.id not in [s.request.id for s in matching.suggest_requests(vic)]


def test_unverified_members_are_not_listed_on_follow_pages_or_the_feed(app, make_user):
    una = make_user(display_name=UNA, email="una@example.com", unverified=True)
    vera = make_user(display_name="Vera Verified", email="vera@example.com")
    ann = make_user(display_name="Ann Asker", email="ann@example.com")
    # Following an unverified member is refused...
    try:
        follows.follow(vera, una)
    except NetworkError:
        db.session.rollback()
    else:
        raise AssertionError("following an unverified member was allowed")
    # ...and rows made earlier (say, before a moderator unverified them) are not shown.
    db.session.add_all([Follow(follower_id=vera.id, followed_id=una.id)])
    follows.follow(ann, vera)
    db.session.commit()
    assert follows.counts(vera.id)["following"] == 0
    viewer = signed_in(app, "ann@example.com")
    for path in (
        f"/members/{vera.id}/following",
        f"/members/{una.id}/followers",
        "/feed",
        "/members",
        f"/members/{una.id}",
    ):
        assert UNA not in viewer.get(path).get_data(as_text=True), path
