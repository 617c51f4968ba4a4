"""Finding 2: deleting an account must end everything live the member had.

Before: their open requests stayed open, searchable and answerable; their
answers, matches, offer and follows remained; their other devices' sockets
stayed connected. Now :func:`community.helping.withdrawal.withdraw_member`
runs inside the deletion (and for suspensions): requests close, pending
answers end, active matches are cancelled with the other side told kindly,
the offer and the follows go, and every socket is closed.
"""

from __future__ import annotations

from sqlalchemy import func, select

from community.accounts import service as accounts
from community.accounts.models import User
from community.db import db
from community.helping import answers, matching, requests
from community.helping.models import (
    Answer,
    AnswerStatus,
    Match,
    MatchStatus,
    RequestStatus,
    VolunteerOffer,
)
from community.network import feed, follows
from community.network.models import Follow
from tests.builders import accept, answer, notifications_of, reload
from tests.chat.conftest import WAIT
from tests.factories import PASSWORD


def _dee_with_everything(make_user, make_volunteer, make_request):
    """Dee asks, helps, volunteers and follows; everyone else is around her."""
    # Room for a match and two answers waiting (they count against the month).
    dee = make_volunteer("Dee Departing", "beta-reading", email="dee@example.com", capacity=5)
    ann = make_volunteer("Ann Asker", "beta-reading", email="ann@example.com")
    hal = make_volunteer("Hal Helper", "beta-reading", email="hal@example.com")
    vic = make_volunteer("Vic Volunteer", "beta-reading", email="vic@example.com")
    bob = make_user(email="bob@example.com", display_name="Bob Boss")

    dees_request = make_request(dee, title="Dee needs pacing notes on her thriller", helpers=3)
    dee_helped_by_hal = accept(dee, answer(hal, dees_request))
    vics_offer = answer(vic, dees_request)

    anns_request = make_request(ann, title="Ann wants a query letter critique", helpers=3)
    dee_helps_ann = accept(ann, answer(dee, anns_request))
    anns_other = make_request(ann, title="Ann wants a synopsis critique")
    dees_offer = answer(dee, anns_other)

    bobs_request = make_request(bob, title="Bob wants beta readers for a memoir")
    invitation = answers.invite_volunteer(bob, bobs_request, dee, "Would you read it?")
    db.session.commit()

    for other in (ann, vic):
        follows.follow(other, dee)
        follows.follow(dee, other)
    db.session.commit()
    return dict(
        dee=dee, ann=ann, hal=hal, vic=vic, bob=bob,
        dees_request=dees_request, dee_helped_by_hal=dee_helped_by_hal, vics_offer=vics_offer,
        anns_request=anns_request, dee_helps_ann=dee_helps_ann, dees_offer=dees_offer,
        anns_other=anns_other, invitation=invitation,
    )  # fmt: skip


def test_deletion_withdraws_the_member_from_everything_live(
    app, client, auth, make_user, make_volunteer, make_request
):
    w = _dee_with_everything(make_user, make_volunteer, make_request)
    dee_id = w["dee"].id
    auth.login("dee@example.com")
    response = client.post("/account/delete", data={"password": PASSWORD, "confirm": "y"})
    assert response.status_code == 302
    db.session.expire_all()
    assert db.session.get(User, dee_id).is_deleted

    # Her request is closed: gone from the board, the search, the feed, suggestions.
    assert reload(w["dees_request"]).status == RequestStatus.CLOSED
    board = requests.board_page(requests.BoardFilters()).items
    assert w["dees_request"].id not in [r.id for r in board]
    searched = requests.board_page(requests.BoardFilters(q="thriller")).items
    assert searched == []
    vic = db.session.get(User, w["vic"].id)
    assert w["dees_request"].id not in [s.request.id for s in matching.suggest_requests(vic)]
    feed_items, _ = feed.feed_page(w["ann"].id)
    assert all(item.actor.id != dee_id for item in feed_items)

    # Pending answers ended; the invitation's requester is told.
    assert reload(w["vics_offer"]).status == AnswerStatus.DECLINED
    assert reload(w["dees_offer"]).status == AnswerStatus.WITHDRAWN
    assert reload(w["invitation"]).status == AnswerStatus.DECLINED
    [told] = notifications_of(w["bob"], "invitation_declined")
    assert "left Kindred" in told.data["reason"]

    # Active matches cancelled both ways, the other side told kindly.
    for key, other in (("dee_helped_by_hal", "hal"), ("dee_helps_ann", "ann")):
        assert reload(w[key]).status == MatchStatus.CANCELLED
        [notice] = notifications_of(w[other], "match_cancelled")
        assert notice.data["name"] == "Dee Departing"
        assert "left Kindred" in notice.data["reason"]
    # The places came back.
    assert reload(w["anns_request"]).places_taken == 0

    # No offer, so no suggestion names her; no follows either way.
    assert db.session.get(VolunteerOffer, dee_id) is None
    anns_other = reload(w["anns_other"])
    assert dee_id not in [s.volunteer.id for s in matching.suggest_volunteers(anns_other)]
    assert (
        db.session.scalar(
            select(func.count())
            .select_from(Follow)
            .where((Follow.follower_id == dee_id) | (Follow.followed_id == dee_id))
        )
        == 0
    )
    # Nothing is left pending or active with her.
    assert not db.session.scalar(
        select(func.count(Answer.id)).where(
            Answer.volunteer_id == dee_id, Answer.status == AnswerStatus.PENDING
        )
    )
    assert not db.session.scalar(
        select(func.count(Match.id)).where(
            Match.status == MatchStatus.ACTIVE,
            (Match.helper_id == dee_id) | (Match.requester_id == dee_id),
        )
    )


def test_withdraw_member_is_idempotent_and_keeps_history(
    app, make_user, make_volunteer, make_request
):
    from community.helping.withdrawal import withdraw_member

    w = _dee_with_everything(make_user, make_volunteer, make_request)
    withdraw_member(w["dee"], reason="suspended")
    db.session.commit()
    withdraw_member(w["dee"], reason="suspended")
    db.session.commit()
    [notice] = notifications_of(w["hal"], "match_cancelled")
    # A suspension's cause is never shown to the other member.
    assert "no longer taking part" in notice.data["reason"]
    # The request and the matches are still there, ended, for the others' history.
    assert reload(w["dees_request"]).status == RequestStatus.CLOSED
    assert reload(w["dee_helps_ann"]).status == MatchStatus.CANCELLED


def test_deletion_closes_every_socket_of_every_device(server, pair, member):
    ann_laptop = member("ann@example.com")
    ann_phone = member("ann@example.com")
    ben = member("ben@example.com")
    db.session.rollback()
    accounts.delete_account(db.session.get(User, pair.ann.id), PASSWORD)
    db.session.commit()
    assert ann_laptop.disconnected.wait(WAIT)
    assert ann_phone.disconnected.wait(WAIT)
    assert ben.sio.connected
    # Ben is told the match ended.
    [notice] = notifications_of(pair.ben, "match_cancelled")
    assert notice.data["name"] == "Ann Author"
