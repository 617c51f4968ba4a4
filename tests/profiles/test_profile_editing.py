"""Editing one's profile through /profile/edit: wiring, errors, access."""

from __future__ import annotations

import pytest

from community.db import db
from community.profiles.models import Profile

FORM = {
    "display_name": "Maya Okafor",
    "about": "I write fantasy.\r\n\r\nMaps & dragons <3",
    "stage": "revising",
    "timezone": "Africa/Lagos",
    "genres": ["fantasy", "young-adult"],
    "wants": ["query-letters"],
    "offers": ["beta-reading", "critique"],
    "links-0-label": "Website",
    "links-0-url": "https://maya.example.com/",
    "links-1-label": "",
    "links-1-url": "newsletter.example.com",
}


def form(**overrides):
    return {**FORM, **overrides}


def reload(user):
    db.session.expire_all()
    return db.session.get(type(user), user.id)


def test_anonymous_visitors_are_sent_to_log_in(client, make_user):
    user = make_user(display_name="Untouched")
    for method in ("get", "post"):
        response = getattr(client, method)("/profile/edit", data=form())
        assert response.status_code == 302
        assert "/login" in response.headers["Location"]
    assert reload(user).display_name == "Untouched"


def test_the_form_shows_the_current_profile(client, auth, make_member):
    user = make_member(
        display_name="Ann Lee",
        about="Hello there",
        stage="querying",
        genres=["memoir"],
        offers=["critique"],
    )
    auth.login(user.email)
    html = client.get("/profile/edit").get_data(as_text=True)
    assert 'value="Ann Lee"' in html
    assert "Hello there</textarea>" in html
    assert '<option selected value="querying">' in html
    assert 'checked id="genres-' in html and 'value="memoir"' in html
    assert html.count('name="links-') == 10  # five rows of label and address
    assert '<datalist id="timezone-options">' in html
    assert 'list="timezone-options"' in html


def test_saving_stores_every_field_and_shows_the_profile(client, auth, make_user):
    user = make_user()
    auth.login(user.email)

    response = client.post("/profile/edit", data=form())

    assert response.status_code == 302
    assert response.headers["Location"] == f"/members/{user.id}"
    user = reload(user)
    profile = user.profile
    assert user.display_name == "Maya Okafor"
    assert profile.about == "I write fantasy.\n\nMaps & dragons <3"
    assert profile.stage == "revising"
    assert profile.timezone == "Africa/Lagos"
    assert [g.slug for g in profile.genres] == ["fantasy", "young-adult"]
    assert [s.slug for s in profile.wanted_skills] == ["query-letters"]
    assert [s.slug for s in profile.offered_skills] == ["beta-reading", "critique"]
    assert [(link.label, link.url) for link in profile.links] == [
        ("Website", "https://maya.example.com/"),
        ("newsletter.example.com", "https://newsletter.example.com"),
    ]
    page = client.get(response.headers["Location"]).get_data(as_text=True)
    assert "Your profile is saved." in page
    assert "Maps &amp; dragons &lt;3" in page


def test_unverified_members_may_edit_their_profile(client, auth, make_user):
    user = make_user(unverified=True)
    auth.login(user.email)
    assert client.get("/profile/edit").status_code == 200
    assert client.post("/profile/edit", data=form()).status_code == 302
    assert reload(user).profile.stage == "revising"


def test_the_editor_only_ever_edits_the_logged_in_member(client, auth, make_user):
    me = make_user(display_name="Me")
    other = make_user(display_name="Other Person")
    auth.login(me.email)

    # Nothing in the request can name another member.
    client.post(f"/profile/edit?user_id={other.id}", data=form(user_id=other.id, id=other.id))

    assert reload(me).display_name == "Maya Okafor"
    other = reload(other)
    assert other.display_name == "Other Person"
    assert other.profile.genres == []


