"""The home feed of a member who follows 500 people, against the request board,
throughput under load (issue 6's benchmark; target: the feed at least 80% of the board).

    .venv/bin/python bench/feed.py                       # both engines, the 100k databases
    .venv/bin/python bench/feed.py --engines sqlite --duration 10

Needs the bench databases (bench/seed.py). Per engine, in this one run, logged
in as the bench member:

0. The follows: the bench member follows ``--follows`` (500) members, the
   authors of the newest open or matched requests first (``--active``, so the
   feed has requests in it) and the rest drawn at random; and each of those
   follows ``--their-follows`` others (so the feed's "started following"
   source has rows too). Bulk inserted, idempotently: the same database and
   ``--seed`` always give the same rows, dated from the newest request (not
   from the clock), and a rerun adds nothing (``ON CONFLICT DO NOTHING``);
   the bench member's follows outside the set are removed. Then ``ANALYZE
   follows``.
1. Latency through the application (Flask's test client, the whole request)
   of ``GET /feed`` against ``GET /requests``, interleaved, medians of
   ``--repeat``; the SQL statements of one feed request (count and time,
   slowest first); and the feed's parts alone (``feed.feed_page``,
   ``people_to_meet``, ``onboarding_steps``, ``follows_anyone``), to tell which
   one costs what.
2. Throughput under load, with the shared harness (bench/harness.py): the site served by
   gunicorn as the Procfile serves it (``-w 1 --threads N``) and the Flask hello
   world (bench/hello.py) by the same settings; ``wrk`` drives the feed, the
   board and the hello world in turn with the same connections for
   ``--duration`` seconds, after a 2-second warm-up each, ``--rounds`` times;
   the medians in requests per second are compared: feed / board (target at
   least 0.8).

Everything listens and sends on the loopback address only, every load run is
bounded in time, and the servers are stopped by their process ids.
"""

from __future__ import annotations

import argparse
import random
import time
from collections import Counter
from datetime import timedelta

from common import (
    BENCH_EMAIL,
    check_bench_url,
    database_url,
    fmt_seconds,
    make_app,
    median,
    parse_size,
    save_results,
)
from harness import (
    HOST,
    check_pages,
    login_cookie,
    login_test_client,
    page_timings,
    site_and_hello,
    sql_of_one_request,
    under_load,
)

TARGET = 0.8  # the feed's throughput, at least this share of the board's


# --- the follows ----------------------------------------------------------------


