"""Logging in and out: same answer for unknown emails, remember-me, safe ``next``."""

from __future__ import annotations

import pytest

from community.accounts.models import LoginSession, User
from tests.accounts.helpers import (
    PASSWORD,
    REMEMBER_COOKIE,
    SESSION_COOKIE,
    current,
    is_logged_in,
    login,
    logout,
    one,
)


def set_cookie_headers(response, name):
    return [h for h in response.headers.getlist("Set-Cookie") if h.startswith(name + "=")]


def test_login_with_the_right_password_starts_a_server_side_session(client, make_user):
    user = make_user(email="member@example.com", display_name="Mara Lee")
    response = login(client, "MEMBER@Example.com")  # addresses are not case-sensitive

    assert response.status_code == 302
    assert response.headers["Location"] == "/"
    session = one(LoginSession)
    assert session.user_id == user.id
    assert session.remember is False
    account = client.get("/account")
    assert account.status_code == 200
    assert b"Welcome back, Mara Lee." in account.data
    assert one(User, id=user.id).last_seen_at is not None


def test_wrong_password_and_unknown_email_answer_identically(app, make_user):
    make_user(email="known@example.com")
    known, unknown = app.test_client(), app.test_client()

    wrong = login(known, "known@example.com", "not the right password")
    nobody = login(unknown, "nobody@example.com", "not the right password")

    assert wrong.status_code == nobody.status_code == 200
    assert b"That email and password do not match an account." in wrong.data
    # The form keeps the address typed; apart from it, the pages are the same.
    assert wrong.data.replace(b"known@example.com", b"EMAIL") == nobody.data.replace(
        b"nobody@example.com", b"EMAIL"
    )
    assert b"not the right password" not in wrong.data
    assert wrong.headers.get("Set-Cookie") == nobody.headers.get("Set-Cookie")
    assert current(LoginSession) == []


def test_a_deleted_or_unknown_member_cannot_log_in(client, make_user):
    make_user(email="member@example.com")
    assert login(client, "member@example.com", PASSWORD + "x").status_code == 200
    assert login(client, "someone@example.com").status_code == 200
    assert not is_logged_in(client)


def test_without_remember_me_no_remember_cookie(client, make_user):
    make_user(email="member@example.com")
    response = login(client, "member@example.com")
    assert set_cookie_headers(response, REMEMBER_COOKIE) == []
    assert client.get_cookie(REMEMBER_COOKIE) is None
    assert client.get_cookie(SESSION_COOKIE) is not None


def test_remember_me_sets_a_30_day_remember_cookie(client, make_user):
    make_user(email="member@example.com")
    response = login(client, "member@example.com", remember=True)

    assert response.status_code == 302
    [header] = set_cookie_headers(response, REMEMBER_COOKIE)
    assert "HttpOnly" in header
    assert "SameSite=Lax" in header
    assert "Max-Age=2592000" in header or "Expires=" in header
    session = one(LoginSession)
    assert session.remember is True
    assert 29.9 < (session.expires_at - session.created_at).total_seconds() / 86400 <= 30


def test_logout_needs_a_post_and_ends_the_session(client, make_user):
    make_user(email="member@example.com")
    login(client, "member@example.com", remember=True)

    assert client.get("/logout").status_code == 405
    assert is_logged_in(client)

    response = logout(client)
    assert response.status_code == 302
    assert current(LoginSession) == []
    assert client.get_cookie(REMEMBER_COOKIE) is None
    assert not is_logged_in(client)


@pytest.mark.parametrize(
    "target",
    ["/account", "/members?page=2", "/profile/edit"],
)
def test_next_follows_local_paths(client, make_user, target):
    make_user(email="member@example.com")
    response = login(client, "member@example.com", query_string={"next": target})
    assert response.status_code == 302
    assert response.headers["Location"] == target


@pytest.mark.parametrize(
    "target",
    [
        "//evil.com",
        "//evil.com/account",
        "https://evil.com",
        "http://evil.com/login",
        "/\\evil.com",
        "\\\\evil.com",
        "/\t/evil.com",
        "/\n/evil.com",
        "javascript:alert(1)",
        "evil.com",
        "",
    ],
)
def test_next_never_leads_off_site(client, make_user, target):
    make_user(email="member@example.com")
    response = login(client, "member@example.com", query_string={"next": target})
    assert response.status_code == 302
    assert response.headers["Location"] == "/"


def test_login_page_redirects_a_logged_in_member(client, make_user):
    make_user(email="member@example.com")
    login(client, "member@example.com")
    assert client.get("/login").status_code == 302


def test_account_page_sends_anonymous_visitors_to_login_with_next(client):
    response = client.get("/account")
    assert response.status_code == 302
    assert response.headers["Location"] == "/login?next=%2Faccount"
