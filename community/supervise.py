"""Keep a process running: restart it with backoff whenever it exits.

``python -m community.supervise -- rq worker --with-scheduler ...``

The RQ worker and ``rq cron`` exit when Redis goes away. Under systemd
(``Restart=always``) that is enough; on Heroku-style platforms, where a
process type that exits is restarted slowly or not at all, the Procfile runs
them under this supervisor, so they come back as soon as Redis does.

Rules: the child is restarted after any exit, first after
:data:`FIRST_DELAY` seconds, doubling up to :data:`MAX_DELAY` while it keeps
dying quickly; a child that ran for :data:`HEALTHY_AFTER` seconds starts the
backoff over. SIGTERM and SIGINT are passed to the child, and the supervisor
exits with it (a platform stopping the process is not a crash).
"""

from __future__ import annotations

import logging
import os
import signal
import subprocess
import sys
import time

log = logging.getLogger("community.supervise")

FIRST_DELAY = float(os.environ.get("SUPERVISE_FIRST_DELAY") or 1.0)
MAX_DELAY = float(os.environ.get("SUPERVISE_MAX_DELAY") or 30.0)
HEALTHY_AFTER = 60.0


def next_delay(previous: float, ran_for: float) -> float:
    """The wait before the next start, given the last wait and how long the child ran."""
    if ran_for >= HEALTHY_AFTER:
        return FIRST_DELAY
    return min(MAX_DELAY, max(FIRST_DELAY, previous * 2))


def supervise(command: list[str]) -> int:
    stopping: list[int] = []
    child: subprocess.Popen | None = None

    def forward(signum, frame) -> None:
        stopping.append(signum)
        if child is not None and child.poll() is None:
            child.send_signal(signum)

    signal.signal(signal.SIGTERM, forward)
    signal.signal(signal.SIGINT, forward)
    delay = 0.0
    while True:
        started = time.monotonic()
        child = subprocess.Popen(command)  # noqa: S603  (the operator's own command line)
        log.info("started %s (pid %s)", " ".join(command), child.pid)
        code = child.wait()
        if stopping:
            return code
        ran_for = time.monotonic() - started
        delay = next_delay(delay, ran_for)
        log.warning(
            "%s exited with %s after %.0f s; restarting in %.0f s",
            command[0],
            code,
            ran_for,
            delay,
        )
        # Sleep in small steps so that a stop signal ends the wait.
        deadline = time.monotonic() + delay
        while time.monotonic() < deadline and not stopping:
            time.sleep(min(0.2, deadline - time.monotonic()))
        if stopping:
            return code


def main(argv: list[str] | None = None) -> int:
    args = list(sys.argv[1:] if argv is None else argv)
    if args[:1] == ["--"]:
        args = args[1:]
    if not args:
        print("usage: python -m community.supervise -- COMMAND [ARGS...]", file=sys.stderr)
        return 2
    logging.basicConfig(
        level=os.environ.get("SUPERVISE_LOG_LEVEL", "INFO"),
        format="%(asctime)s supervise[%(process)d] %(levelname)s %(message)s",
    )
    return supervise(args)


if __name__ == "__main__":
    sys.exit(main())
