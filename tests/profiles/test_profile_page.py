"""The profile page /members/<id>: what it shows, to whom, and safely."""

from __future__ import annotations

import pytest

from community.db import db, utcnow
from community.profiles.models import ProfileLink


def test_a_profile_shows_what_the_member_wrote(client, make_member):
    user = make_member(
        display_name="Maya Okafor",
        about="First paragraph.\nSecond line.\n\nNew paragraph.",
        stage="on_submission",
        genres=["fantasy", "memoir"],
        wants=["query-letters"],
        offers=["beta-reading", "marketing"],
    )
    user.profile.timezone = "Asia/Tokyo"
    user.profile.links = [ProfileLink(position=0, label="My site", url="https://maya.example/")]
    db.session.commit()

    response = client.get(f"/members/{user.id}")  # anonymous: profiles are public

    assert response.status_code == 200
    html = response.get_data(as_text=True)
    assert "<h1>Maya Okafor</h1>" in html
    assert 'class="avatar' in html and ">MO</span>" in html
    assert "On submission" in html
    assert "Asia/Tokyo (local time " in html
    assert "<p>First paragraph.<br>Second line.</p><p>New paragraph.</p>" in html
    for name in ("Fantasy", "Memoir", "Query letters", "Beta reading", "Marketing"):
        assert f"<li>{name}</li>" in html
    assert '<a href="https://maya.example/" rel="nofollow ugc noopener">My site</a>' in html
    assert "Edit your profile" not in html


def test_the_owner_is_offered_the_editor(client, auth, make_user):
    user = make_user()
    auth.login(user.email)
    html = client.get(f"/members/{user.id}").get_data(as_text=True)
    assert 'href="/profile/edit"' in html and "Edit your profile" in html


def test_about_text_is_escaped_not_run(client, make_member):
    user = make_member(
        display_name='<img src=x onerror="alert(1)">',
        about='<script>alert("hi")</script>\n<b>bold</b>',
    )
    html = client.get(f"/members/{user.id}").get_data(as_text=True)
    assert "<script>alert" not in html
    assert "&lt;script&gt;alert(&#34;hi&#34;)&lt;/script&gt;<br>&lt;b&gt;bold&lt;/b&gt;" in html
    assert "<img src=x" not in html
    directory = client.get("/members").get_data(as_text=True)
    assert "<script>alert" not in directory and "<img src=x" not in directory


def test_only_web_links_are_ever_rendered(client, make_user):
    """Even a link that reached the database some other way is not shown."""
    user = make_user()
    user.profile.links = [
        ProfileLink(position=0, label="Evil", url="javascript:alert(1)"),
        ProfileLink(position=1, label="Data", url="data:text/html,hi"),
        ProfileLink(position=2, label="Fine", url="http://fine.example/"),
    ]
    db.session.commit()
    html = client.get(f"/members/{user.id}").get_data(as_text=True)
    assert "javascript:" not in html and "data:text" not in html
    assert "Evil" not in html
    assert 'href="http://fine.example/"' in html


@pytest.mark.parametrize("user_id", ["987654", "0", "99999999999999999999999"])
def test_unknown_members_are_not_found(client, make_user, user_id):
    make_user()
    assert client.get(f"/members/{user_id}").status_code == 404


def test_deleted_members_are_not_found(client, auth, make_user):
    gone = make_user(deleted_at=utcnow())
    viewer = make_user(is_admin=True)
    assert client.get(f"/members/{gone.id}").status_code == 404
    auth.login(viewer.email)
    assert client.get(f"/members/{gone.id}").status_code == 404


def test_a_deleted_account_has_no_profile_page(client, auth, make_user):
    from community.accounts.service import delete_account

    user = make_user()
    delete_account(user, "correct horse battery")
    db.session.commit()
    assert client.get(f"/members/{user.id}").status_code == 404


@pytest.mark.parametrize(
    ("viewer", "status"),
    [("anonymous", 404), ("other", 404), ("self", 200), ("admin", 200)],
)
def test_an_unconfirmed_members_profile_is_seen_by_them_and_admins(
    client, auth, make_user, viewer, status
):
    member = make_user(unverified=True, email="new@example.com")
    make_user(email="other@example.com")
    make_user(email="admin@example.com", is_admin=True)
    if viewer != "anonymous":
        auth.login({"self": "new", "other": "other", "admin": "admin"}[viewer] + "@example.com")
    response = client.get(f"/members/{member.id}")
    assert response.status_code == status
    if viewer == "self":
        assert "Only you can see this page" in response.get_data(as_text=True)
