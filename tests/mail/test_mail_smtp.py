"""Delivery over real SMTP (aiosmtpd), and what each kind of failure does to a row."""

from __future__ import annotations

import pytest

from community.db import db
from community.mail.outbox import queue_email, send_outbox_email
from tests.support_smtp import add_outbox_row, free_port, outbox_rows, smtp_config


@pytest.fixture
def app_config(app_config, smtp_server):
    app_config.update(smtp_server.config())
    return app_config


def queue_test_email(user) -> int:
    return queue_email(
        "notification",
        to_address=user.email,
        user_id=user.id,
        unsubscribe_kind="welcome",
        name=user.display_name,
        message="Your beta reader left comments.",
        link="http://kindred.test/notifications/",
        kind_label="Welcome and getting started",
    ).id


def test_committed_email_is_delivered_over_smtp(app, make_user, smtp_server, mailbox):
    user = make_user(email="ursula@example.com", display_name="Ursula")
    queue_test_email(user)
    db.session.commit()

    [delivery] = smtp_server.deliveries
    assert delivery.recipients == ["ursula@example.com"]
    assert delivery.sender == "no-reply@kindred.invalid"
    message = delivery.message
    assert message["To"] == "ursula@example.com"
    assert message["Subject"] == "Your beta reader left comments."
    assert message["List-Unsubscribe"].startswith("<http://kindred.test/notifications/unsubscribe/")
    assert message["List-Unsubscribe-Post"] == "List-Unsubscribe=One-Click"
    text = message.get_body(preferencelist=("plain",)).get_content()
    html = message.get_body(preferencelist=("html",)).get_content()
    assert "Hello Ursula" in text and "Your beta reader left comments." in text
    assert "<p>Hello Ursula,</p>" in html
    [row] = outbox_rows()
    assert row.status == "sent" and row.attempts == 1 and row.last_error is None
    assert message["Message-ID"] == row.message_id
    assert mailbox.messages() == []  # SMTP configured: no files


def test_transient_failure_leaves_the_row_pending_with_the_reason(app, make_user, smtp_server):
    smtp_server.handler.data_reply = "451 4.3.0 Try later"
    user = make_user()
    email_id = add_outbox_row(user)

    assert send_outbox_email(email_id) == "deferred"
    [row] = outbox_rows()
    assert row.status == "pending"
    assert row.attempts == 1
    assert "451" in row.last_error and "Try later" in row.last_error
    assert smtp_server.deliveries == []

    assert send_outbox_email(email_id) == "deferred"
    assert outbox_rows()[0].attempts == 2

    smtp_server.handler.data_reply = None  # the server recovers
    assert send_outbox_email(email_id) == "sent"
    [row] = outbox_rows()
    assert row.status == "sent" and row.attempts == 3 and row.last_error is None
    assert len(smtp_server.deliveries) == 1


def test_after_max_attempts_a_transient_failure_becomes_failed(app, make_user, smtp_server):
    app.config["MAIL_MAX_ATTEMPTS"] = 3
    smtp_server.handler.data_reply = "451 4.3.0 Try later"
    user = make_user()
    email_id = add_outbox_row(user)

    assert [send_outbox_email(email_id) for _ in range(3)] == ["deferred", "deferred", "failed"]
    [row] = outbox_rows()
    assert row.status == "failed" and row.attempts == 3 and "451" in row.last_error
    assert send_outbox_email(email_id) == "skipped"  # given up for good
    assert smtp_server.handler.refused == 3


def test_permanent_failure_is_recorded_and_not_retried(app, make_user, smtp_server):
    smtp_server.handler.data_reply = "550 5.1.1 No such user"
    user = make_user()
    email_id = add_outbox_row(user)

    assert send_outbox_email(email_id) == "failed"  # returns, does not raise
    [row] = outbox_rows()
    assert row.status == "failed" and row.attempts == 1
    assert "550" in row.last_error and "No such user" in row.last_error
    smtp_server.handler.data_reply = None
    assert send_outbox_email(email_id) == "skipped"
    assert smtp_server.deliveries == []


def test_recipient_refused_permanently_is_failed(app, make_user, smtp_server):
    smtp_server.handler.rcpt_reply = "550 5.1.1 No such user here"
    user = make_user()
    email_id = add_outbox_row(user)

    assert send_outbox_email(email_id) == "failed"
    [row] = outbox_rows()
    assert row.status == "failed"
    assert "550" in row.last_error and user.email in row.last_error


def test_recipient_greylisted_is_transient(app, make_user, smtp_server):
    # Greylisting answers RCPT TO with a 4xx: the message must be tried again.
    smtp_server.handler.rcpt_reply = "451 4.7.1 Greylisted, try again later"
    user = make_user()
    email_id = add_outbox_row(user)

    assert send_outbox_email(email_id) == "deferred"
    [row] = outbox_rows()
    assert row.status == "pending" and row.attempts == 1 and "451" in row.last_error

    smtp_server.handler.rcpt_reply = None
    assert send_outbox_email(email_id) == "sent"
    assert [d.recipients for d in smtp_server.deliveries] == [[user.email]]


def test_connection_refused_is_transient(app, make_user, smtp_server):
    app.config.update(smtp_config("127.0.0.1", free_port()))  # nobody listens there
    user = make_user()
    email_id = add_outbox_row(user)

    assert send_outbox_email(email_id) == "deferred"
    [row] = outbox_rows()
    assert row.status == "pending" and row.attempts == 1
    assert "ConnectionRefusedError" in row.last_error


def test_commit_with_smtp_down_keeps_the_row_for_later(app, make_user, smtp_server):
    smtp_server.handler.data_reply = "421 4.3.2 Service shutting down"
    user = make_user()
    queue_test_email(user)
    db.session.commit()  # the in-process send fails; the commit stands

    [row] = outbox_rows()
    assert row.status == "pending" and row.attempts == 1 and "421" in row.last_error
