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
import http.client
import http.cookiejar
import os
import re
import shutil
import socket
import subprocess
import threading
import time
import urllib.parse
import urllib.request
from contextlib import contextmanager

from common import (
    BENCH_EMAIL,
    BENCH_PASSWORD,
    BENCH_SECRET_KEY,
    RESULTS,
    ROOT,
    database_url,
    fmt_seconds,
    make_app,
    median,
    parse_size,
    save_results,
)

HOST = "127.0.0.1"  # loopback only
CSRF = re.compile(r'name="csrf_token"[^>]*value="([^"]+)"')
MAX_DURATION = 120  # seconds: no load run lasts longer, whatever is asked


# --- latency through the app -------------------------------------------------


def login_test_client(client) -> None:
    page = client.get("/login").get_data(as_text=True)
    token = CSRF.search(page)
    if token is None:
        raise SystemExit("no csrf_token on /login")
    response = client.post(
        "/login",
        data={"email": BENCH_EMAIL, "password": BENCH_PASSWORD, "csrf_token": token[1]},
    )
    if response.status_code != 302:
        raise SystemExit(f"login failed: {response.status_code}")


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
    for path in paths.values():
        response = client.get(path)
        if response.status_code != 200:
            raise SystemExit(f"GET {path}: {response.status_code}. Are the helping views in place?")
        for _ in range(10):  # warm-up
            client.get(path)
    pages: dict[str, list[float]] = {term: [] for term in paths}
    started = time.perf_counter()
    for _ in range(repeat):
        for term, path in paths.items():
            begin = time.perf_counter()
            client.get(path)
            pages[term].append(time.perf_counter() - begin)
        if time.perf_counter() - started > 180:
            break
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


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind((HOST, 0))
        return probe.getsockname()[1]


def wait_until_up(port: int, process: subprocess.Popen, timeout: float = 60) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if process.poll() is not None:
            raise SystemExit(f"gunicorn exited with {process.returncode}: see bench/results/")
        try:
            with socket.create_connection((HOST, port), timeout=1):
                return
        except OSError:
            time.sleep(0.2)
    raise SystemExit(f"gunicorn did not listen on {HOST}:{port} within {timeout} s")


@contextmanager
def gunicorn(app_spec: str, *, threads: int, env: dict, chdir, log_name: str):
    """Serve ``app_spec`` as the Procfile does (-w 1 --threads N) on the loopback."""
    port = free_port()
    RESULTS.mkdir(parents=True, exist_ok=True)
    log = open(RESULTS / f"{log_name}.log", "w")  # noqa: SIM115  (closed below)
    command = [
        str(ROOT / ".venv" / "bin" / "gunicorn"),
        "-w",
        "1",
        "--threads",
        str(threads),
        "-b",
        f"{HOST}:{port}",
        "--chdir",
        str(chdir),
        "--log-level",
        "warning",
        app_spec,
    ]
    process = subprocess.Popen(
        command, env={**os.environ, **env}, stdout=log, stderr=subprocess.STDOUT
    )
    try:
        wait_until_up(port, process)
        yield port
    finally:
        process.terminate()
        try:
            process.wait(timeout=20)
        except subprocess.TimeoutExpired:
            process.kill()
            process.wait(timeout=10)
        log.close()


def login_cookie(port: int) -> str:
    """Log in over HTTP and return the Cookie header that carries the session."""
    jar = http.cookiejar.CookieJar()
    opener = urllib.request.build_opener(urllib.request.HTTPCookieProcessor(jar))
    base = f"http://{HOST}:{port}"
    page = opener.open(f"{base}/login", timeout=30).read().decode()
    token = CSRF.search(page)
    if token is None:
        raise SystemExit("no csrf_token on /login")
    form = urllib.parse.urlencode(
        {"email": BENCH_EMAIL, "password": BENCH_PASSWORD, "csrf_token": token[1]}
    ).encode()
    opener.open(f"{base}/login", data=form, timeout=30).read()
    cookie = "; ".join(f"{c.name}={c.value}" for c in jar)
    check = http.client.HTTPConnection(HOST, port, timeout=30)
    check.request("GET", "/requests", headers={"Cookie": cookie})
    response = check.getresponse()
    response.read()
    check.close()
    if response.status != 200:
        raise SystemExit(f"GET /requests after login: {response.status}")
    return cookie


