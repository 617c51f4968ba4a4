"""CSRF: with protection on (as in production), a state-changing POST needs the form's token."""

from __future__ import annotations

import re

import pytest

from community.accounts.models import LoginSession, User
from tests.accounts.helpers import NEW_PASSWORD, PASSWORD, current, is_logged_in, one

pytestmark = pytest.mark.parametrize("settings", [{"WTF_CSRF_ENABLED": True}], ids=["csrf"])

REFUSED = b"This form had expired or did not come from this site."


def token_from(client, path, field="csrf_token"):
    page = client.get(path)
    assert page.status_code == 200
    match = re.search(rf'name="{re.escape(field)}" type="hidden" value="([^"]+)"', page.text)
    if match is None:
        match = re.search(rf'name="{re.escape(field)}" value="([^"]+)"', page.text)
    assert match, f"no {field} in {path}"
    return match.group(1)


def log_in(client, email="member@example.com"):
    token = token_from(client, "/login")
    response = client.post(
        "/login", data={"email": email, "password": PASSWORD, "csrf_token": token}
    )
    assert response.status_code == 302
    return response


def test_protection_is_on(app):
    assert app.config["WTF_CSRF_ENABLED"] is True


def test_login_without_the_token_is_refused(client, make_user):
    make_user(email="member@example.com")
    client.get("/login")  # a session exists, but the form's token is not sent
    response = client.post("/login", data={"email": "member@example.com", "password": PASSWORD})
    assert response.status_code == 400
    assert REFUSED in response.data
    assert current(LoginSession) == []
    assert not is_logged_in(client)


def test_login_with_a_token_from_another_session_is_refused(app, make_user):
    make_user(email="member@example.com")
    elsewhere = app.test_client()
    foreign_token = token_from(elsewhere, "/login")
    victim = app.test_client()
    victim.get("/login")
    response = victim.post(
        "/login",
        data={"email": "member@example.com", "password": PASSWORD, "csrf_token": foreign_token},
    )
    assert response.status_code == 400
    assert current(LoginSession) == []


def test_login_with_the_token_works(client, make_user):
    make_user(email="member@example.com")
    log_in(client)
    assert is_logged_in(client)


def test_signup_without_the_token_is_refused(client, mailbox):
    client.get("/signup")
    response = client.post(
        "/signup",
        data={"email": "new@example.com", "display_name": "New", "password": PASSWORD},
    )
    assert response.status_code == 400
    assert current(User) == []
    assert mailbox.messages() == []


def test_signup_with_the_token_works(client, mailbox):
    token = token_from(client, "/signup")
    response = client.post(
        "/signup",
        data={
            "email": "new@example.com",
            "display_name": "New",
            "password": PASSWORD,
            "csrf_token": token,
        },
    )
    assert response.status_code == 200
    assert one(User).email == "new@example.com"
    assert len(mailbox.messages()) == 1


def test_logout_without_the_token_is_refused(client, make_user):
    make_user(email="member@example.com")
    log_in(client)
    response = client.post("/logout")
    assert response.status_code == 400
    assert len(current(LoginSession)) == 1
    assert is_logged_in(client)


def test_logout_with_the_token_from_the_page_works(client, make_user):
    make_user(email="member@example.com")
    log_in(client)
    token = token_from(client, "/account")  # the navigation's logout form
    response = client.post("/logout", data={"csrf_token": token})
    assert response.status_code == 302
    assert current(LoginSession) == []
    assert not is_logged_in(client)


def test_password_change_without_the_token_is_refused(client, make_user):
    user = make_user(email="member@example.com")
    old_hash = user.password_hash
    log_in(client)
    response = client.post(
        "/account/password",
        data={"password-current_password": PASSWORD, "password-new_password": NEW_PASSWORD},
    )
    assert response.status_code == 400
    assert one(User, id=user.id).password_hash == old_hash


def test_password_change_with_the_token_works(client, make_user):
    user = make_user(email="member@example.com")
    old_hash = user.password_hash
    log_in(client)
    token = token_from(client, "/account", "password-csrf_token")
    response = client.post(
        "/account/password",
        data={
            "password-current_password": PASSWORD,
            "password-new_password": NEW_PASSWORD,
            "password-csrf_token": token,
        },
    )
    assert response.status_code == 302
    assert one(User, id=user.id).password_hash != old_hash
    assert is_logged_in(client)


@pytest.mark.parametrize(
    ("path", "data"),
    [
        ("/account/email", {"email-new_email": "new@example.com", "email-password": PASSWORD}),
        ("/account/sign-out-everywhere", {}),
        ("/account/delete", {"password": PASSWORD, "confirm": "y"}),
        ("/verify/resend", {}),
    ],
)
def test_other_account_forms_without_the_token_are_refused(client, make_user, mailbox, path, data):
    user = make_user(email="member@example.com", unverified=True)
    log_in(client)
    response = client.post(path, data=data)
    assert response.status_code == 400
    assert one(User, id=user.id).email == "member@example.com"
    assert one(User, id=user.id).deleted_at is None
    assert len(current(LoginSession)) == 1
    assert mailbox.messages() == []
