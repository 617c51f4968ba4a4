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
"""

from __future__ import annotations

import importlib
import logging
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass
from datetime import timedelta
from functools import partial
from typing import Any

from flask import Flask, current_app, has_app_context
from redis import Redis
from rq import Queue, Retry

from community.db import after_commit

log = logging.getLogger(__name__)


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
        300,
        "Hand out emails left unsent (Redis was down at commit, a worker died).",
    ),
    PeriodicJob(
        "send-digests",
        "community.notifications.digest:send_daily_digests",
        3600,
        "Send each member who asked for one their daily digest, once a day.",
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
        "roll-over-capacity",
        "community.helping.offers:roll_over_month",
        3600,
        "Give volunteers their new month's capacity once the month turns.",
    ),
    PeriodicJob(
        "rerank-volunteers",
        "community.helping.matching:rerank_all",
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


def init_app(app: Flask) -> None:
    app.extensions["kindred_redis"] = (
        Redis.from_url(app.config["REDIS_URL"]) if app.config["REDIS_URL"] else None
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
) -> None:
    """Hand a job to RQ, or run it here when no Redis is configured."""
    rq_queue = queue()
    if rq_queue is None:
        run_job(path, *args)
        return
    try:
        rq_queue.enqueue(run_job, path, *args, retry=retry, job_id=job_id)
    except Exception:
        # The outbox sweep (or the job's own periodic catch-up) will retry.
        log.exception("could not enqueue %s; it will be picked up by a sweep", path)


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
    except Exception:
        log.exception("could not schedule %s; the periodic sweep will pick it up", path)


_worker_app: Flask | None = None


def run_job(path: str, *args: Any) -> Any:
    """Entry point of every job: find the app, push a fresh context, run.

    In an RQ worker there is no app yet: one is created per process from the
    environment. Elsewhere (tests, in-process jobs) the current app is used.
    Each run gets its own app context, hence its own database session.
    """
    global _worker_app
    if has_app_context():
        app = current_app._get_current_object()
    else:
        if _worker_app is None:
            from community import create_app

            _worker_app = create_app()
        app = _worker_app
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