def wrk(port: int, path: str, *, connections: int, duration: int, cookie: str | None) -> dict:
    command = [
        "wrk",
        "-t1",
        f"-c{connections}",
        f"-d{min(duration, MAX_DURATION)}s",
        "--timeout",
        "10s",
        "--latency",
    ]
    if cookie:
        command += ["-H", f"Cookie: {cookie}"]
    command.append(f"http://{HOST}:{port}{path}")
    output = subprocess.run(
        command, capture_output=True, text=True, check=True, timeout=MAX_DURATION + 30
    ).stdout
    rps = float(re.search(r"Requests/sec:\s+([\d.]+)", output)[1])
    bad = re.search(r"Non-2xx or 3xx responses:\s+(\d+)", output)
    errors = re.search(r"Socket errors:.*", output)
    p50 = re.search(r"50%\s+([\d.]+\w+)", output)
    return {
        "rps": rps,
        "non_2xx": int(bad[1]) if bad else 0,
        "socket_errors": errors[0] if errors else None,
        "p50": p50[1] if p50 else None,
        "tool": "wrk",
    }


def python_load(
    port: int, path: str, *, connections: int, duration: int, cookie: str | None
) -> dict:
    """A bounded threaded HTTP/1.1 keep-alive client: the fallback without wrk."""
    deadline = time.monotonic() + min(duration, MAX_DURATION)
    max_requests = 1_000_000
    counts, bad = [0] * connections, [0] * connections
    headers = {"Cookie": cookie} if cookie else {}

    def worker(index: int) -> None:
        connection = http.client.HTTPConnection(HOST, port, timeout=10)
        while time.monotonic() < deadline and counts[index] < max_requests // connections:
            connection.request("GET", path, headers=headers)
            response = connection.getresponse()
            response.read()
            counts[index] += 1
            bad[index] += response.status >= 400
        connection.close()

    started = time.monotonic()
    threads = [threading.Thread(target=worker, args=(i,)) for i in range(connections)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=MAX_DURATION + 30)
    elapsed = time.monotonic() - started
    return {"rps": sum(counts) / elapsed, "non_2xx": sum(bad), "tool": "python"}


def throughput(
    url: str, term: str, skill: str, *, threads: int, connections: int, duration: int, rounds: int
) -> dict:
    load = wrk if shutil.which("wrk") else python_load
    site_env = {
        "DATABASE_URL": url,
        "KINDRED_ENV": "development",
        "FLASK_DEBUG": "0",
        "SECRET_KEY": BENCH_SECRET_KEY,
        "RATELIMIT_ENABLED": "false",
        "IN_PROCESS_SCHEDULER": "false",
        "MAIL_FILE_DIR": str(RESULTS / "mail"),
        "REDIS_URL": "",
    }
    searched_path = "/requests?" + urllib.parse.urlencode({"q": term, "skill": skill})
    runs: dict[str, list[dict]] = {"board": [], "board_searched": [], "hello": []}
    with (
        gunicorn(
            "wsgi:app", threads=threads, env=site_env, chdir=ROOT, log_name="gunicorn-site"
        ) as site_port,
        gunicorn(
            "hello:app", threads=threads, env={}, chdir=ROOT / "bench", log_name="gunicorn-hello"
        ) as hello_port,
    ):
        cookie = login_cookie(site_port)
        targets = {
            "board": (site_port, "/requests", cookie),
            "board_searched": (site_port, searched_path, cookie),
            "hello": (hello_port, "/", None),
        }
        for port, path, cookie_header in targets.values():  # warm-up, not counted
            load(port, path, connections=connections, duration=2, cookie=cookie_header)
        for _ in range(rounds):
            for name, (port, path, cookie_header) in targets.items():
                result = load(
                    port, path, connections=connections, duration=duration, cookie=cookie_header
                )
                if result["non_2xx"]:
                    raise SystemExit(f"{name}: {result['non_2xx']} error responses under load")
                runs[name].append(result)
                print(f"    {name:15} {result['rps']:8.1f} req/s", flush=True)
    rps = {name: median([r["rps"] for r in results]) for name, results in runs.items()}
    return {
        "tool": runs["hello"][0]["tool"],
        "threads": threads,
        "connections": connections,
        "duration": duration,
        "rounds": rounds,
        "runs": runs,
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
