"""The chaos suite, long version: the production layout under load for minutes
while Redis, the worker, the scheduler, PostgreSQL and SMTP fail in turn.

    .venv/bin/python bench/chaos.py             # Redis down 20 s, SMTP 421 for 60 s
    .venv/bin/python bench/chaos.py --quick     # the CI timings (tests/chaos)

Everything is started by the script (its own PostgreSQL cluster, Redis and
SMTP server on free ports; see tests/chaos/rig.py) and stopped at the end.
Prints the figures as JSON and writes them to bench/results/chaos.json; copy
them to docs/BENCHMARKS.md (Resilience).
"""

from __future__ import annotations

import argparse
import json

from common import save_results  # puts the repository root on sys.path

from tests.chaos.rig import Timing, run


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--quick", action="store_true", help="the short CI timings")
    parser.add_argument("--requests", type=int, default=60, help="help requests to answer")
    parser.add_argument(
        "--recovery", type=float, default=600.0, help="seconds to wait for the outbox to settle"
    )
    args = parser.parse_args()
    if args.quick:
        timing = Timing()
    else:
        timing = Timing(
            redis_outage=20.0,
            smtp_421=60.0,
            load_after_faults=30.0,
            recovery_deadline=args.recovery,
        )
        # Production's grace and stale claim, shortened only enough to keep the run
        # under ten minutes; the supervisor's and the retries' backoff as shipped.
        timing.env.update(
            OUTBOX_SWEEP_SECONDS="30",
            OUTBOX_SWEEP_INTERVAL_SECONDS="15",
            OUTBOX_STALE_CLAIM_SECONDS="60",
            SWEEP_WATCHDOG_SECONDS="45",
            SUPERVISE_FIRST_DELAY="1",
            SUPERVISE_MAX_DELAY="30",
            MAIL_RETRY_SECONDS="10,30,60,120,240",
        )
    report = run(timing, requests_wanted=args.requests)
    summary = {
        "timing": report.timing,
        **report.summary(),
        "unexpected_5xx_detail": [e[1:] for e in report.unexpected_server_errors()],
    }
    path = save_results("chaos", summary)
    print(json.dumps(summary, indent=2, default=str))
    print(f"written to {path}")


if __name__ == "__main__":
    main()
