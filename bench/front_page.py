"""The front page for visitors against the request board, through the app and
under load (issue 14's benchmark: the front page is cached and cheap).

    .venv/bin/python bench/front_page.py                        # both engines
    .venv/bin/python bench/front_page.py --engines sqlite --duration 8

Builds its own bench database per engine (``bench/results/bench-front.sqlite3``,
``kindred_bench_front`` on PostgreSQL): bench/seed.py's community
(``--volunteers``, ``--requests``), then the demo community on top
(``flask seed-demo``: thank-yous, acts of help, came-back chains, profiles
with words), so the front page has all its parts. In this one run:

1. Latency through the application (Flask's test client, the whole request),
   interleaved, medians of ``--repeat``: ``GET /`` as a visitor (the shared
   part from the cache), ``GET /`` with the cache emptied before each request
   (a miss: what every visit cost before the cache), and ``GET /requests``
   logged in as the bench member; the SQL of one request of each.
2. Throughput under load, with the shared harness (bench/harness.py):
   gunicorn as the Procfile serves it, the visitor's front page, the logged-in
   board and the Flask hello world in turn, the same connections for
   ``--duration`` seconds, ``--rounds`` times; medians compared (front page /
   board). With ``--redis-url``, a second site whose cache is in Redis (as in
   production) is driven too.

Everything listens and sends on the loopback address only, every load run is
bounded in time, and the servers are stopped by their process ids.
"""

from __future__ import annotations

import argparse
import time

from common import (
    PG_SERVER,
    RESULTS,
    check_bench_url,
    fmt_seconds,
    make_app,
    median,
    parse_size,
    save_results,
)
from harness import (
    HOST,
    check_pages,
    gunicorn,
    login_cookie,
    login_test_client,
    site_and_hello,
    site_env,
    sql_of_one_request,
    under_load,
)
from seed import seed

from community.db import db
from community.demo import seed_demo_community
from community.site import cache, front_page

PATHS = {"front": "/", "board": "/requests"}


def bench_url(engine: str) -> str:
    if engine == "sqlite":
        return f"sqlite:///{RESULTS / 'bench-front.sqlite3'}"
    return f"{PG_SERVER}/kindred_bench_front"


def build(url: str, volunteers: int, requests: int) -> dict:
    """The bench community, then the demo community on top; returns their sizes."""
    check_bench_url(url)
    started = time.perf_counter()
    seeded = seed(url, volunteers, requests, 7, "board")
    # The demo sets the rate limits aside itself; the limiter must exist for that.
    app = make_app(url, RATELIMIT_ENABLED=True)
    with app.app_context():
        demo = seed_demo_community()
        shared = front_page.compute_shared()
        db.session.remove()
        db.engine.dispose()
    return {
        "volunteers": seeded["volunteers"],
        "requests": seeded["requests"],
        "demo_members": demo["members"],
        "figures": shared["figures"],
        "seconds": time.perf_counter() - started,
    }


def latency(url: str, repeat: int) -> dict:
    """The front page (cached, and a miss each time) and the board, interleaved."""
    app = make_app(url)
    visitor, member = app.test_client(), app.test_client()
    login_test_client(member)
    runs = {
        "front": lambda: visitor.get(PATHS["front"]),
        "front_miss": lambda: visitor.get(PATHS["front"]),
        "board": lambda: member.get(PATHS["board"]),
    }
    sizes = {}
    for name, run in runs.items():
        response = run()
        if response.status_code != 200:
            raise SystemExit(f"{name}: {response.status_code}")
        sizes[name] = len(response.data)
        for _ in range(5):
            run()
    times: dict[str, list[float]] = {name: [] for name in runs}
    started = time.perf_counter()
    for _ in range(repeat):
        for name, run in runs.items():
            if name == "front_miss":
                with app.app_context():
                    cache.forget(front_page.CACHE_KEY)
            begin = time.perf_counter()
            run()
            times[name].append(time.perf_counter() - begin)
        if time.perf_counter() - started > 120:
            break
    sql = {
        "front": sql_of_one_request(app, visitor, PATHS["front"]),
        "board": sql_of_one_request(app, member, PATHS["board"]),
    }
    with app.app_context():
        cache.forget(front_page.CACHE_KEY)
    sql["front_miss"] = sql_of_one_request(app, visitor, PATHS["front"])
    with app.app_context():
        db.session.remove()
        db.engine.dispose()
    medians = {name: median(values) for name, values in times.items()}
    return {
        "repetitions": len(times["board"]),
        "median": medians,
        "bytes": sizes,
        "sql": sql,
        "front_vs_board": medians["front"] / medians["board"],
        "miss_vs_board": medians["front_miss"] / medians["board"],
    }


