"""notify(): the in-app notification, and email by the member's choice; the daily digest."""

from __future__ import annotations

from datetime import timedelta

import pytest
from sqlalchemy import select, update

from community.db import db, utcnow
from community.mail.models import OutboxEmail
from community.mail.unsubscribe import ALL_KINDS, read_unsubscribe_token
from community.notifications import service
from community.notifications.digest import send_daily_digests
from community.notifications.kinds import DAILY, IMMEDIATE, OFF
from community.notifications.models import Notification


def notifications_of(user) -> list[Notification]:
    db.session.expire_all()
    return list(
        db.session.scalars(
            select(Notification).where(Notification.user_id == user.id).order_by(Notification.id)
        )
    )


def unsubscribe_token(message) -> str:
    return message["List-Unsubscribe"][1:-1].rsplit("/", 1)[1]


def choose(user, kind: str, delivery: str) -> None:
    service.set_preference(user.id, kind, delivery)
    db.session.commit()


def test_notify_immediate_writes_a_notification_and_one_email(app, make_user, mailbox):
    user = make_user(display_name="Zadie Smith")
    assert service.delivery_for(user.id, "welcome") == IMMEDIATE  # the kind's default

    notification = service.notify(user, "welcome", {})
    assert mailbox.messages() == []  # only after the commit
    db.session.commit()

    [stored] = notifications_of(user)
    assert stored.id == notification.id
    assert stored.kind == "welcome" and stored.delivery == IMMEDIATE and stored.read_at is None
    [message] = mailbox.to(user.email)
    text = mailbox.text(message)
    assert "Hello Zadie Smith" in text and "Welcome to Kindred!" in text
    assert "http://kindred.test/profile/edit" in text  # where the notification leads
    assert read_unsubscribe_token(unsubscribe_token(message)) == (user.id, "welcome")
    assert message["List-Unsubscribe"][1:-1] in text
    assert len(mailbox.messages()) == 1


def test_notify_rolled_back_leaves_nothing(app, make_user, mailbox):
    user = make_user()
    service.notify(user, "welcome", {})
    db.session.rollback()
    assert notifications_of(user) == []
    assert mailbox.messages() == []


def test_notify_off_keeps_it_on_the_site_only(app, make_user, mailbox):
    user = make_user()
    choose(user, "welcome", OFF)
    service.notify(user, "welcome", {})
    db.session.commit()
    [stored] = notifications_of(user)
    assert stored.delivery == OFF
    assert mailbox.messages() == []
    assert send_daily_digests() == 0
    assert mailbox.messages() == []


def test_notify_unknown_kind_is_refused(app, make_user):
    user = make_user()
    with pytest.raises(ValueError):
        service.notify(user, "no-such-kind", {})


def test_daily_notifications_go_out_in_one_digest_once(app, make_user, mailbox):
    user = make_user(display_name="Toni")
    other = make_user()  # with nothing pending: no digest
    choose(user, "welcome", DAILY)
    service.notify(user, "welcome", {})
    service.notify(user, "announcement", {"title": "The spring write-in starts Monday"})
    service.notify(other, "welcome", {})  # immediate: an email now, not in any digest
    db.session.commit()
    assert mailbox.to(user.email) == []
    assert len(mailbox.to(other.email)) == 1
    assert {n.delivery for n in notifications_of(user)} == {DAILY}

    assert send_daily_digests() == 1
    [digest] = mailbox.to(user.email)
    assert digest["Subject"] == "Your Kindred digest: 2 new notifications"
    text = mailbox.text(digest)
    assert "Hello Toni" in text
    assert "- Welcome to Kindred!" in text
    assert "- The spring write-in starts Monday" in text
    assert "http://kindred.test/notifications/" in text
    assert read_unsubscribe_token(unsubscribe_token(digest)) == (user.id, ALL_KINDS)
    html = digest.get_body(preferencelist=("html",)).get_content()
    assert html.count("<li>") == 2
    assert all(n.digested_at is not None for n in notifications_of(user))

    # Idempotent: running again sends nothing.
    assert send_daily_digests() == 0
    assert len(mailbox.to(user.email)) == 1

    # A new daily notification waits: at most one digest in 23 hours.
    service.notify(user, "announcement", {"title": "Critique circle tonight"})
    db.session.commit()
    assert send_daily_digests() == 0
    assert len(mailbox.to(user.email)) == 1

    # A day later it goes out, alone.
    db.session.execute(
        update(OutboxEmail)
        .where(OutboxEmail.user_id == user.id)
        .values(created_at=utcnow() - timedelta(hours=24))
    )
    db.session.commit()
    assert send_daily_digests() == 1
    digests = mailbox.to(user.email)
    assert len(digests) == 2
    second = next(m for m in digests if m["Subject"].endswith("1 new notification"))
    second_text = mailbox.text(second)
    assert "Critique circle tonight" in second_text
    assert "spring write-in" not in second_text
    assert send_daily_digests() == 0
    assert len(mailbox.to(other.email)) == 1


def test_digest_is_an_outbox_row_sent_after_commit(app, make_user, mailbox):
    # The digest marks notifications in the same transaction as its email.
    user = make_user()
    service.notify(user, "announcement", {"title": "Hello"})
    db.session.commit()
    assert send_daily_digests() == 1
    [row] = db.session.scalars(select(OutboxEmail)).all()
    assert row.template == "digest" and row.user_id == user.id and row.status == "sent"


def test_turning_a_kind_off_drops_it_from_the_pending_digest(app, make_user, mailbox):
    user = make_user()
    service.notify(user, "announcement", {"title": "A daily one"})
    db.session.commit()
    service.unsubscribe(user.id, "announcement")
    db.session.commit()

    assert send_daily_digests() == 0
    assert mailbox.messages() == []
    assert len(notifications_of(user)) == 1  # still on the site


def test_deleted_member_gets_no_email(app, make_user, mailbox):
    user = make_user()
    user.deleted_at = utcnow()
    db.session.commit()
    service.notify(user, "welcome", {})
    db.session.commit()
    [stored] = notifications_of(user)
    assert stored.delivery == OFF
    assert mailbox.messages() == []


def test_email_escapes_html_and_keeps_headers_on_one_line(app, make_user, mailbox):
    user = make_user()
    choose(user, "announcement", IMMEDIATE)
    service.notify(user, "announcement", {"title": "<b>Bold</b> & co\r\nBcc: victim@example.com"})
    db.session.commit()

    [message] = mailbox.to(user.email)
    assert message["Bcc"] is None
    assert "\n" not in message["Subject"] and message["Subject"].startswith("<b>Bold</b> & co")
    html = message.get_body(preferencelist=("html",)).get_content()
    assert "&lt;b&gt;Bold&lt;/b&gt; &amp; co" in html and "<b>Bold</b>" not in html
    assert "<b>Bold</b> & co" in mailbox.text(message)  # plain text stays plain
