"""The job queue: work that happens after a commit, or on a timer.

Domain code calls :func:`enqueue` with a plain function and plain arguments
(ids, not objects). Nothing leaves the process until the surrounding
transaction commits. Then:

* with ``REDIS_URL`` set, the call goes to RQ and a worker runs it;
* without Redis, it runs in this process, right after the commit, in its own
  application context (the embedded default: one machine, no worker).

If Redis cannot be reached at commit time the job is not lost: every job
that matters is backed by a row (the outbox, for emails) that a periodic
sweep hands out again. Jobs must therefore be safe to run twice.

Periodic jobs are listed in :data:`PERIODIC`. With Redis, ``rq cron
community/cron.py`` enqueues them; without it, :func:`start_in_process_scheduler`
runs them on a timer inside the web process. Each is also a ``flask jobs``
CLI command.

A job commits in one place too: its body is wrapped in :func:`commits` (or a
job that works in units, one transaction each, calls
:func:`in_transaction` per unit), which commits when the body returns and
rolls back when it raises. Domain code that a job calls still only flushes.

The outbox sweep must not depend on one process: it records each run in
:class:`JobLease`, and every web process keeps a watchdog
(:func:`community.mail.outbox.start_sweep_watchdog`) that sweeps itself when nobody has for
``SWEEP_WATCHDOG`` (``rq cron`` or Redis is down). The watchdogs claim the
run with one conditional UPDATE, so only one of them sweeps at a time.
"""

from __future__ import annotations

import importlib
import logging
import os
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime, timedelta
from functools import partial, wraps
from typing import Any

from flask import Flask, current_app, has_app_context
from redis import Redis
from rq import Queue, Retry, Worker, worker_registration
from rq.exceptions import NoSuchJobError
from rq.job import Job
from sqlalchemy import String, insert, update
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Mapped, mapped_column

from community.db import UTCDateTime, after_commit, db, utcnow

log = logging.getLogger(__name__)


def in_transaction(body: Callable[..., Any], *args: Any, **kwargs: Any) -> Any:
    """Run one unit of a job's work and commit it; roll back and re-raise if it
    raises. The one place jobs commit, so their after-commit work runs once."""
    try:
        result = body(*args, **kwargs)
    except BaseException:
        db.session.rollback()
        raise
    db.session.commit()
    return result


def commits(body: Callable[..., Any]) -> Callable[..., Any]:
    """Make ``body`` a job that runs in one transaction (:func:`in_transaction`),
    however it is called: by a worker, the timer, the CLI or a test."""

    @wraps(body)
    def job(*args: Any, **kwargs: Any) -> Any:
        return in_transaction(body, *args, **kwargs)

    return job


@dataclass(frozen=True)
class PeriodicJob:
    name: str
    path: str  # "module:function"
    interval_seconds: int
    description: str