def throughput(
    url: str, *, threads: int, connections: int, duration: int, rounds: int, redis_url: str | None
) -> dict:
    with site_and_hello(url, threads=threads, log_name="gunicorn-front") as (site, hello):
        cookie = login_cookie(f"http://{HOST}:{site}")
        check_pages(site, cookie, [PATHS["board"]])
        check_pages(site, "", [PATHS["front"]])
        targets = {
            "front": (site, PATHS["front"], None),
            "board": (site, PATHS["board"], cookie),
            "hello": (hello, "/", None),
        }
        if redis_url:
            env = site_env(url, redis_url=redis_url)
            with gunicorn(
                "wsgi:app", threads=threads, env=env, log_name="gunicorn-front-redis"
            ) as (shared):
                check_pages(shared, "", [PATHS["front"]])
                targets["front_redis"] = (shared, PATHS["front"], None)
                measured = under_load(
                    targets, connections=connections, duration=duration, rounds=rounds
                )
        else:
            measured = under_load(
                targets, connections=connections, duration=duration, rounds=rounds
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
        "front_vs_board": rps["front"] / rps["board"],
        "front_vs_hello": rps["front"] / rps["hello"],
        "board_vs_hello": rps["board"] / rps["hello"],
        **({"front_redis_vs_board": rps["front_redis"] / rps["board"]} if redis_url else {}),
    }


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--engines", default="sqlite,postgresql")
    parser.add_argument("--volunteers", default="10k")
    parser.add_argument("--requests", default="20k")
    parser.add_argument("--repeat", type=int, default=100, help="page loads each way")
    parser.add_argument("--threads", type=int, default=8, help="gunicorn --threads")
    parser.add_argument("--connections", type=int, default=8, help="concurrent connections")
    parser.add_argument("--duration", type=int, default=10, help="seconds of each load run")
    parser.add_argument("--rounds", type=int, default=2, help="load runs of each target")
    parser.add_argument("--redis-url", help="also drive a site whose cache is in this Redis")
    parser.add_argument("--skip-load", action="store_true", help="latency only")
    parser.add_argument("--name", default="front_page", help="bench/results/<name>.json")
    args = parser.parse_args()
    results = {}
    started = time.perf_counter()
    for engine in args.engines.split(","):
        url = bench_url(engine)
        built = build(url, parse_size(args.volunteers), parse_size(args.requests))
        print(
            f"{engine}: {built['volunteers']:,} volunteers, {built['requests']:,} requests and "
            f"the demo community ({built['figures']}) in {built['seconds']:.0f} s",
            flush=True,
        )
        results[engine] = {"built": built}
        page = latency(url, args.repeat)
        print(
            "  page: "
            + ", ".join(
                f"{name} {fmt_seconds(seconds)} ({page['bytes'][name] // 1024} KiB, "
                f"{page['sql'][name]['queries']} queries, "
                f"SQL {fmt_seconds(page['sql'][name]['sql'])})"
                for name, seconds in page["median"].items()
            )
            + f": front/board {page['front_vs_board']:.2f}, miss/board {page['miss_vs_board']:.2f}",
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
                redis_url=args.redis_url,
            )
            rps = load["rps"]
            print(
                f"  load: front {rps['front']:.0f} req/s, board {rps['board']:.0f} req/s, "
                f"hello {rps['hello']:.0f} req/s: front/board {load['front_vs_board']:.2f}"
                + (
                    f"; front with the cache in Redis {rps['front_redis']:.0f} req/s "
                    f"({load['front_redis_vs_board']:.2f} of the board)"
                    if args.redis_url
                    else ""
                ),
                flush=True,
            )
            results[engine]["load"] = load
    data = {"results": results, "seconds": time.perf_counter() - started}
    print(f"results: {save_results(args.name, data)} ({data['seconds']:.0f} s)")


if __name__ == "__main__":
    main()
