"""SMTP failures on RQ: transient ones raise so that RQ's Retry tries again later."""

from __future__ import annotations

from datetime import timedelta

import pytest
from rq import Queue
from rq.job import Job, JobStatus

from community.db import db, utcnow
from community.mail.outbox import SEND_RETRY, queue_email
from tests.support_smtp import outbox_rows, run_worker

pytestmark = pytest.mark.redis


@pytest.fixture
def app_config(app_config, smtp_server, redis_url):
    app_config.update(smtp_server.config())
    app_config["REDIS_URL"] = redis_url
    return app_config


@pytest.fixture
def rq_queue(app) -> Queue:
    return Queue(app.config["RQ_QUEUE"], connection=app.extensions["kindred_redis"])


def release_scheduled(queue: Queue) -> list[str]:
    """Do what RQ's scheduler does once a retry's time has come: enqueue it."""
    registry = queue.scheduled_job_registry
    job_ids = registry.get_job_ids()
    for job_id in job_ids:
        registry.remove(job_id)
        queue.enqueue_job(Job.fetch(job_id, connection=queue.connection))
    return job_ids


def queue_committed_email(user) -> str:
    email = queue_email(
        "notification",
        to_address=user.email,
        user_id=user.id,
        unsubscribe_kind="welcome",
        name=user.display_name,
        message="A critique partner wrote back.",
        link="http://kindred.test/notifications/",
        kind_label="Welcome and getting started",
    )
    db.session.commit()
    return f"email-{email.id}"


def test_transient_failure_is_retried_by_rq_then_given_up(app, make_user, smtp_server, rq_queue):
    app.config["MAIL_MAX_ATTEMPTS"] = 3
    smtp_server.handler.data_reply = "451 4.3.0 Try later"
    user = make_user()
    job_id = queue_committed_email(user)

    run_worker(app)
    job = Job.fetch(job_id, connection=rq_queue.connection)
    # The job raised, and RQ's Retry scheduled the next try with the first backoff.
    assert job.get_status() == JobStatus.SCHEDULED
    assert job.retries_left == 4
    registry = rq_queue.scheduled_job_registry
    assert registry.get_job_ids() == [job_id]
    delay = registry.get_scheduled_time(job_id) - utcnow()
    first_backoff = timedelta(seconds=SEND_RETRY.intervals[0])
    assert first_backoff - timedelta(seconds=5) < delay <= first_backoff + timedelta(seconds=1)
    [row] = outbox_rows()
    assert row.status == "pending" and row.attempts == 1 and "451" in row.last_error

    assert release_scheduled(rq_queue) == [job_id]
    run_worker(app)
    job.refresh()
    assert job.get_status() == JobStatus.SCHEDULED and job.retries_left == 3
    assert outbox_rows()[0].attempts == 2

    assert release_scheduled(rq_queue) == [job_id]
    run_worker(app)  # third attempt: MAIL_MAX_ATTEMPTS reached, the job gives up quietly
    job.refresh()
    assert job.get_status() == JobStatus.FINISHED
    assert job.return_value() == "failed"
    assert registry.get_job_ids() == []
    [row] = outbox_rows()
    assert row.status == "failed" and row.attempts == 3 and "451" in row.last_error
    assert smtp_server.deliveries == []


def test_transient_failure_then_success_on_retry(app, make_user, smtp_server, rq_queue):
    smtp_server.handler.data_reply = "451 4.3.0 Try later"
    user = make_user()
    job_id = queue_committed_email(user)
    run_worker(app)
    assert outbox_rows()[0].status == "pending"

    smtp_server.handler.data_reply = None
    release_scheduled(rq_queue)
    run_worker(app)
    job = Job.fetch(job_id, connection=rq_queue.connection)
    assert job.return_value() == "sent"
    [row] = outbox_rows()
    assert row.status == "sent" and row.attempts == 2 and row.last_error is None
    assert [d.recipients for d in smtp_server.deliveries] == [[user.email]]


def test_permanent_failure_on_rq_is_not_retried(app, make_user, smtp_server, rq_queue):
    smtp_server.handler.data_reply = "550 5.1.1 No such user"
    user = make_user()
    job_id = queue_committed_email(user)

    run_worker(app)
    job = Job.fetch(job_id, connection=rq_queue.connection)
    assert job.get_status() == JobStatus.FINISHED  # no exception: nothing to retry
    assert job.return_value() == "failed"
    assert rq_queue.scheduled_job_registry.get_job_ids() == []
    assert rq_queue.failed_job_registry.get_job_ids() == []
    [row] = outbox_rows()
    assert row.status == "failed" and row.attempts == 1 and "550" in row.last_error
