"""The outbox sweep does not depend on one process: the lease every sweep
records, and the web process's watchdog that sweeps when nobody has."""

from __future__ import annotations

import threading
import time
from datetime import timedelta

import pytest
from sqlalchemy import update

from community.db import db, utcnow
from community.jobs import JobLease, claim_run, record_run
from community.mail import outbox
from community.mail.outbox import sweep_unsent
from tests.support_smtp import add_outbox_row, free_port, outbox_rows


def age_lease(by: timedelta) -> None:
    db.session.execute(update(JobLease).values(started_at=utcnow() - by))
    db.session.commit()


def test_one_claim_per_quiet_period(app):
    hour = timedelta(hours=1)
    assert claim_run("sweep-outbox", hour) is True  # never ran: taken
    assert claim_run("sweep-outbox", hour) is False  # just taken by someone
    age_lease(hour + timedelta(minutes=1))
    assert claim_run("sweep-outbox", hour) is True
    assert claim_run("sweep-outbox", hour) is False


def test_a_scheduled_sweep_keeps_the_watchdog_quiet(app):
    record_run("sweep-outbox")
    assert claim_run("sweep-outbox", timedelta(minutes=3)) is False
    age_lease(timedelta(minutes=10))
    assert sweep_unsent() == 0  # a sweep (from rq cron, say) records its run
    assert claim_run("sweep-outbox", timedelta(minutes=3)) is False


def test_claims_racing_from_many_threads_give_one_winner(app):
    record_run("sweep-outbox")
    age_lease(timedelta(hours=2))
    results: list[bool] = []
    start = threading.Barrier(6)

    def race() -> None:
        with app.app_context():
            start.wait()
            results.append(claim_run("sweep-outbox", timedelta(hours=1)))
            db.session.remove()

    threads = [threading.Thread(target=race) for _ in range(6)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert sorted(results) == [False] * 5 + [True]


@pytest.mark.parametrize(
    "settings",
    [{"SWEEP_WATCHDOG": timedelta(seconds=4), "REDIS_URL": f"redis://127.0.0.1:{free_port()}/0"}],
    ids=["redis-down"],
)
def test_the_watchdog_sends_what_redis_lost_when_the_scheduler_is_silent(app, make_user, mailbox):
    user = make_user()
    old = utcnow() - app.config["OUTBOX_SWEEP_AFTER"] - timedelta(minutes=1)
    email_id = add_outbox_row(user, created_at=old)
    record_run("sweep-outbox")
    age_lease(timedelta(minutes=5))  # rq cron has been silent for five minutes
    stop = threading.Event()
    thread = outbox.start_sweep_watchdog(app, stop)
    try:
        deadline = time.monotonic() + 60
        while time.monotonic() < deadline and outbox_rows()[0].status != "sent":
            time.sleep(0.2)
    finally:
        stop.set()
        thread.join()
    [row] = outbox_rows()
    assert row.id == email_id and row.status == "sent" and row.attempts == 1
    assert len(mailbox.to(user.email)) == 1


def test_the_watchdog_is_off_at_zero(app):
    app.config["SWEEP_WATCHDOG"] = timedelta(0)
    assert outbox.start_sweep_watchdog(app) is None
