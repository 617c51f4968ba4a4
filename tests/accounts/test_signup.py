"""Sign-up, the password policy, email verification and what unverified members may do."""

from __future__ import annotations

from datetime import timedelta

import pytest
from sqlalchemy import func, select

from community.accounts import service
from community.accounts.models import AccountToken, LoginSession, User
from community.db import db, utcnow
from community.profiles.models import Profile
from tests.accounts.helpers import PASSWORD, current, is_logged_in, link_to, login, one

CHECK_EMAIL = b"If the address can be used, an email is on its way to it."
NOTICE = b"Please confirm your email address"


def verification_emails(mailbox, address):
    return [m for m in mailbox.to(address) if m["Subject"].startswith("Confirm your email")]


def test_signup_creates_an_unverified_member_with_a_profile_and_one_email(client, signup, mailbox):
    response = signup(email="New.Author@Example.COM", name="  Ada   Writer ")

    assert response.status_code == 200
    assert CHECK_EMAIL in response.data
    user = one(User)
    assert user.email == "new.author@example.com"  # stored trimmed and lower-cased
    assert user.display_name == "Ada Writer"
    assert user.email_verified_at is None
    assert not user.is_admin
    assert user.password_hash.startswith("$argon2id$")
    assert PASSWORD not in user.password_hash
    assert one(Profile).user_id == user.id
    messages = mailbox.messages()
    assert len(messages) == 1
    assert len(verification_emails(mailbox, "new.author@example.com")) == 1
    link_to(mailbox, messages[0], "/verify/")
    # Not logged in by the sign-up itself (see the enumeration test below):
    # the member logs in with the password, verified or not.
    assert current(LoginSession) == []
    assert not is_logged_in(client)
    assert login(client, "new.author@example.com").status_code == 302
    assert is_logged_in(client)


def test_verification_link_works_once(client, signup, mailbox):
    signup()
    path = link_to(mailbox, mailbox.messages()[0], "/verify/")

    first = client.get(path)
    assert first.status_code == 302
    assert first.headers["Location"].startswith("/login")
    assert one(User).email_verified_at is not None

    second = client.get(path)
    assert second.status_code == 400
    assert b"This link does not work any more" in second.data
    assert b"Traceback" not in second.data


def test_verification_while_logged_in_leads_to_the_walk_through(client, signup, mailbox):
    signup()
    login(client, "new.author@example.com")
    path = link_to(mailbox, mailbox.messages()[0], "/verify/")
    response = client.get(path)
    assert response.status_code == 302
    assert response.headers["Location"] == "/start"
    assert one(User).is_verified


def test_expired_verification_link_is_refused(client, signup, mailbox):
    signup()
    path = link_to(mailbox, mailbox.messages()[0], "/verify/")
    token = one(AccountToken, purpose=service.VERIFY)
    token.expires_at = utcnow() - timedelta(seconds=1)
    db.session.commit()

    response = client.get(path)
    assert response.status_code == 400
    assert one(User).email_verified_at is None


def test_verification_link_expires_after_48_hours_by_default(app, signup):
    before = utcnow()
    signup()
    token = one(AccountToken, purpose=service.VERIFY)
    assert before <= token.created_at <= utcnow()
    assert token.expires_at - token.created_at == timedelta(hours=48)


def test_a_new_verification_link_kills_the_older_one(client, signup, mailbox):
    signup()
    login(client, "new.author@example.com")
    old_path = link_to(mailbox, mailbox.messages()[0], "/verify/")

    response = client.post("/verify/resend", headers={"Referer": "/account"})
    assert response.status_code == 302
    messages = verification_emails(mailbox, "new.author@example.com")
    assert len(messages) == 2
    new_path = link_to(mailbox, messages[1], "/verify/")
    assert new_path != old_path

    assert client.get(old_path).status_code == 400
    assert one(User).email_verified_at is None
    assert client.get(new_path).status_code == 302
    assert one(User).email_verified_at is not None


def test_a_made_up_verification_link_is_refused(client):
    response = client.get("/verify/" + "A" * 43)
    assert response.status_code == 400


