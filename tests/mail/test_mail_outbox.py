"""The transactional outbox with the file transport: rollback, commit, headers, links."""

from __future__ import annotations

import re

from sqlalchemy import func, select

from community.db import db
from community.mail.models import OutboxEmail
from community.mail.outbox import queue_email, send_outbox_email
from community.mail.unsubscribe import read_unsubscribe_token
from tests.support_smtp import add_outbox_row, outbox_rows

BASE = "http://kindred.test"
URL = re.compile(r"https?://[^\s\"'<>]+")


def queue_test_email(user) -> int:
    email = queue_email(
        "notification",
        to_address=user.email,
        user_id=user.id,
        unsubscribe_kind="welcome",
        name=user.display_name,
        message="Ada thanked you for your critique.",
        link=f"{BASE}/notifications/",
        kind_label="Welcome and getting started",
    )
    return email.id


def html_of(message) -> str:
    return message.get_body(preferencelist=("html",)).get_content()


def test_rolled_back_email_leaves_no_row_and_sends_nothing(app, make_user, mailbox):
    user = make_user()
    queue_test_email(user)
    db.session.rollback()

    assert db.session.scalar(select(func.count(OutboxEmail.id))) == 0
    assert mailbox.messages() == []
    # The dropped send job must not come back with the next, unrelated commit.
    user = db.session.get(type(user), user.id)
    user.display_name = "Renamed"
    db.session.commit()
    assert mailbox.messages() == []


def test_committed_email_is_written_once_with_both_parts_and_headers(app, make_user, mailbox):
    user = make_user(email="ada@example.com", display_name="Ada Lovelace")
    email_id = queue_test_email(user)
    assert mailbox.messages() == []  # nothing leaves before the commit
    db.session.commit()

    messages = mailbox.messages()
    assert len(messages) == 1
    message = messages[0]
    assert message["To"] == "ada@example.com"
    assert message["From"] == app.config["MAIL_FROM"]
    assert message["Subject"] == "Ada thanked you for your critique."
    assert message.is_multipart()
    assert message.get_content_type() == "multipart/alternative"
    text, html = mailbox.text(message), html_of(message)
    assert "Hello Ada Lovelace" in text and "Ada thanked you" in text
    assert "<p>Hello Ada Lovelace,</p>" in html

    [row] = outbox_rows()
    assert row.id == email_id and row.status == "sent" and row.attempts == 1
    assert row.sent_at is not None and row.last_error is None
    assert message["Message-ID"] == row.message_id
    assert re.fullmatch(r"<[0-9a-f]{32}@kindred\.test>", message["Message-ID"])
    assert message["Date"]

    unsubscribe = message["List-Unsubscribe"]
    assert unsubscribe.startswith(f"<{BASE}/notifications/unsubscribe/") and unsubscribe[-1] == ">"
    assert message["List-Unsubscribe-Post"] == "List-Unsubscribe=One-Click"
    token = unsubscribe[1:-1].rsplit("/", 1)[1]
    assert read_unsubscribe_token(token) == (user.id, "welcome")
    # The same one-click link is in both bodies.
    assert unsubscribe[1:-1] in text and unsubscribe[1:-1] in html
    for url in URL.findall(text) + URL.findall(html):
        assert url.startswith(BASE + "/"), url


def test_email_links_come_from_base_url_never_from_the_host_header(app, client, mailbox):
    response = client.post(
        "/signup",
        data={
            "display_name": "Mary Shelley",
            "email": "mary@example.com",
            "password": "a frankly monstrous passphrase",
        },
        headers={"Host": "evil.example"},
    )
    assert response.status_code == 200

    [message] = mailbox.to("mary@example.com")
    text, html = mailbox.text(message), html_of(message)
    raw = message.as_string()
    assert "evil.example" not in raw
    links = URL.findall(text) + URL.findall(html) + URL.findall(message["List-Unsubscribe"])
    assert any("/verify/" in link for link in links)
    for link in links:
        assert link.startswith(BASE + "/"), link


def test_send_job_sends_once_when_run_twice(app, make_user, mailbox):
    user = make_user()
    email_id = add_outbox_row(user)  # committed, no job ran yet

    assert send_outbox_email(email_id) == "sent"
    assert send_outbox_email(email_id) == "skipped"
    assert len(mailbox.messages()) == 1
    [row] = outbox_rows()
    assert row.status == "sent" and row.attempts == 1


def test_send_after_commit_then_again_is_skipped(app, make_user, mailbox):
    user = make_user()
    email_id = queue_test_email(user)
    db.session.commit()  # sent in this process after the commit
    assert send_outbox_email(email_id) == "skipped"
    assert send_outbox_email(email_id) == "skipped"
    assert len(mailbox.messages()) == 1


def test_send_of_unknown_or_failed_row_is_skipped(app, make_user, mailbox):
    user = make_user()
    failed_id = add_outbox_row(user, status="failed", last_error="550 no")
    assert send_outbox_email(failed_id) == "skipped"
    assert send_outbox_email(failed_id + 1000) == "skipped"
    assert mailbox.messages() == []


def test_email_without_member_has_no_unsubscribe_header(app, mailbox):
    queue_email(
        "notification",
        to_address="someone@example.com",
        user_id=None,
        name="Someone",
        message="Hello",
        link=f"{BASE}/",
        kind_label="x",
    )
    db.session.commit()
    [message] = mailbox.messages()
    assert message["List-Unsubscribe"] is None
    assert message["List-Unsubscribe-Post"] is None
    assert "Unsubscribe" not in mailbox.text(message)
