"""The fair limits and the reliability words on the pages: explained where
they apply, refused kindly with the member's text kept, never a 500."""

from __future__ import annotations

import pytest

from community.db import db
from community.helping import answers
from community.helping.models import Answer, AnswerStatus, VolunteerOffer
from tests import builders
from tests.conftest import Auth


def signed_in(app, email: str):
    client = app.test_client()
    assert Auth(client).login(email).status_code == 302
    return client


@pytest.fixture
def ann(make_user):
    return make_user(email="ann@example.com", display_name="Ann Asker")


@pytest.fixture
def dee(make_user, make_offer):
    dee = make_user(email="dee@example.com", display_name="Dee Doer")
    make_offer(dee, "beta-reading", capacity=1)
    return dee


def test_the_answer_form_says_how_much_room_is_left(app, ann, dee, make_user, make_request):
    first = make_request(ann, title="The first of two requests")
    second = make_request(ann, title="The second of two requests")
    volunteer = signed_in(app, "dee@example.com")
    page = volunteer.get(f"/requests/{first.id}").get_data(as_text=True)
    assert "Your volunteer offer takes 1 request a month" in page
    assert "room for 1 more" in page and "I can help</button>" in page

    builders.answer(dee, first, "Happy to read it!")
    page = volunteer.get(f"/requests/{second.id}").get_data(as_text=True)
    assert "Your month is full: 1 answer waiting for a reply." in page
    assert "I can help</button>" not in page

    # Posted anyway (an old tab): refused beside the field, the text kept.
    response = volunteer.post(f"/requests/{second.id}/answer", data={"note": "My careful words"})
    assert response.status_code == 400
    page = response.get_data(as_text=True)
    assert "Your offer takes 1 request a month" in page and "My careful words" in page
    db.session.expire_all()
    assert db.session.scalar(db.select(db.func.count(Answer.id))) == 1


def test_a_member_without_an_offer_is_told_the_one_off_rule(app, ann, make_user, make_request):
    make_user(email="eve@example.com", display_name="Eve Newcomer")
    request = make_request(ann)
    page = signed_in(app, "eve@example.com").get(f"/requests/{request.id}").get_data(as_text=True)
    assert "You have no volunteer offer, so you can help with 1 request a month" in page
    assert "Set up a volunteer offer" in page and "I can help</button>" in page


@pytest.mark.parametrize("settings", [{"PENDING_INVITATIONS_PER_REQUEST": 1}])
def test_the_requester_sees_the_limits_and_cannot_invite_past_them(
    app, ann, make_volunteer, make_request
):
    vic = make_volunteer("Vic Volunteer", "beta-reading")
    make_volunteer("Wes Volunteer", "beta-reading")
    request = make_request(ann)
    asker = signed_in(app, "ann@example.com")
    page = asker.get(f"/requests/{request.id}").get_data(as_text=True)
    assert "up to 5 offers can wait for your reply at once, and up to 1 of your invitations" in page
    assert "Now 0 of 5 offers and 0 of 1 invitations wait." in page
    assert "Invite Vic" in page

    asker.post(f"/requests/{request.id}/invite/{vic.id}")
    page = asker.get(f"/requests/{request.id}").get_data(as_text=True)
    assert "0 of 5 offers and 1 of 1 invitations wait" in page
    assert "You have 1 invitations waiting for a reply, as many as this request holds" in page
    assert "Invite Wes" not in page
    # The button from an old tab: a clear refusal, flashed, nothing made.
    wes_id = db.session.scalar(
        db.select(VolunteerOffer.user_id).where(VolunteerOffer.user_id != vic.id)
    )
    response = asker.post(f"/requests/{request.id}/invite/{wes_id}", follow_redirects=True)
    assert response.status_code == 200
    assert "You have 1 invitation waiting for a reply" in response.get_data(as_text=True)


def test_the_places_filled_are_said_kindly_on_the_page(app, ann, make_volunteer, make_request):
    vic = make_volunteer("Vic Volunteer", "beta-reading", email="vic@example.com")
    wes = make_volunteer("Wes Volunteer", "beta-reading", email="wes@example.com")
    request = make_request(ann)
    chosen = builders.answer(vic, request, "Me please")
    waiting = builders.answer(wes, request, "Or me")
    builders.accept(ann, chosen)
    db.session.expire_all()
    assert db.session.get(Answer, waiting.id).status == AnswerStatus.DECLINED
    page = signed_in(app, "wes@example.com").get(f"/requests/{request.id}").get_data(as_text=True)
    assert "Places filled" in page and "Thank you for offering." in page
    page = signed_in(app, "ann@example.com").get(f"/requests/{request.id}").get_data(as_text=True)
    assert "Closed kindly when the last helper place was filled." in page


def test_kind_words_on_profiles_and_offers_and_full_figures_on_my_help(
    app, ann, make_volunteer, make_request
):
    vic = make_volunteer("Vic Volunteer", "beta-reading", email="vic@example.com")
    offer = db.session.get(VolunteerOffer, vic.id)
    offer.invitations_replied, offer.invitations_missed = 4, 1
    offer.helps_thanked, offer.helps_not_thanked = 1, 2
    db.session.commit()
    request = make_request(ann)
    answers.answer_request(vic, request, "I would love to.")
    db.session.commit()

    asker = signed_in(app, "ann@example.com")
    page = asker.get(f"/members/{vic.id}").get_data(as_text=True)
    assert "Replied to 4 of 5 invitations" in page
    assert "thanks" not in page.split("Volunteering")[1].split("</section>")[0]
    page = asker.get(f"/requests/{request.id}").get_data(as_text=True)
    assert "replied to 4 of 5 invitations" in page

    # Vic's own page: everything, and what would improve it (measured now,
    # from the rows: Vic has no invitations or matches yet).
    page = signed_in(app, "vic@example.com").get("/requests/mine").get_data(as_text=True)
    assert "How your help has gone" in page and "Your month as a volunteer" in page
    assert "Nothing to show yet" in page
    assert "1 answer waiting for a reply, so room for 1 more" in page
