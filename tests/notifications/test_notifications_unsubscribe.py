"""One-click unsubscribe (RFC 8058): signed links, no login, no CSRF token."""

from __future__ import annotations

import pytest

from community.db import db, utcnow
from community.mail.unsubscribe import ALL_KINDS, make_unsubscribe_token
from community.notifications import service
from community.notifications.kinds import KINDS, OFF


@pytest.fixture
def app_config(app_config):
    # CSRF on, as in production: the unsubscribe POST must work without a token.
    app_config["WTF_CSRF_ENABLED"] = True
    return app_config


def foundation_choices(user_id: int) -> dict[str, str]:
    """The member's choices for the two kinds these tests change (others exist too)."""
    choices = service.preferences(user_id)
    return {"welcome": choices["welcome"], "announcement": choices["announcement"]}


def unsubscribe_url_from_email(mailbox, user) -> str:
    [message] = mailbox.to(user.email)
    header = message["List-Unsubscribe"]
    assert header.startswith("<http://kindred.test/") and header.endswith(">")
    return header[1:-1].removeprefix("http://kindred.test")


def test_csrf_is_really_on_for_ordinary_forms(app, client):
    response = client.post("/login", data={"email": "a@example.com", "password": "x" * 12})
    assert response.status_code == 400


def test_link_from_an_email_asks_then_unsubscribes_that_kind(app, client, make_user, mailbox):
    user = make_user()
    service.notify(user, "welcome", {})
    db.session.commit()
    path = unsubscribe_url_from_email(mailbox, user)

    page = client.get(path)
    assert page.status_code == 200
    html = page.get_data(as_text=True)
    assert "Stop emails about: <strong>Welcome and getting started</strong>?" in html
    assert '<form method="post">' in html
    assert service.delivery_for(user.id, "welcome") != OFF  # GET changes nothing

    # What a mail client sends for List-Unsubscribe-Post: no cookie, no token.
    response = client.post(path, data={"List-Unsubscribe": "One-Click"})
    assert response.status_code == 200
    assert "You are unsubscribed" in response.get_data(as_text=True)
    assert foundation_choices(user.id) == {"welcome": OFF, "announcement": "daily"}

    # Posting twice is harmless, and no more emails of that kind come.
    assert client.post(path).status_code == 200
    service.notify(user, "welcome", {})
    db.session.commit()
    assert len(mailbox.to(user.email)) == 1


def test_all_kinds_token_turns_every_kind_off(app, client, make_user):
    user = make_user()
    other = make_user()
    token = make_unsubscribe_token(user.id, ALL_KINDS)

    page = client.get(f"/notifications/unsubscribe/{token}")
    assert page.status_code == 200
    assert "all notification emails" in page.get_data(as_text=True)
    response = client.post(f"/notifications/unsubscribe/{token}")
    assert response.status_code == 200
    assert service.preferences(user.id) == {name: OFF for name in KINDS}
    assert foundation_choices(other.id) == {"welcome": "immediate", "announcement": "daily"}


def test_tampered_token_is_a_404_page(app, client, make_user):
    user = make_user()
    token = make_unsubscribe_token(user.id, "welcome")
    tampered = token[:-2] + ("AA" if token[-2:] != "AA" else "BB")
    forged_payload = make_unsubscribe_token(user.id + 1, "welcome").split(".")[0]
    spliced = forged_payload + "." + token.split(".", 1)[1]

    for bad in (tampered, spliced, "not-a-token"):
        for method in ("get", "post"):
            response = getattr(client, method)(f"/notifications/unsubscribe/{bad}")
            assert response.status_code == 404, (bad, method)
            assert "This unsubscribe link is not valid" in response.get_data(as_text=True)
    assert foundation_choices(user.id) == {"welcome": "immediate", "announcement": "daily"}


def test_token_for_unknown_kind_or_gone_member_is_a_404(app, client, make_user):
    user = make_user()
    gone = make_user()
    gone.deleted_at = utcnow()
    db.session.commit()

    for token in (
        make_unsubscribe_token(user.id, "no-such-kind"),
        make_unsubscribe_token(gone.id, ALL_KINDS),
        make_unsubscribe_token(gone.id + 1000, ALL_KINDS),
    ):
        assert client.post(f"/notifications/unsubscribe/{token}").status_code == 404


def test_token_signed_with_another_secret_is_refused(app, client, make_user):
    user = make_user()
    original = app.config["SECRET_KEY"]
    app.config["SECRET_KEY"] = "another-secret-key-that-is-also-long-enough-42"
    try:
        token = make_unsubscribe_token(user.id, ALL_KINDS)
    finally:
        app.config["SECRET_KEY"] = original
    assert client.post(f"/notifications/unsubscribe/{token}").status_code == 404
    assert service.preferences(user.id)["welcome"] == "immediate"
