"""The periodic sweep hands out again what was left unsent, and nothing else."""

from __future__ import annotations

import logging
from datetime import timedelta

import pytest
from sqlalchemy import update

from community.db import db, utcnow
from community.mail.models import OutboxEmail
from community.mail.outbox import sweep_unsent
from tests.support_smtp import add_outbox_row, free_port, outbox_rows


def test_sweep_sends_old_pending_rows_and_stale_claims_only(app, make_user, mailbox):
    user = make_user()
    now = utcnow()
    grace = app.config["OUTBOX_SWEEP_AFTER"]
    old = now - grace - timedelta(minutes=1)
    old_pending = add_outbox_row(user, created_at=old)
    fresh_pending = add_outbox_row(user)
    stale_claim = add_outbox_row(
        user,
        status="sending",
        created_at=old,
        attempts=1,
        claimed_at=now - app.config["OUTBOX_STALE_CLAIM"] - timedelta(minutes=1),
    )
    live_claim = add_outbox_row(
        user, status="sending", created_at=old, attempts=1, claimed_at=now - timedelta(minutes=1)
    )
    just_tried = add_outbox_row(
        user, created_at=old, attempts=1, claimed_at=now - timedelta(minutes=1), last_error="451"
    )
    tried_long_ago = add_outbox_row(
        user, created_at=old, attempts=1, claimed_at=old, last_error="451"
    )
    sent = add_outbox_row(user, status="sent", created_at=old, attempts=1, sent_at=old)
    failed = add_outbox_row(user, status="failed", created_at=old, attempts=1, last_error="550")

    assert sweep_unsent() == 3
    assert len(mailbox.messages()) == 3
    rows = {row.id: row for row in outbox_rows()}
    assert rows[old_pending].status == "sent" and rows[old_pending].attempts == 1
    assert rows[stale_claim].status == "sent" and rows[stale_claim].attempts == 2
    assert rows[fresh_pending].status == "pending" and rows[fresh_pending].attempts == 0
    assert rows[live_claim].status == "sending" and rows[live_claim].attempts == 1
    assert rows[sent].status == "sent" and rows[sent].attempts == 1
    assert rows[sent].sent_at == old
    assert rows[failed].status == "failed"
    # A failed attempt a moment ago waits (its retry is due); an older one is retried.
    assert rows[just_tried].status == "pending" and rows[just_tried].attempts == 1
    assert rows[tried_long_ago].status == "sent" and rows[tried_long_ago].attempts == 2

    assert sweep_unsent() == 0  # nothing left to do
    assert len(mailbox.messages()) == 3


@pytest.fixture
def redis_down_config(app_config):
    app_config["REDIS_URL"] = f"redis://127.0.0.1:{free_port()}/0"  # nobody listens there
    return app_config


def test_redis_down_at_commit_keeps_the_email_for_the_sweep(
    redis_down_config, app, client, mailbox, caplog, monkeypatch
):
    # migrations/env.py's fileConfig() disables loggers that existed before it ran.
    monkeypatch.setattr(logging.getLogger("community.jobs"), "disabled", False)
    caplog.set_level(logging.WARNING, logger="community.jobs")
    response = client.post(
        "/signup",
        data={
            "display_name": "Octavia Butler",
            "email": "octavia@example.com",
            "password": "parable of the sower 1993",
        },
    )
    assert response.status_code == 200  # the commit stood; no 500
    assert any("could not enqueue" in r.getMessage() for r in caplog.records)
    [row] = outbox_rows()
    assert row.status == "pending" and row.attempts == 0
    assert mailbox.messages() == []

    # While Redis is still down the sweep cannot hand it to a worker: it sends
    # it itself, once.
    db.session.execute(update(OutboxEmail).values(created_at=utcnow() - timedelta(minutes=30)))
    db.session.commit()
    assert sweep_unsent() == 1
    assert sweep_unsent() == 0
    [message] = mailbox.to("octavia@example.com")
    assert "/verify/" in mailbox.text(message)
    [row] = outbox_rows()
    assert row.status == "sent" and row.attempts == 1
