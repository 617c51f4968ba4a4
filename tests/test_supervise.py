"""The supervisor that keeps the worker and `rq cron` running (Procfile)."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import time
from pathlib import Path

from community.supervise import FIRST_DELAY, HEALTHY_AFTER, MAX_DELAY, next_delay

ROOT = Path(__file__).resolve().parent.parent


def test_backoff_doubles_while_the_child_dies_quickly_and_resets_after_a_good_run():
    delay = 0.0
    waits = []
    for _ in range(8):
        delay = next_delay(delay, ran_for=0.1)
        waits.append(delay)
    assert waits[0] == FIRST_DELAY
    assert waits == sorted(waits) and waits[-1] == MAX_DELAY
    assert next_delay(MAX_DELAY, ran_for=HEALTHY_AFTER) == FIRST_DELAY


def supervise(tmp_path: Path, child: str) -> subprocess.Popen:
    env = {**os.environ, "SUPERVISE_FIRST_DELAY": "0.05", "SUPERVISE_MAX_DELAY": "0.2"}
    return subprocess.Popen(
        [sys.executable, "-m", "community.supervise", "--", sys.executable, "-c", child],
        cwd=ROOT,
        env=env,
        stderr=subprocess.PIPE,
        text=True,
    )


def wait_for(predicate, timeout: float = 30.0) -> bool:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if predicate():
            return True
        time.sleep(0.05)
    return predicate()


def test_a_child_that_exits_is_started_again(tmp_path):
    starts = tmp_path / "starts"
    child = f"open({str(starts)!r}, 'a').write('x'); raise SystemExit(1)"
    process = supervise(tmp_path, child)
    try:
        assert wait_for(lambda: starts.exists() and len(starts.read_text()) >= 3)
    finally:
        process.send_signal(signal.SIGTERM)
        process.wait(timeout=30)
    assert "restarting in" in process.stderr.read()


def test_a_stop_signal_reaches_the_child_and_ends_the_supervisor(tmp_path):
    pid_file = tmp_path / "pid"
    child = (
        "import os, signal, time\n"
        f"open({str(pid_file)!r}, 'w').write(str(os.getpid()))\n"
        "signal.signal(signal.SIGTERM, lambda *a: os._exit(0))\n"
        "time.sleep(600)\n"
    )
    process = supervise(tmp_path, child)
    assert wait_for(lambda: pid_file.exists() and pid_file.read_text())
    child_pid = int(pid_file.read_text())
    process.send_signal(signal.SIGTERM)
    assert process.wait(timeout=30) == 0
    assert (
        not Path(f"/proc/{child_pid}").exists()
        or "zombie" in Path(f"/proc/{child_pid}/status").read_text().lower()
    )