PERIODIC: tuple[PeriodicJob, ...] = (
    PeriodicJob(
        "moderation-digest",
        "community.moderation.service:send_queue_digest",
        86400,
        "Remind moderators, once a day, of what waits in the queue (if anything).",
    ),
    PeriodicJob(
        "sweep-outbox",
        "community.mail.outbox:sweep_unsent",
        # Often, and cheap (one indexed query): with OUTBOX_SWEEP_SECONDS it
        # bounds how late an email left by an outage can be.
        int(os.environ.get("OUTBOX_SWEEP_INTERVAL_SECONDS") or 60),
        "Hand out emails left unsent (Redis was down at commit, a worker died).",
    ),
    PeriodicJob(
        "send-digests",
        "community.notifications.digest:send_daily_digests",
        3600,
        "Send each member who asked for one their daily digest, once a day.",
    ),
    PeriodicJob(
        "send-weekly-request-digests",
        "community.helping.fitting:send_weekly_digests",
        3600,
        "Email volunteers who chose it, once a week, the open requests that fit them.",
    ),
    PeriodicJob(
        "remind-expiring-requests",
        "community.helping.requests:send_expiry_reminders",
        3600,
        "Remind requesters whose open request closes in a few days.",
    ),
    PeriodicJob(
        "expire-requests",
        "community.helping.requests:expire_requests",
        3600,
        "Close open requests that have been quiet for REQUEST_EXPIRY_DAYS.",
    ),
    PeriodicJob(
        "remind-first-contact",
        "community.helping.first_contact:send_first_contact_reminders",
        3600,
        "Nudge the members of a new match nobody has written in yet (the helper, "
        "then the requester; once each).",
    ),
    PeriodicJob(
        "check-ins",
        "community.helping.check_ins:send_check_ins",
        3600,
        "Ask both members of an active match that has gone quiet for CHECK_IN_AFTER_DAYS "
        "how it is going (at most CHECK_INS_MAX times).",
    ),
    PeriodicJob(
        "expire-quiet-answers",
        "community.helping.honest:expire_quiet_answers",
        3600,
        "Expire invitations and offers that got no reply for a few days, with a kind "
        "note to the other side.",
    ),
    PeriodicJob(
        "ask-again",
        "community.helping.asks:ask_again",
        3600,
        "Tell the next best volunteers about requests nobody answered after the first asks.",
    ),
    PeriodicJob(
        "nudge-pledges",
        "community.kindness.pledges:nudge_open_pledges",
        3600,
        "Show members whose pledge is still open a week on a few requests they could help with.",
    ),
    PeriodicJob(
        "end-breaks",
        "community.helping.asks:end_breaks",
        3600,
        "Start again the volunteer offers paused until a day that has come.",
    ),
    PeriodicJob(
        "roll-over-capacity",
        "community.helping.offers:roll_over_month",
        3600,
        "Give volunteers their new month's capacity once the month turns.",
    ),
    PeriodicJob(
        "rerank-volunteers",
        "community.helping.rank:rerank_all",
        86400,
        "Bring the matching engine's volunteer signals (fairness, activity) up to date.",
    ),
    PeriodicJob(
        "send-chat-emails",
        "community.chat.service:send_due_unread_emails",
        60,
        "Email members about chat messages left unread past the quiet period "
        "(a backstop for delayed jobs lost to a restart).",
    ),
    PeriodicJob(
        "purge-expired",
        "community.accounts.service:purge_expired",
        3600,
        "Delete expired login sessions and account tokens.",
    ),
    PeriodicJob(
        "rebuild-ripples",
        "community.kindness.jobs:rebuild_ripples",
        86400,
        "Recompute every member's ripples from all acts of help (the same numbers "
        "as the incremental job; a safety net).",
    ),
)


class JobLease(db.Model):
    """When a periodic job last started, shared by every process through the
    database (Redis may be the thing that is down)."""

    __tablename__ = "job_leases"

    name: Mapped[str] = mapped_column(String(60), primary_key=True)
    started_at: Mapped[datetime] = mapped_column(UTCDateTime())


def record_run(name: str) -> None:
    """Note that job ``name`` starts now. Commits."""
    now = utcnow()
    result = db.session.execute(
        update(JobLease).where(JobLease.name == name).values(started_at=now)
    )
    if result.rowcount == 0:
        try:
            with db.session.begin_nested():
                db.session.execute(insert(JobLease).values(name=name, started_at=now))
        except IntegrityError:
            pass  # another process recorded it in the meantime: as good
    db.session.commit()


def claim_run(name: str, quiet_for: timedelta) -> bool:
    """Take the run of job ``name`` if nobody started it for ``quiet_for``. Commits.

    One conditional UPDATE: of several processes asking at once, one wins.
    """
    now = utcnow()
    result = db.session.execute(
        update(JobLease)
        .where(JobLease.name == name, JobLease.started_at < now - quiet_for)
        .values(started_at=now)
    )
    claimed = result.rowcount == 1
    if not claimed and db.session.get(JobLease, name) is None:
        try:
            with db.session.begin_nested():
                db.session.execute(insert(JobLease).values(name=name, started_at=now))
            claimed = True
        except IntegrityError:
            claimed = False
    db.session.commit()
    return claimed


