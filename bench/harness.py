"""The load harness the page and chat benchmarks share: free ports on the
loopback, gunicorn started as the Procfile starts it, the site's environment
under load, logging in through the real form, timing pages through the app,
and bounded load loops (wrk, or a threaded Python client without it).

Rules every bench keeps through this module: everything listens and sends on
127.0.0.1 only; every wait and every load run is bounded in time (no run
longer than MAX_DURATION, whatever is asked); servers are stopped by the ids
of the processes the bench started, never by name.
"""

from __future__ import annotations

import http.client
import os
import re
import shutil
import socket
import subprocess
import threading
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from pathlib import Path

import requests
from common import BENCH_EMAIL, BENCH_PASSWORD, BENCH_SECRET_KEY, RESULTS, ROOT, median

HOST = "127.0.0.1"  # loopback only
CSRF = re.compile(r'name="csrf_token"[^>]*value="([^"]+)"')
MAX_DURATION = 120  # seconds: no load run lasts longer, whatever is asked
WAIT = 30.0  # seconds a single HTTP call of the harness may wait
GUNICORN = str(ROOT / ".venv" / "bin" / "gunicorn")


# --- servers ----------------------------------------------------------------------


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind((HOST, 0))
        return probe.getsockname()[1]


def gunicorn_command(
    spec: str, port: int, *, threads: int, chdir: Path = ROOT, connections: int | None = None
) -> list[str]:
    """The Procfile's web line (``-w 1 --threads N``) serving ``spec`` on the loopback."""
    command = [
        GUNICORN,
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
    ]
    if connections:
        command += ["--worker-connections", str(connections)]
    return [*command, spec]


def wait_until_listening(port: int, process: subprocess.Popen, timeout: float = 60) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if process.poll() is not None:
            raise SystemExit(f"the server exited with {process.returncode}: see bench/results/")
        try:
            with socket.create_connection((HOST, port), timeout=1):
                return
        except OSError:
            time.sleep(0.2)
    raise SystemExit(f"nothing listened on {HOST}:{port} within {timeout} s")


@contextmanager
def gunicorn(
    spec: str, *, threads: int, env: dict, chdir: Path = ROOT, log_name: str
) -> Iterator[int]:
    """Serve ``spec`` with gunicorn on a free loopback port (yielded); stopped on exit.
    The server's output goes to ``bench/results/<log_name>.log``."""
    port = free_port()
    RESULTS.mkdir(parents=True, exist_ok=True)
    log = open(RESULTS / f"{log_name}.log", "w")  # noqa: SIM115  (closed below)
    process = subprocess.Popen(
        gunicorn_command(spec, port, threads=threads, chdir=chdir),
        env={**os.environ, **env},
        stdout=log,
        stderr=subprocess.STDOUT,
    )
    try:
        wait_until_listening(port, process)
        yield port
    finally:
        process.terminate()
        try:
            process.wait(timeout=20)
        except subprocess.TimeoutExpired:
            process.kill()
            process.wait(timeout=10)
        log.close()


@contextmanager
def site_and_hello(url: str, *, threads: int, log_name: str) -> Iterator[tuple[int, int]]:
    """The site against the bench database ``url`` and the Flask hello world
    (bench/hello.py, the baseline), served alike; yields their two ports."""
    with (
        gunicorn("wsgi:app", threads=threads, env=site_env(url), log_name=log_name) as site,
        gunicorn(
            "hello:app", threads=threads, env={}, chdir=ROOT / "bench", log_name=f"{log_name}-hello"
        ) as hello,
    ):
        yield site, hello


def site_env(url: str, *, redis_url: str | None = None, message_queue: str | None = None) -> dict:
    """The site's environment under load: plain HTTP cookies, no debug, no
    reloading, no rate limits (one bench member acts far more often than a
    person), no scheduler, cheap password hashing (logins are not measured)."""
    return {
        "KINDRED_ENV": "development",
        "FLASK_DEBUG": "0",
        "DATABASE_URL": url,
        "SECRET_KEY": BENCH_SECRET_KEY,
        "REDIS_URL": redis_url or "",
        "SOCKETIO_MESSAGE_QUEUE": message_queue or "",
        "RATELIMIT_ENABLED": "false",
        "CHAT_RATE_LIMIT": "1000000 per minute",
        "IN_PROCESS_SCHEDULER": "false",
        "ARGON2_TIME_COST": "1",
        "ARGON2_MEMORY_COST": "1024",
        "MAIL_FILE_DIR": str(RESULTS / "mail"),
    }


# --- logging in through the real form ------------------------------------------------


def _login_form(page: str, email: str, password: str) -> dict:
    token = CSRF.search(page)
    if token is None:
        raise SystemExit("no csrf_token on /login")
    return {"email": email, "password": password, "csrf_token": token[1]}


