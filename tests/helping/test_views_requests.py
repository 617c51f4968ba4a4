"""The request pages through HTTP: posting, editing, the lifecycle buttons, keep-open."""

from __future__ import annotations

from datetime import timedelta

import pytest

from community.db import db, utcnow
from community.helping import requests
from community.helping.models import HelpRequest, RequestStatus
from tests.conftest import Auth

DETAILS = "A 90k-word epic fantasy about a lighthouse keeper; I need notes on pacing."


def signed_in(app, email: str):
    client = app.test_client()
    assert Auth(client).login(email).status_code == 302
    return client


def form(**changes) -> dict:
    data = {
        "title": "Beta readers for my fantasy novel",
        "details": DETAILS,
        "skills": ["beta-reading"],
        "genre": "fantasy",
        "format": "written",
        "effort": "about 6 hours",
        "deadline": "",
        "helpers_wanted": "2",
    }
    data.update(changes)
    return data


@pytest.fixture
def ann(make_user):
    return make_user(email="ann@example.com", display_name="Ann Asker")


def only_request() -> HelpRequest:
    return db.session.scalars(db.select(HelpRequest)).one()


def test_post_a_request(app, ann):
    client = signed_in(app, "ann@example.com")
    assert client.get("/requests/new").status_code == 200
    response = client.post("/requests/new", data=form(skills=["beta-reading", "critique"]))
    assert response.status_code == 302
    posted = only_request()
    assert response.headers["Location"] == f"/requests/{posted.id}"
    assert posted.title == "Beta readers for my fantasy novel"
    assert [skill.slug for skill in posted.skills] == ["beta-reading", "critique"]
    assert posted.genre.slug == "fantasy" and posted.helpers_wanted == 2
    page = client.get(response.headers["Location"]).get_data(as_text=True)
    assert "Your request is posted" in page
    assert "Beta readers for my fantasy novel" in page and "Critique" in page


BAD_INPUT = [
    ({"title": "Hey"}, "title", "title of 5 to 120"),
    ({"details": "Too short"}, "details", "20 to 5,000"),
    ({"skills": []}, "skills", "Choose 1 to 3"),
    (
        {"skills": ["beta-reading", "critique", "proofreading", "synopsis"]},
        "skills",
        "Choose 1 to 3",
    ),
    ({"skills": ["no-such-skill"]}, "skills", "Choose from the list"),
    ({"genre": "no-such-genre"}, "genre", "Choose from the list"),
    ({"deadline": "next tuesday"}, "deadline", "Enter a date such as"),
    ({"deadline": "2001-01-01"}, "deadline", "from today to two years ahead"),
    ({"helpers_wanted": "0"}, "helpers_wanted", "Choose 1 to 5 helpers"),
    ({"helpers_wanted": "6"}, "helpers_wanted", "Choose 1 to 5 helpers"),
    ({"helpers_wanted": "many"}, "helpers_wanted", "Choose 1 to 5 helpers"),
    ({"format": "carrier-pigeon"}, "format", "Choose how you would like the help"),
    ({"effort": "x" * 101}, "effort", "at most 100"),
]


@pytest.mark.parametrize(("changes", "field", "message"), BAD_INPUT)
def test_bad_input_is_shown_beside_its_field_and_the_text_is_kept(
    app, ann, changes, field, message
):
    client = signed_in(app, "ann@example.com")
    data = form(**{"title": "My lighthouse novel needs you", **changes})
    response = client.post("/requests/new", data=data)
    assert response.status_code == 400
    page = response.get_data(as_text=True)
    assert message in page
    assert 'aria-invalid="true"' in page
    assert DETAILS in page or field == "details"
    if field != "title":
        assert 'value="My lighthouse novel needs you"' in page
    assert db.session.scalar(db.select(db.func.count(HelpRequest.id))) == 0


def test_control_characters_never_reach_the_database(app, ann):
    client = signed_in(app, "ann@example.com")
    response = client.post("/requests/new", data=form(title="Nul\x00 in the title"))
    assert response.status_code == 302
    assert only_request().title == "Nul in the title"


def test_an_unverified_member_is_asked_to_confirm_first(app, make_user):
    make_user(email="una@example.com", unverified=True)
    client = signed_in(app, "una@example.com")
    assert "confirm your email address first" in client.get("/requests/new").get_data(as_text=True)
    response = client.post("/requests/new", data=form())
    assert response.status_code == 403
    page = response.get_data(as_text=True)
    assert "Please confirm your email address first" in page
    assert DETAILS in page  # nothing lost
    assert db.session.scalar(db.select(db.func.count(HelpRequest.id))) == 0


def test_only_the_owner_edits(app, ann, make_user, make_request):
    make_user(email="bob@example.com")
    help_request = make_request(ann)
    other = signed_in(app, "bob@example.com")
    assert other.get(f"/requests/{help_request.id}/edit").status_code == 403
    response = other.post(f"/requests/{help_request.id}/edit", data=form(title="Hijacked title"))
    assert response.status_code == 403
    assert "Only the member who asked" in response.get_data(as_text=True)
    db.session.expire_all()
    assert db.session.get(HelpRequest, help_request.id).title != "Hijacked title"

    owner = signed_in(app, "ann@example.com")
    page = owner.get(f"/requests/{help_request.id}/edit").get_data(as_text=True)
    assert f'value="{help_request.title}"' in page
    response = owner.post(f"/requests/{help_request.id}/edit", data=form(title="A new title"))
    assert response.status_code == 302
    db.session.expire_all()
    assert db.session.get(HelpRequest, help_request.id).title == "A new title"