# Redis that is down must cost a request a moment, not hang it.
REDIS_OPTIONS = {"socket_connect_timeout": 2, "socket_timeout": 5}


def init_app(app: Flask) -> None:
    app.extensions["kindred_redis"] = (
        Redis.from_url(app.config["REDIS_URL"], **REDIS_OPTIONS)
        if app.config["REDIS_URL"]
        else None
    )


def redis_connection() -> Redis | None:
    return current_app.extensions.get("kindred_redis")


def queue() -> Queue | None:
    connection = redis_connection()
    if connection is None:
        return None
    return Queue(current_app.config["RQ_QUEUE"], connection=connection)


def function_path(func: Callable[..., Any]) -> str:
    return f"{func.__module__}:{func.__qualname__}"


def resolve(path: str) -> Callable[..., Any]:
    module_name, _, attribute = path.partition(":")
    return getattr(importlib.import_module(module_name), attribute)


def enqueue(
    func: Callable[..., Any],
    *args: Any,
    retry: Retry | None = None,
    job_id: str | None = None,
) -> None:
    """Run ``func(*args)`` once the current transaction commits.

    ``job_id`` names the RQ job (for finding it, e.g. ``email-<id>``). It does
    not deduplicate: RQ 2 queues a second job of the same id again, so a job
    must be idempotent, as every job here is. ``retry`` applies on RQ only.
    """
    after_commit(partial(dispatch, function_path(func), args, retry, job_id))


def dispatch(
    path: str, args: tuple[Any, ...], retry: Retry | None = None, job_id: str | None = None
) -> bool:
    """Hand a job to RQ, or run it here when no Redis is configured.

    Returns False when Redis could not take it (never raises for that).
    """
    rq_queue = queue()
    if rq_queue is None:
        run_job(path, *args)
        return True
    try:
        rq_queue.enqueue(run_job, path, *args, retry=retry, job_id=job_id)
    except Exception as error:
        # The outbox sweep (or the job's own periodic catch-up) will retry.
        # A warning, not a trace: during an outage every commit says this.
        log.warning("could not enqueue %s (%s); it will be picked up by a sweep", path, error)
        return False
    return True


def waiting(job_id: str) -> bool:
    """Whether RQ holds job ``job_id`` still to run (queued, or scheduled for
    a retry). Raises when Redis cannot be reached.

    A "started" job does not count: it may belong to a worker killed mid-run
    (RQ keeps saying "started" until it cleans up), and the job's own claim
    keeps a second run from doing the work twice."""
    connection = redis_connection()
    if connection is None:
        return False
    try:
        job = Job.fetch(job_id, connection=connection)
    except NoSuchJobError:
        return False
    return job.get_status(refresh=False) in {"queued", "scheduled", "deferred"}


def enqueue_in(delay_seconds: float, func: Callable[..., Any], *args: Any) -> None:
    """Run ``func(*args)`` about ``delay_seconds`` after the current transaction
    commits: an RQ scheduled job (the worker runs ``--with-scheduler``), or a
    timer thread in this process without Redis. Like every job it must be
    safe to run twice, and should have a periodic sweep behind it: a timer
    dies with its process."""
    after_commit(partial(dispatch_in, delay_seconds, function_path(func), args))


def dispatch_in(delay_seconds: float, path: str, args: tuple[Any, ...]) -> None:
    rq_queue = queue()
    if rq_queue is None:
        app = current_app._get_current_object()

        def run() -> None:
            try:
                with app.app_context():
                    run_job(path, *args)
            except Exception:
                log.exception("delayed job %s failed", path)

        timer = threading.Timer(max(0.0, delay_seconds), run)
        timer.daemon = True
        timer.start()
        return
    try:
        rq_queue.enqueue_in(timedelta(seconds=max(0.0, delay_seconds)), run_job, path, *args)
    except Exception as error:
        log.warning("could not schedule %s (%s); the periodic sweep will pick it up", path, error)