def follow_members(url: str, count: int, active: int, their_follows: int, seed: int) -> dict:
    """Make the bench member follow ``count`` members (see the module docstring)."""
    from sqlalchemy import delete, func, select, text

    from community.accounts.models import User
    from community.db import db
    from community.helping.models import HelpRequest, RequestStatus
    from community.network import feed
    from community.network.models import Follow

    check_bench_url(url)
    app = make_app(url)
    with app.app_context():
        me = db.session.scalar(select(User.id).where(User.email == BENCH_EMAIL))
        if me is None:
            raise SystemExit(f"no {BENCH_EMAIL} in {url}: seed it with bench/seed.py")
        anchor = db.session.scalar(select(func.max(HelpRequest.created_at)))
        recent = db.session.scalars(
            select(HelpRequest.requester_id)
            .where(
                HelpRequest.status.in_([RequestStatus.OPEN, RequestStatus.MATCHED]),
                HelpRequest.requester_id != me,
            )
            .order_by(HelpRequest.created_at.desc(), HelpRequest.id.desc())
            .limit(active * 4)
        ).all()
        chosen = list(dict.fromkeys(recent))[:active]
        members = db.session.scalars(
            select(User.id).where(User.id != me, User.deleted_at.is_(None)).order_by(User.id)
        ).all()
        rng = random.Random(seed)
        taken = set(chosen)
        chosen += rng.sample([m for m in members if m not in taken], count - len(chosen))
        rows = [
            {
                "follower_id": me,
                "followed_id": followed,
                "created_at": anchor - timedelta(days=rng.uniform(1, 90)),
            }
            for followed in chosen
        ]
        for follower in chosen:
            others = [m for m in rng.sample(members, their_follows + 1) if m != follower]
            rows += [
                {
                    "follower_id": follower,
                    "followed_id": followed,
                    "created_at": anchor - timedelta(days=rng.uniform(0, 30)),
                }
                for followed in others[:their_follows]
            ]
        if db.engine.dialect.name == "sqlite":
            from sqlalchemy.dialects.sqlite import insert
        else:
            from sqlalchemy.dialects.postgresql import insert
        db.session.execute(
            delete(Follow).where(Follow.follower_id == me, Follow.followed_id.not_in(chosen))
        )
        before = db.session.scalar(select(func.count()).select_from(Follow))
        for first in range(0, len(rows), 5000):
            db.session.execute(
                insert(Follow.__table__).on_conflict_do_nothing(), rows[first : first + 5000]
            )
        db.session.commit()
        added = db.session.scalar(select(func.count()).select_from(Follow)) - before
        db.session.execute(text("ANALYZE follows"))
        db.session.commit()
        following = db.session.scalar(select(func.count()).where(Follow.follower_id == me))
        items, has_next = feed.feed_page(me)
        summary = {
            "member_id": me,
            "following": following,
            "follows_rows": db.session.scalar(select(func.count()).select_from(Follow)),
            "added": added,
            "first_page": dict(Counter(item.kind for item in items)),
            "has_next": has_next,
        }
        db.session.remove()
        db.engine.dispose()
    return summary


# --- latency through the app, and what one feed request does ------------------


def latency(url: str, repeat: int) -> dict:
    """``GET /feed`` and ``GET /requests`` through the app, interleaved; the SQL of one
    of each; and the feed's parts alone."""
    from sqlalchemy import select

    from community.accounts.models import User
    from community.db import db
    from community.network import feed

    app = make_app(url)
    client = app.test_client()
    login_test_client(client)
    paths = {"feed": "/feed", "board": "/requests"}
    pages, _ = page_timings(client, paths, repeat=repeat, warmup=5, budget=120)
    sql = {name: sql_of_one_request(app, client, path) for name, path in paths.items()}
    parts: dict[str, list[float]] = {}
    with app.app_context():
        me = db.session.scalar(select(User.id).where(User.email == BENCH_EMAIL))
        calls = {
            "feed_page": lambda user: feed.feed_page(user.id),
            "people_to_meet": feed.people_to_meet,
            "onboarding_steps": feed.onboarding_steps,
            "follows_anyone": lambda user: feed.follows_anyone(user.id),
        }
        for _ in range(min(repeat, 20)):
            for name, call in calls.items():
                db.session.remove()
                user = db.session.get(User, me)
                begin = time.perf_counter()
                call(user)
                parts.setdefault(name, []).append(time.perf_counter() - begin)
        db.session.remove()
        db.engine.dispose()
    return {
        "repetitions": len(pages["feed"]),
        "page_feed_median": median(pages["feed"]),
        "page_board_median": median(pages["board"]),
        "page_ratio": median(pages["feed"]) / median(pages["board"]),
        "sql": sql,
        "feed_parts_median": {name: median(times) for name, times in parts.items()},
    }


# --- throughput under load -----------------------------------------------------


