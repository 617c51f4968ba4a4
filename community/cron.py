"""Periodic jobs for ``rq cron community/cron.py`` (production, with Redis).

The list lives in :data:`community.jobs.PERIODIC`; this file only hands it
to RQ's cron scheduler, which enqueues each job on the app's queue.
"""

import os

from rq import cron

from community.jobs import PERIODIC, run_job

for _job in PERIODIC:
    cron.register(
        run_job,
        queue_name=os.environ.get("RQ_QUEUE", "kindred"),
        args=(_job.path,),
        interval=_job.interval_seconds,
        name=_job.name,
    )
