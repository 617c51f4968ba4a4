"""The outbox on RQ: enqueued after commit, sent by a real worker, exactly once."""

from __future__ import annotations

from datetime import timedelta

import pytest
from rq import Queue
from rq.job import Job, JobStatus

import community.jobs
from community.db import db, utcnow
from community.mail.outbox import SEND_RETRY, queue_email, sweep_unsent
from tests.support_smtp import add_outbox_row, outbox_rows, run_worker

pytestmark = pytest.mark.redis


@pytest.fixture
def app_config(app_config, redis_url):
    app_config["REDIS_URL"] = redis_url
    return app_config


@pytest.fixture
def rq_queue(app) -> Queue:
    return Queue(app.config["RQ_QUEUE"], connection=app.extensions["kindred_redis"])


def queue_test_email(user) -> int:
    return queue_email(
        "notification",
        to_address=user.email,
        user_id=user.id,
        unsubscribe_kind="welcome",
        name=user.display_name,
        message="Someone answered your question.",
        link="http://kindred.test/notifications/",
        kind_label="Welcome and getting started",
    ).id


def test_commit_enqueues_and_a_worker_sends_exactly_once(app, make_user, mailbox, rq_queue):
    user = make_user()
    email_id = queue_test_email(user)
    assert rq_queue.count == 0  # nothing goes to Redis before the commit
    db.session.commit()

    assert rq_queue.name == app.config["RQ_QUEUE"]
    assert rq_queue.job_ids == [f"email-{email_id}"]
    assert mailbox.messages() == []  # in Redis, not sent in this process
    assert outbox_rows()[0].status == "pending"

    run_worker(app)
    job = Job.fetch(f"email-{email_id}", connection=rq_queue.connection)
    assert job.get_status() == JobStatus.FINISHED
    assert job.return_value() == "sent"
    assert len(mailbox.to(user.email)) == 1
    [row] = outbox_rows()
    assert row.status == "sent" and row.attempts == 1

    # A duplicated job (a retry, a second enqueue by hand) must not send again.
    duplicate = rq_queue.enqueue(
        community.jobs.run_job, "community.mail.outbox:send_outbox_email", email_id
    )
    run_worker(app)
    duplicate.refresh()
    assert duplicate.get_status() == JobStatus.FINISHED
    assert duplicate.return_value() == "skipped"
    assert len(mailbox.messages()) == 1
    assert outbox_rows()[0].attempts == 1


def test_rolled_back_email_never_reaches_redis(app, make_user, mailbox, rq_queue):
    user = make_user()
    queue_test_email(user)
    db.session.rollback()
    assert rq_queue.count == 0
    run_worker(app)
    assert mailbox.messages() == []
    assert outbox_rows() == []


def test_job_is_enqueued_with_a_retry_policy(app, make_user, rq_queue):
    user = make_user()
    email_id = queue_test_email(user)
    db.session.commit()
    job = Job.fetch(f"email-{email_id}", connection=rq_queue.connection)
    assert job.retries_left == 5
    assert job.retry_intervals == SEND_RETRY.intervals
    # Backoff grows, and the whole series outlasts an afternoon of mail server outage.
    assert job.retry_intervals == sorted(job.retry_intervals)
    assert sum(job.retry_intervals) >= 4 * 3600


def test_sweep_hands_unsent_rows_to_rq(app, make_user, mailbox, rq_queue):
    user = make_user()
    email_id = add_outbox_row(user, created_at=utcnow() - timedelta(hours=1))
    assert sweep_unsent() == 1
    assert rq_queue.count == 1
    assert mailbox.messages() == []
    run_worker(app)
    assert len(mailbox.messages()) == 1
    # A second sweep and a duplicate job later: nothing more.
    assert sweep_unsent() == 0
    rq_queue.enqueue(community.jobs.run_job, "community.mail.outbox:send_outbox_email", email_id)
    run_worker(app)
    assert len(mailbox.messages()) == 1


def test_sweep_leaves_alone_what_rq_still_holds(app, make_user, mailbox, rq_queue):
    """A busy worker has not reached an email yet: the sweep does not queue it
    again (every sweep would, and crowd the queue that is already behind)."""
    user = make_user()
    add_outbox_row(user, created_at=utcnow() - timedelta(hours=1))
    assert sweep_unsent() == 1
    assert sweep_unsent() == 1  # still pending: seen again...
    assert rq_queue.count == 1  # ...but queued once
    run_worker(app)
    assert len(mailbox.messages()) == 1
