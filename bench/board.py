"""The request board: the cost of searching and filtering, and throughput under load.

    .venv/bin/python bench/board.py                      # both engines, the 100k databases
    .venv/bin/python bench/board.py --engines sqlite --duration 10

Needs the bench databases (bench/seed.py). Two measurements per engine, in
this one run, logged in as the bench member:

1. Latency through the application (Flask's test client, the whole request:
   login session, query, template): ``GET /requests?q=<term>&skill=<slug>``
   against ``GET /requests``, interleaved, medians of ``--repeat`` each.
   Also the domain call alone (``requests.board_page``) both ways.
2. Throughput under load: the site served by gunicorn as the Procfile serves
   it (``-w 1 --threads N``, threading) against the seeded database, and a
   Flask hello world (bench/hello.py) served by the same gunicorn settings;
   ``wrk`` (Debian's package) drives each on 127.0.0.1 with the same
   connections for ``--duration`` seconds, alternately, twice; requests per
   second compared. Without wrk, a bounded Python threaded client does it.

Everything listens and sends on the loopback address only, and every load
loop is bounded in time and count.
"""

from __future__ import annotations

import argparse
import time
import urllib.parse

from common import database_url, fmt_seconds, make_app, median, parse_size, save_results
from harness import (
    HOST,
    check_pages,
    login_cookie,
    login_test_client,
    page_timings,
    site_and_hello,
    under_load,
)

# --- latency through the app -------------------------------------------------


def search_hits(term: str) -> int:
    from sqlalchemy import func, select

    from community.db import db
    from community.helping import search

    hits = search.matching_ids(term)
    return db.session.scalar(select(func.count()).select_from(hits)) if hits is not None else 0


def latency(url: str, terms: list[str], skill: str, repeat: int) -> dict:
    """The plain board and the board searched for each term (with the skill filter),
    interleaved, through the app; then ``requests.board_page`` alone, the same way."""
    from sqlalchemy import text

    from community.db import db
    from community.helping import requests

    app = make_app(url)
    paths = {"": "/requests"} | {
        term: "/requests?" + urllib.parse.urlencode({"q": term, "skill": skill}) for term in terms
    }
    with app.app_context():
        hits = {term: search_hits(term) for term in terms}
        shown = {
            term: len(requests.board_page(requests.BoardFilters(q=term, skill=skill)).items)
            for term in terms
        }
        total = db.session.scalar(text("SELECT count(*) FROM help_requests"))
    client = app.test_client()
    login_test_client(client)
    pages, _ = page_timings(client, paths, repeat=repeat, warmup=10, budget=180)
    domain: dict[str, list[float]] = {term: [] for term in paths}
    with app.app_context():
        for _ in range(min(repeat, 100)):
            for term in paths:
                filters = (
                    requests.BoardFilters(q=term, skill=skill) if term else requests.BoardFilters()
                )
                db.session.remove()
                begin = time.perf_counter()
                requests.board_page(filters)
                domain[term].append(time.perf_counter() - begin)
        db.session.remove()
        db.engine.dispose()
    plain, plain_domain = median(pages[""]), median(domain[""])
    return {
        "skill": skill,
        "requests": total,
        "repetitions": len(pages[""]),
        "page_plain_median": plain,
        "domain_plain_median": plain_domain,
        "terms": [
            {
                "term": term,
                "search_hits": hits[term],
                "hit_share": hits[term] / total,
                "items_shown": shown[term],
                "page_searched_median": median(pages[term]),
                "page_ratio": median(pages[term]) / plain,
                "domain_searched_median": median(domain[term]),
                "domain_ratio": median(domain[term]) / plain_domain,
            }
            for term in terms
        ],
    }


# --- throughput under load ----------------------------------------------------


def throughput(
    url: str, term: str, skill: str, *, threads: int, connections: int, duration: int, rounds: int
) -> dict:
    searched_path = "/requests?" + urllib.parse.urlencode({"q": term, "skill": skill})
    with site_and_hello(url, threads=threads, log_name="gunicorn-site") as (site_port, hello_port):
        cookie = login_cookie(f"http://{HOST}:{site_port}")
        check_pages(site_port, cookie, ["/requests"])
        measured = under_load(
            {
                "board": (site_port, "/requests", cookie),
                "board_searched": (site_port, searched_path, cookie),
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
        "board_vs_hello": rps["board"] / rps["hello"],
        "board_searched_vs_hello": rps["board_searched"] / rps["hello"],
    }


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--engines", default="sqlite,postgresql")
    parser.add_argument("--size", default="100k", help="which bench database (volunteers)")
    parser.add_argument(
        "--terms",
        default="lighthouse,ventriloquist",
        help="search terms; the first is the headline",
    )
    parser.add_argument("--skill", default="beta-reading", help="the skill filter (a slug)")
    parser.add_argument("--repeat", type=int, default=200, help="page loads each way")
    parser.add_argument("--threads", type=int, default=8, help="gunicorn --threads")
    parser.add_argument("--connections", type=int, default=8, help="concurrent connections")
    parser.add_argument("--duration", type=int, default=15, help="seconds of each load run")
    parser.add_argument("--rounds", type=int, default=2, help="load runs of each target")
    parser.add_argument("--skip-load", action="store_true", help="latency only")
    parser.add_argument(
        "--url", action="append", help="a database URL instead of --engines/--size (repeatable)"
    )
    parser.add_argument("--name", help="results file name (bench/results/<name>.json)")
    args = parser.parse_args()
    results = {}
    targets = (
        [
            (url.split(":", 1)[0].split("+")[0] + " " + url.rsplit("/", 1)[-1], url)
            for url in args.url
        ]
        if args.url
        else [
            (engine, database_url(engine, parse_size(args.size)))
            for engine in args.engines.split(",")
        ]
    )
    for engine, url in targets:
        print(f"{engine}: {url.rsplit('/', 1)[-1]}", flush=True)
        terms = args.terms.split(",")
        page = latency(url, terms, args.skill, args.repeat)
        print(
            f"  page: plain {fmt_seconds(page['page_plain_median'])} "
            f"(board_page() alone {fmt_seconds(page['domain_plain_median'])})",
            flush=True,
        )
        for row in page["terms"]:
            print(
                f"  page: q={row['term']!r} skill={args.skill} "
                f"{fmt_seconds(row['page_searched_median'])} ({row['search_hits']:,} search hits,"
                f" {row['hit_share']:.1%}): ratio {row['page_ratio']:.3f}; board_page() alone "
                f"{fmt_seconds(row['domain_searched_median'])}",
                flush=True,
            )
        results[engine] = {"page": page}
        if not args.skip_load:
            load = throughput(
                url,
                terms[0],
                args.skill,
                threads=args.threads,
                connections=args.connections,
                duration=args.duration,
                rounds=args.rounds,
            )
            print(
                f"  load: board {load['rps']['board']:.0f} req/s, searched "
                f"{load['rps']['board_searched']:.0f} req/s, hello world "
                f"{load['rps']['hello']:.0f} req/s: board/hello {load['board_vs_hello']:.3f}",
                flush=True,
            )
            results[engine]["load"] = load
    name = args.name or ("board" if not args.url else "board-urls")
    print(f"results: {save_results(name, {'size': args.size, 'results': results})}")


if __name__ == "__main__":
    main()
