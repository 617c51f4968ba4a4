"""Server-side login sessions: a copied cookie stops working when the session ends.

Each test copies the browser's cookies into a second test client (as a thief
would) and checks that the copy works before, and not after, the event.
"""

from __future__ import annotations

from datetime import timedelta

from community.accounts.models import LoginSession, User
from community.db import db, utcnow
from tests.accounts.helpers import (
    NEW_PASSWORD,
    PASSWORD,
    REMEMBER_COOKIE,
    SESSION_COOKIE,
    copy_cookies,
    current,
    is_logged_in,
    login,
    logout,
    one,
)


def logged_in_pair(app, make_user, remember=False, email="member@example.com"):
    """A logged-in client and a second client holding copies of its cookies."""
    make_user(email=email)
    browser, thief = app.test_client(), app.test_client()
    assert login(browser, email, remember=remember).status_code == 302
    copy_cookies(browser, thief)
    assert is_logged_in(thief)
    return browser, thief


def test_copied_session_cookie_refused_after_logout(app, make_user):
    browser, thief = logged_in_pair(app, make_user)

    assert logout(browser).status_code == 302
    assert not is_logged_in(browser)
    assert not is_logged_in(thief)
    assert current(LoginSession) == []


def test_copied_cookies_refused_after_logout_with_remember_me(app, make_user):
    browser, thief = logged_in_pair(app, make_user, remember=True)
    assert thief.get_cookie(REMEMBER_COOKIE) is not None

    logout(browser)
    assert not is_logged_in(thief)
    # Not even the remember cookie alone brings the session back.
    thief.delete_cookie(SESSION_COOKIE)
    assert not is_logged_in(thief)


def test_logout_ends_only_this_browsers_session(app, make_user):
    browser, thief = logged_in_pair(app, make_user)
    other_device = app.test_client()
    login(other_device, "member@example.com")
    assert len(current(LoginSession)) == 2

    logout(browser)
    assert not is_logged_in(thief)
    assert is_logged_in(other_device)


def test_sign_out_everywhere_ends_every_session(app, make_user):
    browser, thief = logged_in_pair(app, make_user, remember=True)
    other_device = app.test_client()
    login(other_device, "member@example.com", remember=True)

    response = browser.post("/account/sign-out-everywhere")
    assert response.status_code == 302
    assert response.headers["Location"] == "/login"
    assert current(LoginSession) == []
    for client in (browser, thief, other_device):
        assert not is_logged_in(client)
    remembered = app.test_client()
    copy_cookies(thief, remembered, names=(REMEMBER_COOKIE,))
    assert not is_logged_in(remembered)


def test_sign_out_everywhere_needs_a_login(client):
    response = client.post("/account/sign-out-everywhere")
    assert response.status_code == 302
    assert response.headers["Location"].startswith("/login")


def test_password_change_keeps_this_session_and_ends_the_others(app, make_user, mailbox):
    browser, thief = logged_in_pair(app, make_user, remember=True)
    other_device = app.test_client()
    login(other_device, "member@example.com")

    response = browser.post(
        "/account/password",
        data={"password-current_password": PASSWORD, "password-new_password": NEW_PASSWORD},
    )
    assert response.status_code == 302
    assert response.headers["Location"] == "/account"
    # This browser stays logged in, on a new session: the copy of its old
    # cookies (and the other device) are logged out.
    assert is_logged_in(browser)
    assert not is_logged_in(thief)
    assert not is_logged_in(other_device)
    [kept] = current(LoginSession)
    assert kept.remember is True
    thief.delete_cookie(SESSION_COOKIE)
    assert not is_logged_in(thief)
    restarted = app.test_client()
    copy_cookies(browser, restarted, names=(REMEMBER_COOKIE,))
    assert is_logged_in(restarted)
    # The new password works, the old one no longer does.
    assert login(app.test_client(), "member@example.com", PASSWORD).status_code == 200
    assert login(app.test_client(), "member@example.com", NEW_PASSWORD).status_code == 302
    assert [m["Subject"] for m in mailbox.to("member@example.com")] == [
        "Your Kindred password was changed"
    ]


def test_password_change_needs_the_current_password(client, make_user, mailbox):
    user = make_user(email="member@example.com")
    old_hash = user.password_hash
    login(client, "member@example.com")
    response = client.post(
        "/account/password",
        data={
            "password-current_password": "not my password",
            "password-new_password": NEW_PASSWORD,
        },
    )
    assert response.status_code == 400
    assert b"Your current password is not right." in response.data
    assert b'id="password-current_password-error"' in response.data
    assert one(User, id=user.id).password_hash == old_hash
    assert mailbox.messages() == []
    assert is_logged_in(client)


def test_password_change_obeys_the_policy(client, make_user):
    user = make_user(email="member@example.com")
    old_hash = user.password_hash
    login(client, "member@example.com")
    response = client.post(
        "/account/password",
        data={"password-current_password": PASSWORD, "password-new_password": "password123"},
    )
    assert response.status_code == 400
    assert b"most common passwords" in response.data
    assert b'id="password-new_password-error"' in response.data
    assert one(User, id=user.id).password_hash == old_hash


def test_remember_cookie_alone_logs_in_until_logout(app, make_user):
    make_user(email="member@example.com")
    browser = app.test_client()
    login(browser, "member@example.com", remember=True)

    def remembered_only():
        client = app.test_client()
        copy_cookies(browser, client, names=(REMEMBER_COOKIE,))
        assert client.get_cookie(SESSION_COOKIE) is None
        return client

    # A browser restarted (session cookie gone) is still logged in.
    restarted = remembered_only()
    assert is_logged_in(restarted)
    assert is_logged_in(remembered_only())

    logout(restarted)
    assert current(LoginSession) == []
    assert not is_logged_in(remembered_only())
    assert not is_logged_in(browser)


def test_expired_login_session_is_refused(app, make_user):
    browser, thief = logged_in_pair(app, make_user)
    session = one(LoginSession)
    session.expires_at = utcnow() - timedelta(seconds=1)
    db.session.commit()
    assert not is_logged_in(browser)
    assert not is_logged_in(thief)


def test_a_forged_session_id_is_refused(app, make_user):
    """Knowing a row id is not enough: the secret in the cookie must match."""
    from community.accounts.sessions import load_user

    browser, _ = logged_in_pair(app, make_user)
    session = one(LoginSession)
    assert load_user(f"{session.id}.not-the-secret") is None
    assert load_user(f"{session.id}.") is None
    assert load_user("x.y") is None
    assert load_user("") is None
    assert is_logged_in(browser)


def test_only_a_hash_of_the_cookie_secret_is_stored(app, make_user):
    browser, _ = logged_in_pair(app, make_user)
    session = one(LoginSession)
    cookie = browser.get_cookie(SESSION_COOKIE).value
    assert session.secret_hash not in cookie
    assert len(session.secret_hash) == 64
