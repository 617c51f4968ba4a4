"""Deleting an account: what goes, what stays (anonymized), and that the address is freed."""

from __future__ import annotations

from datetime import timedelta

from community.accounts import service
from community.accounts.models import AccountToken, LoginSession, User
from community.db import db
from community.mail.models import OutboxEmail
from community.notifications.models import Notification, NotificationPreference
from community.notifications.service import notify
from community.profiles.models import Profile
from tests.accounts.helpers import (
    PASSWORD,
    copy_cookies,
    current,
    is_logged_in,
    link_to,
    login,
    one,
)


def delete(client, password=PASSWORD, confirm=True):
    data = {"password": password}
    if confirm:
        data["confirm"] = "y"
    return client.post("/account/delete", data=data)


def member_with_everything(app, make_user, email="leaving@example.com"):
    """A member with a profile, notifications, preferences, tokens and two sessions."""
    user = make_user(email=email, display_name="Leaving Author")
    notify(db.session.get(User, user.id), "welcome", {})
    db.session.add(NotificationPreference(user_id=user.id, kind="announcement", delivery="off"))
    service.issue_token(user, service.RESET, email=user.email, max_age=timedelta(hours=1))
    db.session.commit()
    browser, other_device = app.test_client(), app.test_client()
    login(browser, email, remember=True)
    login(other_device, email)
    return user, browser, other_device


def test_the_page_says_what_happens(client, make_user):
    make_user(email="member@example.com")
    login(client, "member@example.com")
    page = client.get("/account/delete")
    assert page.status_code == 200
    assert b"Former member" in page.data
    assert b"your email address is removed" in page.data


def test_wrong_password_is_refused_and_nothing_changes(app, make_user):
    user, browser, _ = member_with_everything(app, make_user)

    response = delete(browser, "not my password")
    assert response.status_code == 400
    assert b"Your current password is not right." in response.data
    kept = one(User, id=user.id)
    assert kept.deleted_at is None
    assert kept.email == "leaving@example.com"
    assert current(Profile, user_id=user.id)
    assert len(current(LoginSession, user_id=user.id)) == 2
    assert is_logged_in(browser)


def test_the_box_must_be_ticked(app, make_user):
    user, browser, _ = member_with_everything(app, make_user)
    response = delete(browser, confirm=False)
    assert response.status_code == 400
    assert b"Tick the box to confirm." in response.data
    assert one(User, id=user.id).deleted_at is None


def test_deletion_anonymizes_and_removes_personal_data(app, make_user, mailbox):
    user, browser, other_device = member_with_everything(app, make_user)
    thief = app.test_client()
    copy_cookies(browser, thief)
    bystander = make_user(email="bystander@example.com")
    notify(db.session.get(User, bystander.id), "welcome", {})
    db.session.commit()

    response = delete(browser)
    assert response.status_code == 302
    assert response.headers["Location"] == "/"

    former = one(User, id=user.id)
    assert former.display_name == "Former member"
    assert former.deleted_at is not None
    assert former.email != "leaving@example.com"
    assert "leaving" not in former.email
    assert former.email_verified_at is None
    assert former.is_admin is False
    assert former.password_hash == "!"
    for model in (Profile, Notification, NotificationPreference, LoginSession, AccountToken):
        assert current(model, user_id=user.id) == [], model
    # No trace of the address or the name is left in the email outbox.
    assert current(OutboxEmail, user_id=user.id) == []
    assert current(OutboxEmail, to_address="leaving@example.com") == []
    # Other members' data is untouched.
    assert current(Profile, user_id=bystander.id)
    assert current(Notification, user_id=bystander.id)
    # Logged out here and everywhere else.
    for client in (browser, other_device, thief):
        assert not is_logged_in(client)
    # The old password opens nothing, whichever address is tried.
    assert login(app.test_client(), "leaving@example.com").status_code == 200
    assert login(app.test_client(), former.email, "!").status_code == 200
    assert service.authenticate(former.email, PASSWORD) is None


def test_the_address_is_freed_for_a_new_signup(app, make_user, mailbox, signup):
    user, browser, _ = member_with_everything(app, make_user)
    delete(browser)

    fresh = app.test_client()
    response = signup(email="leaving@example.com", name="Came Back", c=fresh)
    assert response.status_code == 200
    newcomer = one(User, email="leaving@example.com")
    assert newcomer.id != user.id
    assert newcomer.display_name == "Came Back"
    assert newcomer.email_verified_at is None
    [verification] = [
        m
        for m in mailbox.to("leaving@example.com")
        if m["Subject"].startswith("Confirm your email")
    ]
    assert fresh.get(link_to(mailbox, verification, "/verify/")).status_code == 302
    assert one(User, id=newcomer.id).is_verified
    assert login(fresh, "leaving@example.com").status_code == 302
    assert one(User, id=user.id).display_name == "Former member"


def test_a_verification_link_sent_before_deletion_no_longer_works(app, client, signup, mailbox):
    signup(email="short.stay@example.com")
    path = link_to(mailbox, mailbox.messages()[0], "/verify/")
    login(client, "short.stay@example.com")
    assert delete(client).status_code == 302
    assert client.get(path).status_code == 400


def test_deletion_needs_a_login(client):
    response = client.get("/account/delete")
    assert response.status_code == 302
    assert response.headers["Location"].startswith("/login")