def login_test_client(client, email: str = BENCH_EMAIL, password: str = BENCH_PASSWORD) -> None:
    """Log Flask's test ``client`` in."""
    page = client.get("/login").get_data(as_text=True)
    response = client.post("/login", data=_login_form(page, email, password))
    if response.status_code != 302:
        raise SystemExit(f"{email} could not log in: {response.status_code}")


def login_cookie(base: str, email: str = BENCH_EMAIL, password: str = BENCH_PASSWORD) -> str:
    """Log in over HTTP at ``base`` (``http://host:port``); the Cookie header of the session."""
    session = requests.Session()
    page = session.get(f"{base}/login", timeout=WAIT).text
    response = session.post(
        f"{base}/login",
        data=_login_form(page, email, password),
        allow_redirects=False,
        timeout=WAIT,
    )
    if response.status_code != 302:
        raise SystemExit(f"{email} could not log in: {response.status_code}")
    return "; ".join(f"{cookie.name}={cookie.value}" for cookie in session.cookies)


def check_pages(port: int, cookie: str, paths) -> None:
    """Each of ``paths`` answers 200 to the logged-in member (before any load)."""
    for path in paths:
        check = http.client.HTTPConnection(HOST, port, timeout=WAIT)
        check.request("GET", path, headers={"Cookie": cookie})
        response = check.getresponse()
        response.read()
        check.close()
        if response.status != 200:
            raise SystemExit(f"GET {path} after login: {response.status}")


# --- pages through the app ---------------------------------------------------------------


def page_timings(
    client, paths: dict[str, str], *, repeat: int, warmup: int, budget: float
) -> tuple[dict[str, list[float]], dict[str, int]]:
    """Seconds of each page through Flask's test ``client``, interleaved, ``repeat``
    rounds after ``warmup`` untimed ones (stopping early after ``budget`` seconds);
    and each page's size in bytes. Every page must answer 200."""
    sizes = {}
    for path in paths.values():
        response = client.get(path)
        if response.status_code != 200:
            raise SystemExit(f"GET {path}: {response.status_code}")
        sizes[path] = len(response.data)
        for _ in range(warmup):
            client.get(path)
    pages: dict[str, list[float]] = {name: [] for name in paths}
    started = time.perf_counter()
    for _ in range(repeat):
        for name, path in paths.items():
            begin = time.perf_counter()
            client.get(path)
            pages[name].append(time.perf_counter() - begin)
        if time.perf_counter() - started > budget:
            break
    return pages, {name: sizes[path] for name, path in paths.items()}


def sql_of_one_request(app, client, path: str) -> dict:
    """The SQL statements one ``GET path`` sends: count, total time, slowest first."""
    from sqlalchemy import event

    from community.db import db

    with app.app_context():
        engine = db.engine
    statements: list[tuple[float, str]] = []
    starts: list[float] = []

    def before(conn, cursor, statement, parameters, context, executemany):
        starts.append(time.perf_counter())

    def after(conn, cursor, statement, parameters, context, executemany):
        statements.append((time.perf_counter() - starts.pop(), " ".join(statement.split())))

    event.listen(engine, "before_cursor_execute", before)
    event.listen(engine, "after_cursor_execute", after)
    try:
        begin = time.perf_counter()
        client.get(path)
        total = time.perf_counter() - begin
    finally:
        event.remove(engine, "before_cursor_execute", before)
        event.remove(engine, "after_cursor_execute", after)
    slowest = sorted(statements, reverse=True)[:5]
    return {
        "page": total,
        "queries": len(statements),
        "sql": sum(seconds for seconds, _ in statements),
        "slowest": [{"seconds": s, "sql": sql[:300]} for s, sql in slowest],
    }


# --- load ------------------------------------------------------------------------------


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


def load_tool() -> Callable[..., dict]:
    return wrk if shutil.which("wrk") else python_load


def under_load(
    targets: dict[str, tuple[int, str, str | None]],
    *,
    connections: int,
    duration: int,
    rounds: int,
) -> dict:
    """Drive each target ``(port, path, cookie)`` in turn with the same connections
    for ``duration`` seconds, after a 2-second warm-up each, ``rounds`` times.
    Returns the runs, the median requests per second of each and the tool used;
    any error response under load stops the bench."""
    load = load_tool()
    runs: dict[str, list[dict]] = {name: [] for name in targets}
    for port, path, cookie in targets.values():  # warm-up, not counted
        load(port, path, connections=connections, duration=2, cookie=cookie)
    width = max(len(name) for name in targets)
    for _ in range(rounds):
        for name, (port, path, cookie) in targets.items():
            result = load(port, path, connections=connections, duration=duration, cookie=cookie)
            if result["non_2xx"]:
                raise SystemExit(f"{name}: {result['non_2xx']} error responses under load")
            runs[name].append(result)
            print(
                f"    {name:{width}} {result['rps']:8.1f} req/s (p50 {result.get('p50')})",
                flush=True,
            )
    return {
        "tool": next(iter(runs.values()))[0]["tool"],
        "runs": runs,
        "rps": {name: median([r["rps"] for r in results]) for name, results in runs.items()},
    }