def test_edit_errors_keep_the_text(app, ann, make_request):
    help_request = make_request(ann)
    client = signed_in(app, "ann@example.com")
    response = client.post(
        f"/requests/{help_request.id}/edit", data=form(title="A fresh title", skills=[])
    )
    assert response.status_code == 400
    page = response.get_data(as_text=True)
    assert "Choose 1 to 3" in page and 'value="A fresh title"' in page


def test_close_reopen_and_the_buttons_refused_to_others(app, ann, make_user, make_request):
    make_user(email="bob@example.com")
    help_request = make_request(ann)
    path = f"/requests/{help_request.id}"

    other = signed_in(app, "bob@example.com")
    response = other.post(f"{path}/close", follow_redirects=True)
    assert "Only the member who asked can do that." in response.get_data(as_text=True)
    db.session.expire_all()
    assert db.session.get(HelpRequest, help_request.id).status == RequestStatus.OPEN

    owner = signed_in(app, "ann@example.com")
    response = owner.post(f"{path}/close", follow_redirects=True)
    assert "Your request is closed." in response.get_data(as_text=True)
    db.session.expire_all()
    assert db.session.get(HelpRequest, help_request.id).status == RequestStatus.CLOSED

    # Closed: gone for everyone but its participants.
    assert other.get(path).status_code == 404
    assert other.get(f"{path}/edit").status_code == 404
    assert owner.get(f"{path}/edit").status_code == 403  # ended: reopen to change it
    response = owner.post(f"{path}/close", follow_redirects=True)
    assert "already ended" in response.get_data(as_text=True)

    response = owner.post(f"{path}/reopen", follow_redirects=True)
    assert "Your request is open again." in response.get_data(as_text=True)
    db.session.expire_all()
    assert db.session.get(HelpRequest, help_request.id).status == RequestStatus.OPEN
    assert other.get(path).status_code == 200


def test_complete_needs_a_match_first(app, ann, make_request):
    help_request = make_request(ann)
    client = signed_in(app, "ann@example.com")
    response = client.post(f"/requests/{help_request.id}/complete", follow_redirects=True)
    assert "Accept a volunteer" in response.get_data(as_text=True)
    db.session.expire_all()
    assert db.session.get(HelpRequest, help_request.id).status == RequestStatus.OPEN


def test_missing_and_impossible_requests_are_404(app, ann):
    client = signed_in(app, "ann@example.com")
    assert client.get("/requests/999").status_code == 404
    assert client.get(f"/requests/{10**30}").status_code == 404
    assert client.post(f"/requests/{10**30}/close").status_code == 404


def test_keep_open_asks_then_keeps_the_request_open(app, ann, make_request):
    help_request = make_request(ann)
    quiet = utcnow() - timedelta(days=40)
    help_request.last_activity_at = quiet
    help_request.status = RequestStatus.EXPIRED.value
    db.session.commit()
    token = requests.keep_open_token(help_request)
    client = signed_in(app, "ann@example.com")

    page = client.get(f"/requests/keep-open/{token}")
    assert page.status_code == 200
    assert "Open it again" in page.get_data(as_text=True)
    db.session.expire_all()
    assert db.session.get(HelpRequest, help_request.id).status == RequestStatus.EXPIRED

    response = client.post(f"/requests/keep-open/{token}")
    assert response.headers["Location"] == f"/requests/{help_request.id}"
    db.session.expire_all()
    kept = db.session.get(HelpRequest, help_request.id)
    assert kept.status == RequestStatus.OPEN and kept.last_activity_at > quiet
    assert "stays open" in client.get(response.headers["Location"]).get_data(as_text=True)


def test_keep_open_with_a_bad_token_is_404_and_needs_a_login(app, ann, client):
    assert client.get("/requests/keep-open/abc").headers["Location"].startswith("/login")
    signed = signed_in(app, "ann@example.com")
    response = signed.get("/requests/keep-open/not-a-token")
    assert response.status_code == 404
    assert "This link is not valid." in response.get_data(as_text=True)
    assert signed.post("/requests/keep-open/not-a-token").status_code == 404


def test_keep_open_of_an_ended_request_changes_nothing(app, ann, make_request):
    help_request = make_request(ann)
    help_request.status = RequestStatus.CLOSED.value
    db.session.commit()
    token = requests.keep_open_token(help_request)
    client = signed_in(app, "ann@example.com")
    assert "nothing to keep open" in client.get(f"/requests/keep-open/{token}").get_data(
        as_text=True
    )
    response = client.post(f"/requests/keep-open/{token}")
    assert response.headers["Location"] == "/requests/mine"
    db.session.expire_all()
    assert db.session.get(HelpRequest, help_request.id).status == RequestStatus.CLOSED


def test_my_requests_lists_every_state(app, ann, make_request):
    make_request(ann, title="An open request for help")
    closed = make_request(ann, title="A closed request for help")
    closed.status = RequestStatus.CLOSED.value
    db.session.commit()
    page = signed_in(app, "ann@example.com").get("/requests/mine").get_data(as_text=True)
    assert "An open request for help" in page and "A closed request for help" in page
    assert "Closed" in page
