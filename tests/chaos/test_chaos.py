"""The chaos suite, short version (CI): the production layout under load while
Redis, the worker, the scheduler, PostgreSQL and SMTP fail in turn.

See tests/chaos/rig.py for what is started and broken; bench/chaos.py runs
the long version and writes its figures to docs/BENCHMARKS.md.
"""

from __future__ import annotations

import glob
import shutil

import pytest

from tests.chaos.rig import BOUNCE, Timing, run

pytestmark = pytest.mark.chaos

needs = [
    shutil.which("redis-server"),
    shutil.which("runuser"),
    glob.glob("/usr/lib/postgresql/*/bin/initdb"),
]


@pytest.mark.timeout(420)
@pytest.mark.skipif(not all(needs), reason="needs redis-server, runuser and PostgreSQL's binaries")
def test_nothing_is_lost_and_nothing_answers_500_while_parts_fail():
    report = run(Timing(), requests_wanted=15)
    summary = report.summary()
    print(summary)

    assert sum(report.seen.responses.values()) > 50, "the load did not run"
    assert report.seen.signups > 5

    # Every email committed is delivered exactly once, but the one refused with 550.
    assert report.emails_pending_at_end == 0, summary
    assert report.emails_lost == [], summary
    assert report.emails_doubled == {}, summary
    assert report.emails_unknown == [], summary
    assert list(report.emails_failed) == [BOUNCE], summary
    assert "550" in report.emails_failed[BOUNCE]

    # Every acknowledged chat message is stored once and delivered once.
    acked = report.seen.chat_acked
    assert len(acked) > 10, summary
    assert all(report.messages_stored[c] == 1 for c in acked), summary
    assert all(report.seen.chat_live[c] <= 1 for c in acked), summary
    assert all(report.seen.chat_live[c] or c in report.messages_synced for c in acked), summary

    # The worker and rq cron came back by themselves.
    assert report.worker_alive and report.scheduler_alive, summary
    assert report.worker_restarts >= 1 and report.scheduler_restarts >= 1, summary

    assert report.unexpected_server_errors() == [], summary
