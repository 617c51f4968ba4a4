"""Changing the email address: current password, confirmation at the new address."""

from __future__ import annotations

import re
from datetime import timedelta

from community.accounts import service
from community.accounts.models import AccountToken, User
from community.db import db, utcnow
from tests.accounts.helpers import PASSWORD, current, link_to, login, one


def ask_change(client, new_email, password=PASSWORD):
    return client.post(
        "/account/email", data={"email-new_email": new_email, "email-password": password}
    )


def normalized(page: bytes, address: bytes) -> bytes:
    page = re.sub(rb'name="([\w-]*csrf_token)"( type="hidden")? value="[^"]+"', rb'name="\1"', page)
    return page.replace(address, b"ADDRESS")


def confirmation_link(mailbox, address):
    [message] = [
        m for m in mailbox.to(address) if m["Subject"].startswith("Confirm your new email")
    ]
    return link_to(mailbox, message, "/account/email/confirm/")


def test_change_needs_the_current_password(client, make_user, mailbox):
    make_user(email="old@example.com")
    login(client, "old@example.com")

    response = ask_change(client, "new@example.com", "not my password")
    assert response.status_code == 400
    assert b"Your current password is not right." in response.data
    assert b'id="email-password-error"' in response.data
    assert b'value="new@example.com"' in response.data
    assert current(AccountToken, purpose=service.CHANGE_EMAIL) == []
    assert mailbox.messages() == []


def test_change_sends_a_link_to_the_new_address_and_switches_when_followed(
    app, client, make_user, mailbox
):
    user = make_user(email="old@example.com")
    login(client, "old@example.com")

    response = ask_change(client, "New@Example.com")
    assert response.status_code == 302
    assert response.headers["Location"] == "/account"
    assert b"We sent a link to New@Example.com." in client.get("/account").data
    # Nothing changes until the link is followed.
    assert one(User, id=user.id).email == "old@example.com"
    assert mailbox.to("old@example.com") == []

    confirmed = client.get(confirmation_link(mailbox, "new@example.com"))
    assert confirmed.status_code == 302
    assert confirmed.headers["Location"] == "/account"
    changed = one(User, id=user.id)
    assert changed.email == "new@example.com"
    assert changed.email_verified_at is not None
    # The old address is told, and names the new one.
    [notice] = mailbox.to("old@example.com")
    assert notice["Subject"] == "Your Kindred email address was changed"
    assert "new@example.com" in mailbox.text(notice)
    # Logging in now takes the new address.
    assert login(app.test_client(), "old@example.com").status_code == 200
    assert login(app.test_client(), "new@example.com").status_code == 302


def test_confirming_marks_an_unverified_member_verified(app, make_user, mailbox):
    user = make_user(email="old@example.com", unverified=True)
    client = app.test_client()
    login(client, "old@example.com")
    ask_change(client, "new@example.com")
    # The link works without being logged in, too (another device).
    response = app.test_client().get(confirmation_link(mailbox, "new@example.com"))
    assert response.status_code == 302
    assert response.headers["Location"] == "/login"
    assert one(User, id=user.id).email_verified_at is not None


def test_confirmation_link_works_once_and_expires(client, make_user, mailbox):
    make_user(email="old@example.com")
    login(client, "old@example.com")
    ask_change(client, "new@example.com")
    path = confirmation_link(mailbox, "new@example.com")
    token = one(AccountToken, purpose=service.CHANGE_EMAIL)
    token.expires_at = utcnow() - timedelta(seconds=1)
    db.session.commit()
    assert client.get(path).status_code == 400
    assert one(User).email == "old@example.com"

    mailbox_before = len(mailbox.messages())
    ask_change(client, "other@example.com")
    assert len(mailbox.messages()) == mailbox_before + 1
    path = confirmation_link(mailbox, "other@example.com")
    assert client.get(path).status_code == 302
    assert client.get(path).status_code == 400
    assert one(User).email == "other@example.com"


def test_taken_address_gets_the_same_answer_and_nothing_changes(app, make_user, mailbox):
    make_user(email="me@example.com")
    make_user(email="owner@example.com", display_name="Owner Person")
    to_free, to_taken = app.test_client(), app.test_client()
    login(to_free, "me@example.com")
    login(to_taken, "me@example.com")

    free = ask_change(to_free, "free@example.com")
    taken = ask_change(to_taken, "owner@example.com")

    assert free.status_code == taken.status_code == 302
    assert free.data == taken.data
    assert free.headers["Location"] == taken.headers["Location"]
    # The next page differs only in the address typed (and the session's
    # CSRF token).
    free_page = normalized(to_free.get("/account").data, b"free@example.com")
    taken_page = normalized(to_taken.get("/account").data, b"owner@example.com")
    assert b"We sent a link to ADDRESS." in free_page
    assert free_page == taken_page

    # Nothing changed for either account; the owner of the address is told.
    assert one(User, email="me@example.com")
    assert one(User, email="owner@example.com").display_name == "Owner Person"
    tokens = current(AccountToken, purpose=service.CHANGE_EMAIL)
    assert [t.email for t in tokens] == ["free@example.com"]
    [told] = mailbox.to("owner@example.com")
    assert told["Subject"] == "About your Kindred account"
    assert "Owner Person" in mailbox.text(told)
    assert not [p for p in mailbox.text(told).split() if "/account/email/confirm/" in p]


def test_address_taken_between_request_and_confirmation_is_refused(
    app, client, make_user, mailbox, signup
):
    make_user(email="me@example.com")
    login(client, "me@example.com")
    ask_change(client, "contested@example.com")
    path = confirmation_link(mailbox, "contested@example.com")
    signup(email="contested@example.com", c=app.test_client())

    response = client.get(path)
    assert response.status_code == 400
    assert one(User, email="me@example.com")
    assert len(current(User, email="contested@example.com")) == 1


def test_own_address_is_refused_with_a_field_error(client, make_user, mailbox):
    make_user(email="me@example.com")
    login(client, "me@example.com")
    response = ask_change(client, "ME@example.com")
    assert response.status_code == 400
    assert b"That is already your email address." in response.data
    assert b'id="email-new_email-error"' in response.data
    assert mailbox.messages() == []


def test_change_needs_a_login(client):
    response = ask_change(client, "new@example.com")
    assert response.status_code == 302
    assert response.headers["Location"].startswith("/login")
