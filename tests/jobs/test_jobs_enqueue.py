"""jobs.enqueue: nothing leaves before the commit; in process without Redis, RQ with it."""

from __future__ import annotations

import logging

import pytest
from flask import current_app, g
from rq import Queue

from community import jobs
from community.db import db
from tests.factories import UserFactory

CALLS: list[dict] = []


def record(label: str, number: int) -> str:
    """A job: note where and how it ran."""
    CALLS.append(
        {
            "args": (label, number),
            "app": current_app._get_current_object(),
            "session": db.session(),
            "marker": g.get("marker"),
        }
    )
    return f"{label}-{number}"


def explode() -> None:
    raise RuntimeError("the job broke")


@pytest.fixture(autouse=True)
def _clear_calls():
    CALLS.clear()
    yield
    CALLS.clear()


def test_runs_after_commit_in_a_fresh_app_context(app, make_user):
    outer_session = db.session()
    g.marker = "the caller's context"
    make_user()  # some real work in the same transaction
    jobs.enqueue(record, "after", 1)
    assert CALLS == []  # not before the commit
    db.session.commit()

    [call] = CALLS
    assert call["args"] == ("after", 1)
    assert call["app"] is app
    assert call["session"] is not outer_session  # its own session
    assert call["marker"] is None  # its own app context (g is empty)
    assert g.marker == "the caller's context"  # the caller's context is back


def test_rolled_back_job_never_runs(app, make_user):
    make_user()
    jobs.enqueue(record, "rolled back", 2)
    db.session.rollback()
    assert CALLS == []
    # Nor with the next commit.
    make_user()
    db.session.commit()
    assert CALLS == []


def test_each_commit_runs_its_own_jobs_once(app, make_user):
    jobs.enqueue(record, "first", 1)
    db.session.commit()
    jobs.enqueue(record, "second", 2)
    jobs.enqueue(record, "third", 3)
    db.session.commit()
    db.session.commit()
    assert [c["args"] for c in CALLS] == [("first", 1), ("second", 2), ("third", 3)]


def test_a_failing_job_does_not_undo_or_break_the_commit(app, make_user, caplog, monkeypatch):
    # migrations/env.py's fileConfig() disables loggers that existed before it ran.
    monkeypatch.setattr(logging.getLogger("community.db"), "disabled", False)
    caplog.set_level(logging.ERROR, logger="community.db")
    user = make_user()
    user.display_name = "Kept"
    jobs.enqueue(explode)
    jobs.enqueue(record, "still runs", 3)
    db.session.commit()  # does not raise
    assert [c["args"] for c in CALLS] == [("still runs", 3)]
    assert any("after-commit callback" in r.getMessage() for r in caplog.records)
    db.session.expire_all()
    assert db.session.get(type(user), user.id).display_name == "Kept"


def test_run_job_resolves_a_path(app):
    assert jobs.run_job(jobs.function_path(record), "direct", 4) == "direct-4"
    assert jobs.function_path(record).endswith(":record")


def test_run_periodic_unknown_name(app):
    with pytest.raises(KeyError):
        jobs.run_periodic("no-such-job")


@pytest.mark.redis
class TestWithRedis:
    @pytest.fixture
    def app_config(self, app_config, redis_url):
        app_config["REDIS_URL"] = redis_url
        return app_config

    def test_commit_enqueues_on_rq_and_a_worker_runs_it(self, app):
        from tests.support_smtp import run_worker

        queue = Queue(app.config["RQ_QUEUE"], connection=app.extensions["kindred_redis"])
        jobs.enqueue(record, "on rq", 5)
        assert queue.count == 0
        db.session.commit()
        assert CALLS == []  # handed to RQ, not run here
        [job] = queue.jobs
        assert job.func_name == "community.jobs.run_job"
        assert job.args == (jobs.function_path(record), "on rq", 5)

        run_worker(app)
        job.refresh()
        assert job.return_value() == "on rq-5"
        assert [c["args"] for c in CALLS] == [("on rq", 5)]

    def test_rollback_enqueues_nothing(self, app):
        queue = Queue(app.config["RQ_QUEUE"], connection=app.extensions["kindred_redis"])
        jobs.enqueue(record, "never", 6)
        db.session.rollback()
        db.session.commit()
        assert queue.count == 0


def test_savepoint_release_is_not_a_commit(app, make_user):
    jobs.enqueue(record, "outer", 1)
    with db.session.begin_nested():
        UserFactory()
        jobs.enqueue(record, "inside", 2)
    assert CALLS == []  # releasing a savepoint commits nothing
    db.session.commit()
    assert [c["args"] for c in CALLS] == [("outer", 1), ("inside", 2)]


def test_savepoint_rollback_keeps_the_outer_jobs(app, make_user):
    jobs.enqueue(record, "outer", 1)
    savepoint = db.session.begin_nested()
    UserFactory()
    savepoint.rollback()
    assert CALLS == []
    db.session.commit()
    assert [c["args"] for c in CALLS] == [("outer", 1)]


def test_full_rollback_after_a_savepoint_drops_everything(app, make_user):
    jobs.enqueue(record, "outer", 1)
    with db.session.begin_nested():
        UserFactory()
        jobs.enqueue(record, "inside", 2)
    db.session.rollback()
    db.session.commit()
    assert CALLS == []
