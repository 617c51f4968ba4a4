"""Requests find their helpers: choosing whom to ask about a new request, against
the engine's own suggestion call, and the weekly digest of requests that fit.

    .venv/bin/python bench/asks.py                        # both engines, 10k and 100k
    .venv/bin/python bench/asks.py --engines sqlite --sizes 100k --repeat 5

Needs the bench databases (bench/seed.py; ``--sqlite-url`` and
``--postgresql-url`` name others).
For each engine, in this one run:

* choose: for the probe request and the newest open requests, in a fresh
  session each time, ``asks.choose_volunteers(request, ASKS_PER_REQUEST)``
  (the engine's suggestions with every candidate scored, less those asked
  already and those at their weekly cap, reordered by "not for me", the
  chosen offers locked; rolled back) against
  ``matching.suggest_volunteers(request)`` (its top 10), interleaved request
  by request; the median of each per request, and the median of the ratios.
  Only on the largest size.
* digest: every volunteer (or every Nth, ``--opt-in-every``) chooses the
  weekly digest (one preference row each), then
  ``fitting.send_weekly_digests()`` runs once over all of them, timed, with
  every SQL statement counted. The emails are rendered and written to the
  outbox, as in production; handing each to RQ (the worker's job, after the
  commit) is replaced by a counter. Statements per volunteer at each size
  show whether they grow with the community. The bench's own rows
  (preferences, digests, outbox, notifications) are removed after.

Writes bench/results/asks.json.
"""

from __future__ import annotations

import argparse
import gc
import time
from datetime import timedelta

from common import database_url, fmt_seconds, make_app, median, parse_size, save_results, size_label

PROBE_REQUEST_ID = 1
KIND = "requests_that_fit"


def _url(engine: str, size: int, templates: dict[str, str]) -> str:
    if engine in templates:
        return templates[engine].format(size=size_label(size))
    return database_url(engine, size)


def _requests_to_ask(count: int) -> list[int]:
    """The probe and the newest open requests: what a round of asks is about."""
    from sqlalchemy import select

    from community.db import db
    from community.helping.models import HelpRequest, RequestStatus

    newest = db.session.scalars(
        select(HelpRequest.id)
        .where(HelpRequest.status == RequestStatus.OPEN, HelpRequest.id != PROBE_REQUEST_ID)
        .order_by(HelpRequest.created_at.desc())
        .limit(count - 1)
    ).all()
    return [PROBE_REQUEST_ID, *newest]


def _load(request_id: int):
    from sqlalchemy.orm import joinedload, selectinload

    from community.accounts.models import User
    from community.db import db
    from community.helping.models import HelpRequest

    return db.session.get(
        HelpRequest,
        request_id,
        options=[
            joinedload(HelpRequest.requester).joinedload(User.profile),
            joinedload(HelpRequest.genre),
            selectinload(HelpRequest.skills),
        ],
    )


def _timed(app, function, request_id: int) -> tuple[float, list[int]]:
    from community.db import db

    with app.app_context():
        db.session.remove()
        gc.collect()
        request = _load(request_id)
        begin = time.perf_counter()
        chosen = function(request)
        elapsed = time.perf_counter() - begin
        ids = [s.volunteer.id for s in chosen]
        db.session.rollback()
        db.session.remove()
    return elapsed, ids


def measure_choose(app, requests: int, repeat: int) -> dict:
    from community.db import utcnow
    from community.helping import asks, matching

    per_request = app.config["ASKS_PER_REQUEST"]
    with app.app_context():
        request_ids = _requests_to_ask(requests)

    def choose(request):
        return asks.choose_volunteers(request, per_request, utcnow())

    rows = []
    started = time.perf_counter()
    for request_id in request_ids:
        suggest_times, choose_times = [], []
        for attempt in range(repeat + 1):  # the first warms the caches
            suggested, suggested_ids = _timed(app, matching.suggest_volunteers, request_id)
            chosen, chosen_ids = _timed(app, choose, request_id)
            if attempt:
                suggest_times.append(suggested)
                choose_times.append(chosen)
        row = {
            "request_id": request_id,
            "suggest_seconds": suggest_times,
            "choose_seconds": choose_times,
            "suggest_median": median(suggest_times),
            "choose_median": median(choose_times),
            "ratio": median(choose_times) / median(suggest_times),
            "chosen_in_top_suggested": len(set(chosen_ids) & set(suggested_ids)),
            "chosen": len(chosen_ids),
        }
        print(
            f"  request {request_id:>6}: suggest {fmt_seconds(row['suggest_median'])}, "
            f"choose {fmt_seconds(row['choose_median'])}, ratio {row['ratio']:.3f} "
            f"({row['chosen_in_top_suggested']}/{row['chosen']} chosen among the top 10)",
            flush=True,
        )
        rows.append(row)
        if time.perf_counter() - started > 900:
            break
    return {
        "requests": rows,
        "suggest_median": median([r["suggest_median"] for r in rows]),
        "choose_median": median([r["choose_median"] for r in rows]),
        "ratio_median": median([r["ratio"] for r in rows]),
        "ratio_max": max(r["ratio"] for r in rows),
    }