@pytest.mark.parametrize(
    ("overrides", "field_id", "message"),
    [
        ({"links-1-url": "javascript:alert(1)"}, "links-1-url", "Only web links"),
        ({"links-0-url": "data:text/html,hi"}, "links-0-url", "Only web links"),
        ({"links-0-url": "ftp://files.example.com"}, "links-0-url", "Only web links"),
        ({"links-0-url": "https://example.com/" + "a" * 500}, "links-0-url", "500"),
        ({"links-0-url": ""}, "links-0-url", "Add the web address"),
        ({"timezone": "Mars/Olympus_Mons"}, "timezone", "Choose a timezone"),
        ({"about": "x" * 5001}, "about", "at most 5,000"),
        ({"display_name": "   "}, "display_name", "Tell us the name"),
        ({"display_name": "n" * 81}, "display_name", "at most 80"),
        ({"stage": "famous"}, "stage", "Choose a stage"),
        ({"genres": ["fantasy", "not-a-genre"]}, "genres", "Choose from the list"),
        ({"offers": ["telepathy"]}, "offers", "Choose from the list"),
    ],
)
def test_bad_input_is_shown_next_to_its_field_and_nothing_is_lost(
    client, auth, make_user, overrides, field_id, message
):
    user = make_user(display_name="Before")
    auth.login(user.email)
    data = form(**overrides)

    response = client.post("/profile/edit", data=data)

    assert response.status_code == 400
    html = response.get_data(as_text=True)
    assert f'id="{field_id}-error"' in html or f'id="{field_id}"' in html
    error_at = html.find("field-error", html.find(f'id="{field_id}"'))
    assert message in html[error_at : error_at + 300]
    # The member's text comes back as typed, escaped.
    about = data["about"].replace("\r\n", "\n").replace("&", "&amp;").replace("<", "&lt;")
    assert about in html
    assert 'value="https://maya.example.com/"' in html or field_id == "links-0-url"
    if field_id == "links-1-url":
        assert 'value="javascript:alert(1)"' in html  # kept in the box to fix, never a link
        assert 'href="javascript:' not in html
    assert reload(user).display_name == "Before"


def test_too_long_about_text_is_given_back_whole(client, auth, make_user):
    user = make_user()
    auth.login(user.email)
    long_text = "word " * 1001  # 5005 characters

    response = client.post("/profile/edit", data=form(about=long_text))

    assert response.status_code == 400
    assert long_text + "</textarea>" in response.get_data(as_text=True)


def test_all_errors_show_at_once(client, auth, make_user):
    user = make_user()
    auth.login(user.email)
    response = client.post(
        "/profile/edit",
        data=form(timezone="Nowhere", **{"links-0-url": "javascript:x", "links-1-url": "ftp://x"}),
    )
    html = response.get_data(as_text=True)
    assert response.status_code == 400
    for field_id in ("timezone", "links-0-url", "links-1-url"):
        assert f'id="{field_id}-error"' in html
    assert 'aria-describedby="timezone-error"' in html or "timezone-error" in html


def test_text_nobody_could_type_is_not_an_error(client, auth, make_user):
    """NUL and other control characters (PostgreSQL refuses NUL) are dropped, not a 500."""
    user = make_user()
    auth.login(user.email)
    response = client.post(
        "/profile/edit",
        data=form(display_name="Ann\x00 Lee", about="a\x00b", timezone="UTC\x00"),
    )
    assert response.status_code == 302
    user = reload(user)
    assert (user.display_name, user.profile.about, user.profile.timezone) == (
        "Ann Lee",
        "ab",
        "UTC",
    )


def test_a_member_without_a_profile_row_gets_one(client, auth, make_user):
    user = make_user()
    db.session.delete(user.profile)
    db.session.commit()
    auth.login(user.email)
    assert client.get("/profile/edit").status_code == 200
    assert client.post("/profile/edit", data=form()).status_code == 302
    assert db.session.query(Profile).filter_by(user_id=user.id).one().stage == "revising"


def test_a_rule_broken_in_the_service_finds_its_field(app):
    from community.profiles.forms import ProfileForm

    with app.test_request_context("/profile/edit", method="POST", data=form()):
        profile_form = ProfileForm()
        assert profile_form.field_at("links.1.url") is profile_form.links[1].form.url
        assert profile_form.field_at("timezone") is profile_form.timezone
        for path in ("links.9.url", "links.1.nope", "nope", "", None):
            assert profile_form.field_at(path) is None