def test_signup_with_a_taken_email_answers_the_same_and_creates_nothing(
    app, signup, make_user, mailbox
):
    owner = make_user(email="taken@example.com", display_name="Original Owner")
    old_hash = owner.password_hash
    fresh_client, taken_client = app.test_client(), app.test_client()

    fresh = signup(email="free@example.com", name="Someone", c=fresh_client)
    taken = signup(email="Taken@Example.com", name="Someone", c=taken_client)

    assert taken.status_code == fresh.status_code == 200
    assert taken.data == fresh.data
    assert taken.headers.get("Set-Cookie") == fresh.headers.get("Set-Cookie")
    # Only the new member was created; the owner's account is untouched.
    assert db.session.scalar(select(func.count(User.id))) == 2
    assert one(User, email="taken@example.com").display_name == "Original Owner"
    assert one(User, email="taken@example.com").password_hash == old_hash
    assert current(AccountToken, user_id=owner.id) == []
    # The owner of the address is told, and gets no verification link.
    to_owner = mailbox.to("taken@example.com")
    assert [m["Subject"] for m in to_owner] == ["Someone tried to join Kindred with your address"]
    assert link_to(mailbox, to_owner[0], "/login")
    assert link_to(mailbox, to_owner[0], "/password/forgot")
    # And the follow-up pages look alike too: neither browser is logged in.
    assert fresh_client.get("/").data == taken_client.get("/").data


def test_signup_with_a_taken_email_costs_a_password_hash_too(app, make_user, monkeypatch):
    make_user(email="taken@example.com")
    calls = []
    real = service.hash_password
    monkeypatch.setattr(service, "hash_password", lambda p: calls.append(p) or real(p))

    assert service.sign_up("taken@example.com", "Someone", "a long enough passphrase") is None
    assert calls == ["a long enough passphrase"]
    db.session.rollback()


@pytest.mark.parametrize(
    ("password", "error"),
    [
        ("short1234", b"Use between 10 and 256 characters."),
        ("x" * 257, b"Use between 10 and 256 characters."),
        ("password123", b"most common passwords"),
        ("qwertyuiop", b"most common passwords"),
        ("", b"Choose a password."),
    ],
)
def test_password_policy_refuses_with_a_field_error_and_keeps_the_form(
    client, signup, mailbox, password, error
):
    response = signup(email="keep.me@example.com", name="Kept Name", password=password)

    assert response.status_code == 200
    assert error in response.data
    assert b'id="password-error"' in response.data
    assert b'aria-describedby="password-help password-error"' in response.data
    assert b'value="keep.me@example.com"' in response.data
    assert b'value="Kept Name"' in response.data
    assert password.encode() not in response.data or password == ""
    assert current(User) == []
    assert mailbox.messages() == []


@pytest.mark.parametrize(
    "password",
    [
        "x" * 10,  # exactly the minimum
        "ü" * 256,  # exactly the maximum, counted in characters
        "パスワードは長いほうがいい",
        "emoji 🐉🐉 and spaces   ",
        "Ωμέγα-κλειδί-9",
    ],
)
def test_any_characters_are_allowed(client, signup, password):
    response = signup(email="unicode@example.com", password=password)
    assert response.status_code == 200
    assert CHECK_EMAIL in response.data
    assert login(client, "unicode@example.com", password).status_code == 302
    assert is_logged_in(client)


def test_policy_is_checked_by_the_service_too(app):
    from community.accounts.passwords import PasswordPolicyError

    for bad in ("short", "y" * 257, "Password123"):
        with pytest.raises(PasswordPolicyError):
            service.sign_up("svc@example.com", "Service", bad)
    db.session.rollback()
    assert current(User) == []


def test_logged_in_member_is_sent_home_from_signup(client, make_user):
    make_user(email="member@example.com")
    login(client, "member@example.com")
    assert client.get("/signup").status_code == 302


# --- unverified members ----------------------------------------------------


def test_unverified_member_may_browse_and_edit_their_profile(client, make_user):
    make_user(email="unverified@example.com", unverified=True)
    assert login(client, "unverified@example.com").status_code == 302

    account = client.get("/account")
    assert account.status_code == 200
    assert NOTICE in account.data
    assert b"(not yet confirmed)" in account.data
    assert client.get("/profile/edit").status_code == 200
    assert client.get("/members").status_code == 200


def test_verified_member_sees_no_confirmation_notice(client, make_user):
    make_user(email="verified@example.com")
    login(client, "verified@example.com")
    account = client.get("/account")
    assert account.status_code == 200
    assert NOTICE not in account.data


def test_resend_for_a_verified_member_sends_nothing(client, make_user, mailbox):
    make_user(email="verified@example.com")
    login(client, "verified@example.com")
    assert client.post("/verify/resend").status_code == 302
    assert mailbox.messages() == []
