"""WSGI entry point: what gunicorn and `flask --app wsgi` load.

The web process also keeps the periodic jobs alive: without Redis it runs
them on its own timer; with Redis, a watchdog sweeps the outbox whenever
`rq cron` has been silent too long (community/mail/outbox.py).
"""

import sys

from community import create_app, jobs
from community.mail import outbox

app = create_app()

# `flask --app wsgi db upgrade` and other commands load this file too: only a
# server (gunicorn) starts the background threads.
if "flask" not in sys.argv[0].rsplit("/", 1)[-1]:
    if app.config["IN_PROCESS_SCHEDULER"]:
        jobs.start_in_process_scheduler(app)
    else:
        outbox.start_sweep_watchdog(app)
