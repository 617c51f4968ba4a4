"""Periodic jobs: the `flask jobs` commands, and their registration with `rq cron`."""

from __future__ import annotations

import os
import secrets
from datetime import timedelta

import pytest
from redis import Redis
from rq.cron import CronScheduler
from sqlalchemy import func, select

from community import jobs
from community.accounts.models import AccountToken, LoginSession
from community.db import db, utcnow
from community.notifications import service
from tests.support_smtp import add_outbox_row, outbox_rows, run_worker


def invoke(app, *args: str):
    result = app.test_cli_runner().invoke(args=["jobs", *args])
    assert result.exit_code == 0, result.output
    return result


def test_jobs_group_lists_every_periodic_job(app):
    output = invoke(app, "--help").output
    for job in jobs.PERIODIC:
        assert job.name in output


def test_sweep_outbox_command_sends_what_was_left(app, make_user, mailbox):
    user = make_user()
    add_outbox_row(user, created_at=utcnow() - timedelta(hours=1))
    add_outbox_row(user)  # fresh: its own job will send it

    result = invoke(app, "sweep-outbox")
    assert result.output.strip() == "sweep-outbox: 1"
    assert len(mailbox.messages()) == 1
    assert sorted(row.status for row in outbox_rows()) == ["pending", "sent"]
    assert invoke(app, "sweep-outbox").output.strip() == "sweep-outbox: 0"


def test_send_digests_command(app, make_user, mailbox):
    user = make_user()
    service.notify(user, "announcement", {"title": "Spring write-in"})
    db.session.commit()

    assert invoke(app, "send-digests").output.strip() == "send-digests: 1"
    [digest] = mailbox.to(user.email)
    assert "Spring write-in" in mailbox.text(digest)
    assert invoke(app, "send-digests").output.strip() == "send-digests: 0"
    assert len(mailbox.messages()) == 1


def test_purge_expired_command(app, make_user):
    user = make_user()
    now = utcnow()

    def token(expires_at):
        return AccountToken(
            user_id=user.id,
            purpose="verify",
            token_hash=secrets.token_hex(32),
            email=user.email,
            expires_at=expires_at,
        )

    def login_session(expires_at):
        return LoginSession(
            user_id=user.id, secret_hash=secrets.token_hex(32), expires_at=expires_at
        )

    db.session.add_all(
        [
            token(now - timedelta(minutes=1)),
            token(now + timedelta(hours=1)),
            login_session(now - timedelta(minutes=1)),
            login_session(now + timedelta(days=1)),
        ]
    )
    db.session.commit()

    assert invoke(app, "purge-expired").output.strip() == "purge-expired: 2"
    db.session.expire_all()
    assert db.session.scalar(select(func.count(AccountToken.id))) == 1
    assert db.session.scalar(select(func.count(LoginSession.id))) == 1
    assert invoke(app, "purge-expired").output.strip() == "purge-expired: 0"


def test_cron_file_registers_every_periodic_job_with_rq():
    """What `rq cron community/cron.py` loads, read back without starting a scheduler."""
    scheduler = CronScheduler(connection=Redis())  # never connects: nothing is started
    scheduler.load_config_from_file("community/cron.py")
    registered = {job.name: job for job in scheduler.get_jobs()}

    assert set(registered) == {job.name for job in jobs.PERIODIC}
    for periodic in jobs.PERIODIC:
        cron_job = registered[periodic.name]
        assert cron_job.func is jobs.run_job
        assert cron_job.func_name == "community.jobs.run_job"
        assert cron_job.args == (periodic.path,)
        assert cron_job.interval == periodic.interval_seconds
        assert cron_job.cron is None
        assert cron_job.queue_name == os.environ.get("RQ_QUEUE", "kindred")  # as the app's
        jobs.resolve(periodic.path)  # every path names a real function


@pytest.mark.redis
class TestWithRedis:
    @pytest.fixture
    def app_config(self, app_config, redis_url):
        app_config["REDIS_URL"] = redis_url
        return app_config

    def test_a_job_enqueued_by_rq_cron_runs_on_the_apps_queue(self, app, make_user, mailbox):
        user = make_user()
        add_outbox_row(user, created_at=utcnow() - timedelta(hours=1))

        connection = app.extensions["kindred_redis"]
        scheduler = CronScheduler(connection=connection)
        scheduler.load_config_from_file("community/cron.py")
        [sweep] = [job for job in scheduler.get_jobs() if job.name == "sweep-outbox"]
        job = sweep.enqueue(connection)  # what the scheduler does when the time comes
        assert job.origin == app.config["RQ_QUEUE"]

        run_worker(app)  # runs the sweep, which hands the row to RQ; then sends it
        job.refresh()
        assert job.return_value() == 1
        assert len(mailbox.messages()) == 1
        assert outbox_rows()[0].status == "sent"
