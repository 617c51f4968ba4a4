"""The RQ worker stays visible after Redis restarts empty (tests/chaos kills it)."""

from __future__ import annotations

import os

from redis import Redis
from rq import Worker

from community import jobs


def test_a_worker_forgotten_by_an_empty_redis_registers_again(app, redis_url, monkeypatch):
    # The app the worker would build for itself is the test's app.
    monkeypatch.setattr(jobs, "_worker_app", app)
    monkeypatch.setattr(jobs, "_worker_pid", os.getpid())
    connection = Redis.from_url(redis_url)
    worker = jobs.AppWorker(["default"], connection=connection)
    worker.register_birth()
    assert [w.name for w in Worker.all(connection=connection)] == [worker.name]

    connection.flushdb()  # Redis came back without its data
    worker.heartbeat()  # what the worker does after each reconnection

    assert [w.name for w in Worker.all(connection=connection)] == [worker.name]
    assert Worker.find_by_key(worker.key, connection=connection).birth_date is not None
    worker.heartbeat()  # registered already: nothing changes
    assert len(Worker.all(connection=connection)) == 1
    worker.register_death()
    connection.close()
