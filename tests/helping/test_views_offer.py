"""The volunteer offer page through HTTP, and the offer on the profile."""

from __future__ import annotations

import pytest

from community.db import db
from community.helping import capacity, offers
from tests import builders
from tests.conftest import Auth


def signed_in(app, email: str):
    client = app.test_client()
    assert Auth(client).login(email).status_code == 302
    return client


def form(**changes) -> dict:
    data = {
        "skills": ["beta-reading", "critique"],
        "genres": ["fantasy"],
        "monthly_capacity": "3",
        "note": "I read fast and kindly.",
    }
    data.update(changes)
    return data


@pytest.fixture
def bob(make_user):
    return make_user(email="bob@example.com", display_name="Bob Helper")


def test_save_the_offer_and_show_it_on_the_profile(app, bob, client):
    member = signed_in(app, "bob@example.com")
    assert "Offer my help" in member.get("/offer").get_data(as_text=True)
    response = member.post("/offer", data=form(on_break=""))
    assert response.headers["Location"] == "/offer"
    offer = offers.offer_of(bob.id)
    assert {skill.slug for skill in offer.skills} == {"beta-reading", "critique"}
    assert [genre.slug for genre in offer.genres] == ["fantasy"]
    assert offer.monthly_capacity == 3 and not offer.on_break
    page = member.get("/offer").get_data(as_text=True)
    assert "You have taken 0 of the 3 requests" in page
    assert 'checked id="skills-0" name="skills" type="checkbox" value="beta-reading"' in page

    public = client.get(f"/members/{bob.id}").get_data(as_text=True)
    assert "Volunteering" in public and "Critique" in public and "I read fast and kindly." in public
    assert "up to 3 requests a month" in public

    member.post("/offer", data=form(on_break="y"))
    db.session.expire_all()
    assert offers.offer_of(bob.id).on_break
    assert "Taking a break" in client.get(f"/members/{bob.id}").get_data(as_text=True)


@pytest.mark.parametrize(
    ("changes", "message"),
    [
        ({"skills": []}, "Choose at least one kind of help"),
        ({"skills": ["made-up"]}, "Choose from the list"),
        ({"monthly_capacity": "0"}, "Choose between 1 and 20"),
        ({"monthly_capacity": "21"}, "Choose between 1 and 20"),
        ({"monthly_capacity": "lots"}, "Choose between 1 and 20"),
        ({"note": "y" * 1001}, "at most 1000"),
    ],
)
def test_bad_input_keeps_the_text(app, bob, changes, message):
    response = signed_in(app, "bob@example.com").post("/offer", data=form(**changes))
    assert response.status_code == 400
    page = response.get_data(as_text=True)
    assert message in page
    assert (changes.get("note") or "I read fast and kindly.") in page
    assert offers.offer_of(bob.id) is None


def test_a_used_up_month_pauses_the_offer(app, bob, make_user, make_offer, make_request):
    make_offer(bob, "beta-reading", capacity=1)
    ann = make_user(email="ann@example.com")
    help_request = make_request(ann)
    builders.accept(ann, builders.answer(bob, help_request, "Yes!"))
    page = signed_in(app, "bob@example.com").get("/offer").get_data(as_text=True)
    assert "You have taken 1 of the 1 request" in page
    resets = capacity.capacity_resets_on()
    assert f"paused automatically until {resets:%-d %B %Y}" in page


def test_no_offer_on_the_profile_until_there_is_one(app, bob, client):
    assert "Volunteering" not in client.get(f"/members/{bob.id}").get_data(as_text=True)
    own = signed_in(app, "bob@example.com").get(f"/members/{bob.id}").get_data(as_text=True)
    assert "You have not offered to help yet" in own