def throughput(url: str, *, threads: int, connections: int, duration: int, rounds: int) -> dict:
    with site_and_hello(url, threads=threads, log_name="gunicorn-feed") as (site_port, hello_port):
        cookie = login_cookie(f"http://{HOST}:{site_port}")
        check_pages(site_port, cookie, ["/feed", "/requests"])
        measured = under_load(
            {
                "feed": (site_port, "/feed", cookie),
                "board": (site_port, "/requests", cookie),
                "hello": (hello_port, "/", None),
            },
            connections=connections,
            duration=duration,
            rounds=rounds,
        )
    rps = measured["rps"]
    return {
        "tool": measured["tool"],
        "threads": threads,
        "connections": connections,
        "duration": duration,
        "rounds": rounds,
        "runs": measured["runs"],
        "rps": rps,
        "feed_vs_board": rps["feed"] / rps["board"],
        "feed_vs_hello": rps["feed"] / rps["hello"],
        "board_vs_hello": rps["board"] / rps["hello"],
        "target": TARGET,
        "target_met": rps["feed"] / rps["board"] >= TARGET,
    }


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--engines", default="sqlite,postgresql")
    parser.add_argument("--size", default="100k", help="which bench database (volunteers)")
    parser.add_argument("--follows", type=int, default=500, help="members the bench member follows")
    parser.add_argument(
        "--active", type=int, default=100, help="of them, authors of the newest open requests"
    )
    parser.add_argument(
        "--their-follows", type=int, default=3, help="members each followed member follows"
    )
    parser.add_argument("--seed", type=int, default=7)
    parser.add_argument("--repeat", type=int, default=50, help="page loads each way")
    parser.add_argument("--threads", type=int, default=8, help="gunicorn --threads")
    parser.add_argument("--connections", type=int, default=8, help="concurrent connections")
    parser.add_argument("--duration", type=int, default=15, help="seconds of each load run")
    parser.add_argument("--rounds", type=int, default=2, help="load runs of each target")
    parser.add_argument("--skip-latency", action="store_true", help="load only")
    parser.add_argument("--skip-load", action="store_true", help="latency only")
    parser.add_argument("--name", default="feed", help="results file (bench/results/<name>.json)")
    args = parser.parse_args()
    results = {}
    for engine in args.engines.split(","):
        url = database_url(engine, parse_size(args.size))
        print(f"{engine}: {url.rsplit('/', 1)[-1]}", flush=True)
        follows = follow_members(url, args.follows, args.active, args.their_follows, args.seed)
        print(
            f"  follows: the bench member follows {follows['following']} "
            f"({follows['follows_rows']:,} follows rows, {follows['added']:,} added); "
            f"first feed page: {follows['first_page']}, older page: {follows['has_next']}",
            flush=True,
        )
        results[engine] = {"follows": follows}
        if not args.skip_latency:
            page = latency(url, args.repeat)
            print(
                f"  page: feed {fmt_seconds(page['page_feed_median'])}, board "
                f"{fmt_seconds(page['page_board_median'])}: feed/board time "
                f"{page['page_ratio']:.2f}",
                flush=True,
            )
            for name, one in page["sql"].items():
                print(
                    f"  sql of one {name}: {one['queries']} queries, "
                    f"{fmt_seconds(one['sql'])} of {fmt_seconds(one['page'])}; slowest "
                    f"{fmt_seconds(one['slowest'][0]['seconds'])}: "
                    f"{one['slowest'][0]['sql'][:100]}...",
                    flush=True,
                )
            print(
                "  feed parts alone: "
                + ", ".join(
                    f"{name} {fmt_seconds(seconds)}"
                    for name, seconds in page["feed_parts_median"].items()
                ),
                flush=True,
            )
            results[engine]["page"] = page
        if not args.skip_load:
            load = throughput(
                url,
                threads=args.threads,
                connections=args.connections,
                duration=args.duration,
                rounds=args.rounds,
            )
            print(
                f"  load: feed {load['rps']['feed']:.0f} req/s, board "
                f"{load['rps']['board']:.0f} req/s, hello world {load['rps']['hello']:.0f} req/s:"
                f" feed/board {load['feed_vs_board']:.3f} (target {TARGET}: "
                f"{'met' if load['target_met'] else 'NOT met'})",
                flush=True,
            )
            results[engine]["load"] = load
    data = {"size": args.size, "follows": args.follows, "results": results}
    print(f"results: {save_results(args.name, data)}")


if __name__ == "__main__":
    main()
