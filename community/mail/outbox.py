"""The transactional outbox: queue an email with its cause, send it after commit.

``queue_email`` renders the email from ``templates/email/<name>/`` and adds
an :class:`OutboxEmail` row to the current transaction. Only if that
transaction commits is the row handed to :func:`send_outbox_email` (on RQ, or
in process). A rolled-back transaction leaves no row and sends nothing.

Nothing is lost to an outage: with Redis down at commit the row waits for
:func:`sweep_unsent`, which sends in its own process while Redis cannot take
the job; a worker killed mid-send leaves a claim that goes stale after
``OUTBOX_STALE_CLAIM``; SMTP 4xx and connection errors are retried with
backoff (RQ's Retry, then the sweep) up to ``MAIL_MAX_ATTEMPTS``; a 5xx
marks the row failed with the server's reason.
"""

from __future__ import annotations

import logging
import os
import secrets
import threading
from datetime import timedelta
from typing import Any
from urllib.parse import urlsplit

from flask import Flask, current_app, render_template
from rq import Retry, get_current_job
from sqlalchemy import or_, select, update

from community import jobs
from community.db import db, utcnow
from community.mail.models import OutboxEmail
from community.mail.transport import (
    PermanentMailError,
    TransientMailError,
    build_message,
    deliver,
)
from community.mail.unsubscribe import ALL_KINDS, make_unsubscribe_token
from community.urls import external_url

log = logging.getLogger(__name__)

# Backoff spans about seven hours, so a mail server outage of an afternoon loses
# nothing. MAIL_RETRY_SECONDS (comma-separated) shortens it for the chaos suite.
SEND_RETRY = Retry(
    max=5,
    interval=[
        int(seconds)
        for seconds in (os.environ.get("MAIL_RETRY_SECONDS") or "60,300,1800,3600,14400").split(",")
    ],
)


def queue_email(
    template: str,
    *,
    to_address: str,
    user_id: int | None,
    unsubscribe_kind: str = ALL_KINDS,
    **context: Any,
) -> OutboxEmail:
    """Render email ``template`` and add it to the outbox in this transaction.

    Every email carries a one-click unsubscribe link for ``unsubscribe_kind``
    (all notification emails by default) when it goes to a member.
    """
    unsubscribe_url = None
    headers: dict[str, str] = {}
    if user_id is not None:
        unsubscribe_url = external_url(
            "notifications.unsubscribe", token=make_unsubscribe_token(user_id, unsubscribe_kind)
        )
        headers["List-Unsubscribe"] = f"<{unsubscribe_url}>"
        headers["List-Unsubscribe-Post"] = "List-Unsubscribe=One-Click"
    context.update(
        site_name=current_app.config["SITE_NAME"],
        home_url=external_url("site.home"),
        unsubscribe_url=unsubscribe_url,
        unsubscribe_kind=unsubscribe_kind,
    )
    subject = render_template(f"email/{template}/subject.txt", **context)
    email = OutboxEmail(
        template=template,
        user_id=user_id,
        to_address=to_address,
        subject=" ".join(subject.split()),
        body_text=render_template(f"email/{template}/body.txt", **context),
        body_html=render_template(f"email/{template}/body.html", **context),
        headers=headers,
        message_id=f"<{secrets.token_hex(16)}@{_mail_domain()}>",
    )
    db.session.add(email)
    db.session.flush()
    jobs.enqueue(send_outbox_email, email.id, retry=SEND_RETRY, job_id=f"email-{email.id}")
    return email


def _mail_domain() -> str:
    return urlsplit(current_app.config["BASE_URL"]).hostname or "kindred.invalid"


def _stale_before(now):
    # A "sending" claim older than this belongs to a worker that died mid-send.
    return now - current_app.config["OUTBOX_STALE_CLAIM"]


def _claim(email_id: int) -> bool:
    """Move the row to 'sending' if nobody else holds it. Commits."""
    now = utcnow()
    result = db.session.execute(
        update(OutboxEmail)
        .where(
            OutboxEmail.id == email_id,
            or_(
                OutboxEmail.status == "pending",
                (OutboxEmail.status == "sending") & (OutboxEmail.claimed_at < _stale_before(now)),
            ),
        )
        .values(status="sending", claimed_at=now, attempts=OutboxEmail.attempts + 1)
    )
    # Committed by design, not through jobs.in_transaction: the claim must be
    # visible to every other worker before the (slow, outside) SMTP call, or
    # two workers would both send the email.
    db.session.commit()
    return result.rowcount == 1


