"""Password reset by email: same answer for any address, strong single-use expiring tokens."""

from __future__ import annotations

import math
import re
import string
from datetime import timedelta

from community.accounts import service
from community.accounts.models import AccountToken, LoginSession, User
from community.db import db, utcnow
from tests.accounts.helpers import (
    NEW_PASSWORD,
    PASSWORD,
    copy_cookies,
    current,
    is_logged_in,
    link_to,
    login,
    one,
)

URL_SAFE = set(string.ascii_letters + string.digits + "-_")


def ask_reset(client, email):
    return client.post("/password/forgot", data={"email": email})


def reset_link(mailbox, address, index=-1):
    messages = [m for m in mailbox.to(address) if m["Subject"].startswith("Choose a new password")]
    return link_to(mailbox, messages[index], "/password/reset/")


def test_known_and_unknown_addresses_get_the_same_answer(app, make_user, mailbox):
    make_user(email="known@example.com")
    known, unknown = app.test_client(), app.test_client()

    for_known = ask_reset(known, "known@example.com")
    for_unknown = ask_reset(unknown, "unknown@example.com")

    assert for_known.status_code == for_unknown.status_code == 200
    assert for_known.data == for_unknown.data
    assert for_known.headers.get("Set-Cookie") == for_unknown.headers.get("Set-Cookie")
    assert [m["To"] for m in mailbox.messages()] == ["known@example.com"]
    assert len(current(AccountToken, purpose=service.RESET)) == 1


def test_a_deleted_members_old_address_gets_no_email(app, client, make_user, mailbox):
    user = make_user(email="gone@example.com")
    service.delete_account(db.session.get(User, user.id), PASSWORD)
    db.session.commit()
    assert ask_reset(client, "gone@example.com").status_code == 200
    assert mailbox.messages() == []


def test_reset_token_has_at_least_128_bits(client, make_user, mailbox):
    make_user(email="member@example.com")
    ask_reset(client, "member@example.com")
    ask_reset(client, "member@example.com")
    first = reset_link(mailbox, "member@example.com", 0).rsplit("/", 1)[1]
    second = reset_link(mailbox, "member@example.com", 1).rsplit("/", 1)[1]

    for token in (first, second):
        assert set(token) <= URL_SAFE
        assert len(token) * math.log2(len(URL_SAFE)) >= 128
    assert first != second
    # Only a hash is stored: the database alone does not give a working link.
    stored = one(AccountToken, purpose=service.RESET)
    assert second not in stored.token_hash
    assert re.fullmatch(r"[0-9a-f]{64}", stored.token_hash)


def test_reset_sets_the_new_password_and_works_once(client, make_user, mailbox):
    make_user(email="member@example.com")
    ask_reset(client, "member@example.com")
    path = reset_link(mailbox, "member@example.com")

    page = client.get(path)
    assert page.status_code == 200
    assert b"Choose a new password" in page.data
    response = client.post(path, data={"password": NEW_PASSWORD})
    assert response.status_code == 302
    assert response.headers["Location"] == "/login"
    assert current(AccountToken) == []

    assert client.get(path).status_code == 400
    again = client.post(path, data={"password": "yet another long phrase"})
    assert again.status_code == 400
    assert login(client, "member@example.com", PASSWORD).status_code == 200
    assert login(client, "member@example.com", NEW_PASSWORD).status_code == 302
    subjects = [m["Subject"] for m in mailbox.to("member@example.com")]
    assert subjects[-1] == "Your Kindred password was changed"


def test_reset_token_expires_after_60_minutes(client, make_user, mailbox):
    make_user(email="member@example.com")
    ask_reset(client, "member@example.com")
    path = reset_link(mailbox, "member@example.com")
    token = one(AccountToken, purpose=service.RESET)
    assert token.expires_at - token.created_at == timedelta(minutes=60)

    token.expires_at = utcnow() - timedelta(seconds=1)
    db.session.commit()
    assert client.get(path).status_code == 400
    assert client.post(path, data={"password": NEW_PASSWORD}).status_code == 400
    assert login(client, "member@example.com", NEW_PASSWORD).status_code == 200


def test_a_new_reset_link_kills_the_older_one(client, make_user, mailbox):
    make_user(email="member@example.com")
    ask_reset(client, "member@example.com")
    older = reset_link(mailbox, "member@example.com")
    ask_reset(client, "member@example.com")
    newer = reset_link(mailbox, "member@example.com")
    assert older != newer

    assert client.post(older, data={"password": NEW_PASSWORD}).status_code == 400
    assert client.post(newer, data={"password": NEW_PASSWORD}).status_code == 302


def test_reset_ends_every_login_session(app, make_user, mailbox):
    make_user(email="member@example.com")
    browser, thief, remembered = app.test_client(), app.test_client(), app.test_client()
    login(browser, "member@example.com", remember=True)
    copy_cookies(browser, thief)
    login(remembered, "member@example.com", remember=True)
    assert len(current(LoginSession)) == 2

    stranger = app.test_client()
    ask_reset(stranger, "member@example.com")
    assert (
        stranger.post(
            reset_link(mailbox, "member@example.com"), data={"password": NEW_PASSWORD}
        ).status_code
        == 302
    )

    assert current(LoginSession) == []
    for client in (browser, thief, remembered):
        assert not is_logged_in(client)


def test_reset_refuses_a_weak_password_and_keeps_the_link(client, make_user, mailbox):
    make_user(email="member@example.com")
    ask_reset(client, "member@example.com")
    path = reset_link(mailbox, "member@example.com")

    response = client.post(path, data={"password": "password123"})
    assert response.status_code == 200
    assert b"most common passwords" in response.data
    assert b'id="password-error"' in response.data
    assert len(current(AccountToken, purpose=service.RESET)) == 1
    assert client.post(path, data={"password": NEW_PASSWORD}).status_code == 302


def test_reset_confirms_an_unverified_address(client, make_user, mailbox):
    user = make_user(email="member@example.com", unverified=True)
    ask_reset(client, "member@example.com")
    client.post(reset_link(mailbox, "member@example.com"), data={"password": NEW_PASSWORD})
    assert one(User, id=user.id).email_verified_at is not None


def test_reset_link_sent_before_an_email_change_dies_with_the_change(
    app, client, make_user, mailbox
):
    """Whoever could read the old mailbox must not keep a way into the account."""
    make_user(email="old@example.com")
    ask_reset(client, "old@example.com")
    stale_reset = reset_link(mailbox, "old@example.com")

    login(client, "old@example.com")
    client.post(
        "/account/email", data={"email-new_email": "new@example.com", "email-password": PASSWORD}
    )
    [confirmation] = mailbox.to("new@example.com")
    assert client.get(link_to(mailbox, confirmation, "/account/email/confirm/")).status_code == 302
    assert one(User).email == "new@example.com"

    assert client.get(stale_reset).status_code == 400
    assert client.post(stale_reset, data={"password": NEW_PASSWORD}).status_code == 400
    assert login(app.test_client(), "new@example.com", NEW_PASSWORD).status_code == 200
    assert login(app.test_client(), "new@example.com", PASSWORD).status_code == 302