_worker_app: Flask | None = None
_worker_pid: int | None = None


SCHEDULER_RETRY_SECONDS = 30


class AppWorker(Worker):
    """``rq worker --worker-class community.jobs.AppWorker``: builds the app
    once, in the worker, before it forks a work horse for each job.

    With the plain Worker every job paid for ``create_app()`` in its fresh
    horse (seconds on a busy machine), which starved the queue while the
    sweep re-enqueued what it had not reached yet.
    """

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        # A worker restarted after a kill -9 finds the scheduler lock still
        # held by the dead one (for a minute), and RQ tries again only at its
        # next maintenance, ten minutes later by default: until then no retry
        # or delayed job runs, and the outbox sweep leaves alone the emails
        # whose retry RQ holds. Trying every half minute bounds that delay.
        self.maintenance_interval = min(self.maintenance_interval, SCHEDULER_RETRY_SECONDS)
        _app_for_jobs()

    def heartbeat(self, timeout: int | None = None, pipeline: Any = None) -> None:
        super().heartbeat(timeout, pipeline)
        if pipeline is None:
            self._register_again_if_forgotten()

    def _register_again_if_forgotten(self) -> None:
        """RQ's worker waits out a Redis outage and goes on, but a Redis that
        came back empty (no persistence) has forgotten it: ``rq info`` and
        the health checks would show no worker while it works. The heartbeat
        that follows every reconnection puts its registration back."""
        if self.connection.hexists(self.key, "birth"):
            return
        log.warning("worker %s: Redis forgot this worker; registering it again", self.name)
        with self.connection.pipeline() as pipeline:
            pipeline.hset(self.key, mapping=self.serialize())
            worker_registration.register(self, pipeline)
            pipeline.expire(self.key, self.worker_ttl + 60)
            pipeline.execute()


def _app_for_jobs() -> Flask:
    global _worker_app, _worker_pid
    if _worker_app is None:
        # Start-up order: the app factory (community/__init__.py) imports
        # this module, so the factory is reached only here, in a worker
        # process that has no app yet.
        from community import create_app

        _worker_app = create_app()
    if _worker_pid != os.getpid():
        # A forked horse must not share the parent's pooled connections.
        with _worker_app.app_context():
            db.engine.dispose(close=False)
        _worker_pid = os.getpid()
    return _worker_app


def run_job(path: str, *args: Any) -> Any:
    """Entry point of every job: find the app, push a fresh context, run.

    In an RQ worker there is no app yet: one is created per process from the
    environment (by :class:`AppWorker` before it forks). Elsewhere (tests,
    in-process jobs) the current app is used. Each run gets its own app
    context, hence its own database session.
    """
    app = current_app._get_current_object() if has_app_context() else _app_for_jobs()
    with app.app_context():
        return resolve(path)(*args)


def run_periodic(name: str) -> Any:
    """Run one periodic job now, by name (the CLI and the timer use this)."""
    for job in PERIODIC:
        if job.name == name:
            return run_job(job.path)
    raise KeyError(name)


def start_in_process_scheduler(app: Flask, tick_seconds: float = 30.0) -> threading.Thread:
    """Run :data:`PERIODIC` on a timer in a daemon thread (no-Redis mode only).

    Each job is idempotent, so running one process's scheduler on a machine
    is safe; it is not meant for several web processes (use ``rq cron``).
    """
    last_run: dict[str, float] = {}

    def loop() -> None:
        while True:
            now = time.monotonic()
            for job in PERIODIC:
                if now - last_run.get(job.name, -job.interval_seconds) >= job.interval_seconds:
                    last_run[job.name] = now
                    try:
                        with app.app_context():
                            run_job(job.path)
                    except Exception:
                        log.exception("periodic job %s failed", job.name)
            time.sleep(tick_seconds)

    thread = threading.Thread(target=loop, name="kindred-scheduler", daemon=True)
    thread.start()
    return thread


SWEEP = "sweep-outbox"