def send_outbox_email(email_id: int) -> str:
    """Deliver outbox row ``email_id`` at most once. The job behind every email.

    Returns what happened: "sent", "skipped" (already sent, being sent, or
    failed), "failed" (permanent error or out of attempts) or "deferred"
    (transient error; on RQ it is raised instead, so that RQ retries).
    """
    # The states below are committed one by one by design: each records what
    # the SMTP server has already done (sent, refused, deferred), which must
    # stay even if what follows fails.
    if not _claim(email_id):
        return "skipped"
    email = db.session.get(OutboxEmail, email_id)
    config = current_app.config
    try:
        deliver(build_message(email, config["MAIL_FROM"]), config)
    except PermanentMailError as error:
        email.status, email.last_error = "failed", str(error)
        db.session.commit()
        log.warning("email %s failed permanently: %s", email_id, error)
        return "failed"
    except TransientMailError as error:
        email.last_error = str(error)
        gave_up = email.attempts >= config["MAIL_MAX_ATTEMPTS"]
        email.status = "failed" if gave_up else "pending"
        db.session.commit()
        if gave_up:
            log.warning("email %s failed after %s attempts: %s", email_id, email.attempts, error)
            return "failed"
        if get_current_job() is not None:
            raise  # RQ's Retry schedules the next attempt
        log.info("email %s deferred: %s", email_id, error)
        return "deferred"
    email.status, email.sent_at, email.last_error = "sent", utcnow(), None
    db.session.commit()
    return "sent"


def sweep_unsent(record: bool = True) -> int:
    """Hand out again every email left pending or stuck 'sending'. Returns how many.

    Covers Redis being down at commit time and workers killed mid-send; the
    claim in :func:`send_outbox_email` keeps this from double-sending. A row
    whose last attempt failed a moment ago waits out the grace period too,
    so that the sweep does not burn its attempts faster than the retries would.
    While Redis cannot take the jobs, the sweep sends them itself. ``record``
    notes the run for the web processes' watchdog (community.jobs).
    """
    if record:
        jobs.record_run(jobs.SWEEP)
    now = utcnow()
    cutoff = now - current_app.config["OUTBOX_SWEEP_AFTER"]
    ids = db.session.scalars(
        select(OutboxEmail.id)
        .where(
            or_(
                (OutboxEmail.status == "pending")
                & (OutboxEmail.created_at < cutoff)
                & or_(OutboxEmail.claimed_at.is_(None), OutboxEmail.claimed_at < cutoff),
                (OutboxEmail.status == "sending") & (OutboxEmail.claimed_at < _stale_before(now)),
            )
        )
        .order_by(OutboxEmail.id)
        .limit(1000)
    ).all()
    db.session.rollback()
    queue_reachable = True
    for email_id in ids:
        job_id = f"email-{email_id}"
        if queue_reachable:
            try:
                # Still in the queue (a busy worker) or waiting for its retry:
                # handing it out again would only crowd the queue.
                if jobs.waiting(job_id):
                    continue
            except Exception:
                queue_reachable = False
        if queue_reachable:
            queue_reachable = jobs.dispatch(
                jobs.function_path(send_outbox_email), (email_id,), SEND_RETRY, job_id
            )
        if not queue_reachable:
            try:
                send_outbox_email(email_id)
            except Exception:
                db.session.rollback()
                log.exception("sweep could not send email %s; the next sweep will", email_id)
    return len(ids)


def start_sweep_watchdog(
    app: Flask, stop: threading.Event | None = None
) -> threading.Thread | None:
    """Sweep the outbox from this process whenever nobody has for
    ``SWEEP_WATCHDOG`` (a daemon thread; off when that is 0).

    With ``rq cron`` and Redis up, the scheduled sweep keeps the lease fresh
    and this thread only looks. Otherwise one web process takes the lease
    and sweeps; with Redis down the sweep sends in this process. Setting
    ``stop`` ends the thread (tests).
    """
    quiet_for: timedelta = app.config["SWEEP_WATCHDOG"]
    if not quiet_for:
        return None
    tick = max(1.0, min(30.0, quiet_for.total_seconds() / 4))
    stop = stop or threading.Event()

    def loop() -> None:
        while not stop.wait(tick):
            try:
                with app.app_context():
                    if jobs.claim_run(jobs.SWEEP, quiet_for):
                        log.warning("the outbox sweep was silent for %s; sweeping here", quiet_for)
                        sweep_unsent(record=False)
            except Exception:
                # The database may be restarting: try again next tick.
                log.exception("sweep watchdog failed")

    thread = threading.Thread(target=loop, name="kindred-sweep-watchdog", daemon=True)
    thread.start()
    return thread