def _clean(app) -> None:
    """Remove what a digest run leaves (and the preferences it sets)."""
    from sqlalchemy import text

    from community.db import db

    with app.app_context():
        for statement in (
            "DELETE FROM request_digest_items",
            "DELETE FROM request_digests",
            f"DELETE FROM notifications WHERE kind = '{KIND}'",
            "DELETE FROM outbox_emails WHERE template = 'requests_that_fit'",
            f"DELETE FROM notification_preferences WHERE kind = '{KIND}'",
        ):
            db.session.execute(text(statement))
        db.session.commit()


def measure_digest(app, every: int) -> dict:
    from sqlalchemy import event, func, select, text

    from community import jobs
    from community.db import db, utcnow
    from community.helping import fitting
    from community.helping.models import RequestDigest, VolunteerOffer

    _clean(app)
    with app.app_context():
        db.session.execute(
            text(
                "INSERT INTO notification_preferences (user_id, kind, delivery) "
                f"SELECT user_id, '{KIND}', 'weekly' FROM volunteer_offers "
                f"WHERE user_id % {int(every)} = 0"
            )
        )
        db.session.commit()
        volunteers = db.session.scalar(select(func.count(VolunteerOffer.user_id)))
    handed_over = []
    statements = []
    original_dispatch = jobs.dispatch

    def count(conn, cursor, statement, parameters, context, executemany):
        statements.append(1)

    jobs.dispatch = lambda path, args, retry=None, job_id=None: handed_over.append(path) or True
    try:
        with app.app_context():
            db.session.remove()
            gc.collect()
            event.listen(db.engine, "before_cursor_execute", count)
            begin = time.perf_counter()
            sent = fitting.send_weekly_digests(utcnow() + timedelta(minutes=1))
            elapsed = time.perf_counter() - begin
            event.remove(db.engine, "before_cursor_execute", count)
            looked_at = db.session.scalar(select(func.count(RequestDigest.id)))
            shown = db.session.scalar(select(func.sum(RequestDigest.request_count)))
    finally:
        jobs.dispatch = original_dispatch
    _clean(app)
    result = {
        "volunteers": volunteers,
        "opted_in_every": every,
        "looked_at": looked_at,
        "emails": sent,
        "requests_shown": shown or 0,
        "seconds": elapsed,
        "statements": len(statements),
        "statements_per_volunteer": len(statements) / max(looked_at, 1),
        "ms_per_volunteer": 1000 * elapsed / max(looked_at, 1),
        "jobs_handed_over": len(handed_over),
        "batch": fitting.BATCH,
    }
    print(
        f"  digest: {looked_at:,} volunteers looked at, {sent:,} emails "
        f"({result['requests_shown']:,} requests shown) in {fmt_seconds(elapsed)} "
        f"({result['ms_per_volunteer']:.2f} ms a volunteer), "
        f"{len(statements):,} statements ({result['statements_per_volunteer']:.2f} a volunteer)",
        flush=True,
    )
    return result


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--engines", default="sqlite,postgresql")
    parser.add_argument("--sizes", default="10k,100k", help="digest sizes; choose runs on the last")
    parser.add_argument("--requests", type=int, default=7, help="requests to choose for")
    parser.add_argument("--repeat", type=int, default=7, help="timed runs per request")
    parser.add_argument(
        "--opt-in-every",
        type=int,
        default=1,
        help="every Nth volunteer chooses the digest (1: all of them)",
    )
    parser.add_argument("--skip-choose", action="store_true")
    parser.add_argument("--skip-digest", action="store_true")
    for engine in ("sqlite", "postgresql"):
        parser.add_argument(
            f"--{engine}-url",
            help=f"the {engine} bench databases instead of bench/seed.py's default, "
            "with {size} for the size (e.g. .../kindred_bench_mine_{size})",
        )
    args = parser.parse_args()
    sizes = [parse_size(size) for size in args.sizes.split(",")]
    results = []
    for engine in args.engines.split(","):
        for size in sizes:
            templates = {
                name: url
                for name, url in (("sqlite", args.sqlite_url), ("postgresql", args.postgresql_url))
                if url
            }
            app = make_app(_url(engine, size, templates), ASKS_PER_REQUEST=5)
            print(f"{engine} {size_label(size)}:", flush=True)
            row = {"engine": engine, "size": size}
            if not args.skip_choose and size == sizes[-1]:
                row["choose"] = measure_choose(app, args.requests, args.repeat)
                print(
                    f"  choose / suggest: median {row['choose']['ratio_median']:.3f}, "
                    f"worst {row['choose']['ratio_max']:.3f}",
                    flush=True,
                )
            if not args.skip_digest:
                row["digest"] = measure_digest(app, args.opt_in_every)
            results.append(row)
            from community.db import db

            with app.app_context():
                db.engine.dispose()
    path = save_results("asks", {"results": results})
    print(f"results: {path}")


if __name__ == "__main__":
    main()
