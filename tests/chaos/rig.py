"""The chaos rig: Kindred's production layout, started by the test and broken on purpose.

It starts, each on a free port and in a temporary directory it owns:

* a PostgreSQL cluster (``initdb`` with the Debian binaries, run as the
  ``postgres`` user through ``runuser``), never the shared server;
* a ``redis-server`` without persistence (a kill -9 loses everything in it);
* an aiosmtpd server that counts every message it accepts by Message-ID, and
  can hold a conversation open, answer 421, or refuse one address with 550;
* the Procfile's processes as written (release, web, worker, scheduler), with
  short intervals set through the environment.

Then :func:`run` drives a bounded load (sign-ups, page views, answers to
help requests, chat messages over Socket.IO) while it injects the faults
(kill -9 Redis and start it again, kill -9 the worker mid-send and the
scheduler, restart PostgreSQL, SMTP 421 then 550), waits for the sweep
window, and returns what it saw. ``tests/chaos`` runs a short version in CI;
``bench/chaos.py`` the long one.
"""

from __future__ import annotations

import asyncio
import contextlib
import email
import email.policy
import glob
import os
import re
import shutil
import signal
import subprocess
import sys
import tempfile
import threading
import time
from collections import Counter
from dataclasses import dataclass, field
from pathlib import Path

import requests
import socketio
from aiosmtpd.controller import Controller
from redis import Redis
from rq import Worker

from tests.support_smtp import free_port

ROOT = Path(__file__).resolve().parent.parent.parent
VENV_BIN = Path(sys.executable).parent
PASSWORD = "correct horse battery"
SECRET = "chaos-secret-key-that-is-long-enough-0123456789abcdef"
BOUNCE = "bounce@example.com"


@dataclass
class Timing:
    """How long each phase lasts (seconds); CI uses the short defaults."""

    redis_outage: float = 5.0
    smtp_421: float = 8.0
    load_after_faults: float = 5.0
    recovery_deadline: float = 180.0
    # Passed to the processes: the sweep's grace, interval and stale claim,
    # the watchdog, the supervisor's backoff and the mail retries.
    env: dict[str, str] = field(
        default_factory=lambda: {
            "OUTBOX_SWEEP_SECONDS": "10",
            "OUTBOX_SWEEP_INTERVAL_SECONDS": "5",
            "OUTBOX_STALE_CLAIM_SECONDS": "20",
            "SWEEP_WATCHDOG_SECONDS": "15",
            "SUPERVISE_FIRST_DELAY": "0.5",
            "SUPERVISE_MAX_DELAY": "3",
            "MAIL_RETRY_SECONDS": "3,6,12,24,48",
            "MAIL_MAX_ATTEMPTS": "12",
        }
    )


# --- the stores ----------------------------------------------------------------------


class Postgres:
    """A throwaway cluster in a temporary directory, owned by ``postgres``."""

    def __init__(self) -> None:
        bins = sorted(glob.glob("/usr/lib/postgresql/*/bin"))
        if not bins or shutil.which("runuser") is None:
            raise RuntimeError("needs PostgreSQL's binaries under /usr/lib/postgresql and runuser")
        self.bin = Path(bins[-1])
        self.dir = Path(tempfile.mkdtemp(prefix="kindred-chaos-pg-"))
        shutil.chown(self.dir, "postgres", "postgres")
        self.data = self.dir / "data"
        self.port = free_port()

    def _as_postgres(self, *args: str) -> None:
        # Output to a file, not a pipe: a postmaster started by pg_ctl keeps
        # its parent's descriptors, and a pipe would never reach EOF.
        with (self.dir / "commands.log").open("ab") as log:
            subprocess.run(
                ["runuser", "-u", "postgres", "--", *args],
                check=True,
                stdin=subprocess.DEVNULL,
                stdout=log,
                stderr=subprocess.STDOUT,
                cwd=self.dir,
                timeout=120,
            )

    @property
    def url(self) -> str:
        return f"postgresql+psycopg://postgres@127.0.0.1:{self.port}/kindred"

    def start(self) -> None:
        self._as_postgres(
            str(self.bin / "initdb"), "-D", str(self.data), "-A", "trust", "-U", "postgres",
            "-E", "UTF8", "--no-sync",
        )  # fmt: skip
        options = (
            f"-p {self.port} -c listen_addresses=127.0.0.1 "
            f"-c unix_socket_directories={self.dir} -c fsync=off -c max_connections=60"
        )
        self._as_postgres(
            str(self.bin / "pg_ctl"), "-D", str(self.data), "-l", str(self.dir / "log"),
            "-o", options, "-w", "start",
        )  # fmt: skip
        self._as_postgres(
            str(self.bin / "createdb"), "-h", "127.0.0.1", "-p", str(self.port), "-U",
            "postgres", "kindred",
        )  # fmt: skip

    def restart(self) -> None:
        # -m fast: every session is cut, as in a real restart or failover.
        self._as_postgres(
            str(self.bin / "pg_ctl"), "-D", str(self.data), "-l", str(self.dir / "log"),
            "-m", "fast", "-w", "restart",
        )  # fmt: skip

    def stop(self) -> None:
        try:
            self._as_postgres(
                str(self.bin / "pg_ctl"), "-D", str(self.data), "-m", "immediate", "stop"
            )  # fmt: skip
        finally:
            shutil.rmtree(self.dir, ignore_errors=True)


class RedisServer:
    """A redis-server of our own, without persistence, that we may kill -9."""

    def __init__(self, directory: Path) -> None:
        self.dir = directory
        self.port = free_port()
        self.process: subprocess.Popen | None = None

    @property
    def url(self) -> str:
        return f"redis://127.0.0.1:{self.port}/0"

    def start(self) -> None:
        self.process = subprocess.Popen(
            ["redis-server", "--port", str(self.port), "--bind", "127.0.0.1", "--save", "",
             "--appendonly", "no", "--dir", str(self.dir)],
            stdout=subprocess.DEVNULL,
            stderr=subprocess.DEVNULL,
        )  # fmt: skip
        client = Redis.from_url(self.url)
        wait_for(lambda: _pings(client), 20, "redis-server to answer")
        client.close()

    def kill(self) -> None:
        if self.process is not None:
            self.process.send_signal(signal.SIGKILL)
            self.process.wait()
            self.process = None


def _pings(client: Redis) -> bool:
    try:
        return bool(client.ping())
    except Exception:
        return False


# --- the SMTP server -----------------------------------------------------------------


@dataclass
class ChaosMailHandler:
    """Counts accepted messages by Message-ID; misbehaves when told."""

    transient_reply: str | None = None  # answer every RCPT with this (421...)
    refuse: dict[str, str] = field(default_factory=dict)  # address -> 5xx line
    hold_seconds: float = 0.0  # keep each RCPT waiting (to kill a worker mid-send)
    holding: threading.Event = field(default_factory=threading.Event)
    accepted: Counter = field(default_factory=Counter)  # Message-ID -> times
    recipients: dict[str, str] = field(default_factory=dict)  # Message-ID -> address
    transient_answers: int = 0
    refused_answers: int = 0

    async def handle_RCPT(self, server, session, envelope, address, rcpt_options):
        if self.hold_seconds:
            self.holding.set()
            await asyncio.sleep(self.hold_seconds)
        if self.transient_reply:
            self.transient_answers += 1
            return self.transient_reply
        if address in self.refuse:
            self.refused_answers += 1
            return self.refuse[address]
        envelope.rcpt_tos.append(address)
        return "250 OK"

    async def handle_DATA(self, server, session, envelope):
        message = email.message_from_bytes(envelope.content, policy=email.policy.default)
        self.accepted[message["Message-ID"]] += 1
        self.recipients[message["Message-ID"]] = message["To"]
        return "250 Message accepted for delivery"


# --- the processes ---------------------------------------------------------------------


def procfile() -> dict[str, str]:
    lines = (ROOT / "Procfile").read_text().splitlines()
    return dict(line.split(": ", 1) for line in lines if line.strip() and ": " in line)


def children(pid: int) -> list[int]:
    try:
        text = Path(f"/proc/{pid}/task/{pid}/children").read_text()
    except OSError:
        return []
    return [int(child) for child in text.split()]


def descendants(pid: int) -> list[int]:
    found = []
    for child in children(pid):
        found.append(child)
        found.extend(descendants(child))
    return found


def alive(pid: int) -> bool:
    try:
        status = Path(f"/proc/{pid}/status").read_text()
    except OSError:
        return False
    return "\nState:\tZ" not in status


class Layout:
    """The Procfile's processes, with the environment a deployment would give them."""

    def __init__(self, workdir: Path, env: dict[str, str]) -> None:
        self.workdir = workdir
        self.env = env
        self.processes: dict[str, subprocess.Popen] = {}
        self.commands = procfile()

    def run_release(self) -> None:
        subprocess.run(
            ["bash", "-c", self.commands["release"]],
            cwd=ROOT,
            env=self.env,
            check=True,
            capture_output=True,
        )

    def start(self, name: str) -> None:
        log = (self.workdir / f"{name}.log").open("ab")
        self.processes[name] = subprocess.Popen(
            ["bash", "-c", "exec " + self.commands[name]],
            cwd=ROOT,
            env=self.env,
            stdout=log,
            stderr=subprocess.STDOUT,
            start_new_session=True,
        )

    def supervised_child(self, name: str) -> int | None:
        """The pid of the program the supervisor runs for ``name`` (rq worker, rq cron)."""
        kids = children(self.processes[name].pid)
        return kids[0] if kids and alive(kids[0]) else None

    def kill_child(self, name: str) -> int | None:
        """kill -9 the supervised program and everything it started (RQ's work horse)."""
        pid = self.supervised_child(name)
        if pid is None:
            return None
        for victim in [pid, *descendants(pid)]:
            with contextlib.suppress(ProcessLookupError):
                os.kill(victim, signal.SIGKILL)
        return pid

    def stop(self) -> None:
        for process in self.processes.values():
            if process.poll() is None:
                try:
                    os.killpg(process.pid, signal.SIGTERM)
                except ProcessLookupError:
                    continue
        for process in self.processes.values():
            try:
                process.wait(timeout=5)
            except subprocess.TimeoutExpired:
                # gunicorn waits for open sockets, rq for its job: not needed here.
                with contextlib.suppress(ProcessLookupError):
                    os.killpg(process.pid, signal.SIGKILL)
                process.wait()

    def log_tail(self, name: str, lines: int = 40) -> str:
        path = self.workdir / f"{name}.log"
        if not path.exists():
            return ""
        return "\n".join(path.read_text(errors="replace").splitlines()[-lines:])


def wait_for(predicate, timeout: float, what: str) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if predicate():
            return
        time.sleep(0.2)
    if not predicate():
        raise TimeoutError(f"gave up waiting for {what}")


# --- the load --------------------------------------------------------------------------


class Browser(requests.Session):
    """A requests session that sends production's Secure cookies back over the
    rig's plain HTTP on loopback (as a browser would over HTTPS)."""

    def request(self, *args, **kwargs) -> requests.Response:
        response = super().request(*args, **kwargs)
        for cookie in self.cookies:
            cookie.secure = False
        return response


def browser() -> requests.Session:
    return Browser()


TOKEN = re.compile(r'name="csrf_token"[^>]*value="([^"]+)"')


def csrf_token(session: requests.Session, url: str) -> str | None:
    match = TOKEN.search(session.get(url, timeout=30).text)
    return match.group(1) if match else None


@dataclass
class Observed:
    """What the load saw."""

    responses: Counter = field(default_factory=Counter)  # status -> count
    by_kind: Counter = field(default_factory=Counter)  # "signup 200" -> count
    server_errors: list = field(default_factory=list)  # (t, method, path, status, text)
    connection_errors: int = 0
    chat_acked: dict = field(default_factory=dict)  # client_id -> message id
    chat_refused: int = 0
    chat_live: Counter = field(default_factory=Counter)  # client_id -> times Ben got it
    signups: int = 0
    lock: threading.Lock = field(default_factory=threading.Lock)

    def record(self, kind: str, method: str, path: str, response: requests.Response) -> None:
        with self.lock:
            self.responses[response.status_code] += 1
            self.by_kind[f"{kind} {response.status_code}"] += 1
            if response.status_code >= 500:
                self.server_errors.append(
                    (time.monotonic(), method, path, response.status_code, response.text[:300])
                )


class Load:
    """Threads that act like members until told to stop."""

    def __init__(self, url: str, seen: Observed, request_ids: list[int], conversation_id: int):
        self.url = url
        self.seen = seen
        self.request_ids = list(request_ids)
        self.conversation_id = conversation_id
        self.stop = threading.Event()
        self.threads: list[threading.Thread] = []
        self.signup_number = 0

    def start(self) -> None:
        for target in (self._signups, self._pages, self._answers, self._chat):
            thread = threading.Thread(target=self._guard(target), daemon=True)
            thread.start()
            self.threads.append(thread)

    def finish(self) -> None:
        self.stop.set()
        for thread in self.threads:
            thread.join(timeout=60)

    def _guard(self, target):
        def run() -> None:
            while not self.stop.is_set():
                try:
                    target()
                except requests.RequestException:
                    with self.seen.lock:
                        self.seen.connection_errors += 1
                    self.stop.wait(0.5)

        return run

    def signup(self, address: str) -> requests.Response:
        session = browser()
        token = csrf_token(session, f"{self.url}/signup")
        response = session.post(
            f"{self.url}/signup",
            data={
                "display_name": "Chaos Member",
                "email": address,
                "password": "a long enough password 1234",
                "csrf_token": token or "",
            },
            timeout=30,
        )
        self.seen.record("signup", "POST", "/signup", response)
        return response

    def _signups(self) -> None:
        while not self.stop.is_set():
            self.signup_number += 1
            response = self.signup(f"chaos-{self.signup_number}@example.com")
            if response.status_code == 200:
                with self.seen.lock:
                    self.seen.signups += 1
            self.stop.wait(1.0)

    def _pages(self) -> None:
        session = browser()
        while not self.stop.is_set():
            for path in ("/", "/members", "/login", "/healthz", "/signup"):
                response = session.get(f"{self.url}{path}", timeout=30)
                self.seen.record("page", "GET", path, response)
            self.stop.wait(0.3)

    def _log_in(self, address: str) -> requests.Session:
        session = browser()
        while not self.stop.is_set():
            token = csrf_token(session, f"{self.url}/login")
            response = session.post(
                f"{self.url}/login",
                data={"email": address, "password": PASSWORD, "csrf_token": token or ""},
                allow_redirects=False,
                timeout=30,
            )
            self.seen.record("login", "POST", "/login", response)
            if response.status_code == 302:
                return session
            self.stop.wait(0.5)
        return session

    def _answers(self) -> None:
        session = self._log_in("hal@example.com")
        while self.request_ids and not self.stop.is_set():
            request_id = self.request_ids[0]
            path = f"/requests/{request_id}"
            token = csrf_token(session, f"{self.url}{path}")
            response = session.post(
                f"{self.url}{path}/answer",
                data={"note": "I would love to help with this.", "csrf_token": token or ""},
                allow_redirects=False,
                timeout=30,
            )
            self.seen.record("answer", "POST", f"{path}/answer", response)
            if response.status_code in {302, 400}:  # done (400: answered before a 503)
                self.request_ids.pop(0)
            self.stop.wait(1.0)
        self.stop.wait(3600)

    def _chat(self) -> None:
        ann_http = self._log_in("ann@example.com")
        ben_http = self._log_in("ben@example.com")
        ann, ben = socketio.Client(), socketio.Client()

        def on_message(data) -> None:
            with self.seen.lock:
                self.seen.chat_live[data.get("client_id")] += 1

        ben.on("message", on_message)
        for client, session in ((ann, ann_http), (ben, ben_http)):
            client.connect(self.url, headers={"Cookie": _cookie_header(session)},
                           transports=["websocket"], wait_timeout=30)  # fmt: skip
        number = 0
        try:
            while not self.stop.is_set():
                number += 1
                client_id = f"chaos-{number}"
                # Like the page's script: resend with the same client_id until acknowledged.
                while not self.stop.is_set():
                    try:
                        reply = ann.call(
                            "send",
                            {"conversation_id": self.conversation_id, "client_id": client_id,
                             "body": f"Message {number}: how is the draft going?"},
                            timeout=30,
                        )  # fmt: skip
                    except Exception:
                        reply = None
                    if reply and reply.get("ok"):
                        with self.seen.lock:
                            self.seen.chat_acked[client_id] = reply["message"]["id"]
                        break
                    with self.seen.lock:
                        self.seen.chat_refused += 1
                    self.stop.wait(0.5)
                self.stop.wait(0.3)
            # Let the last deliveries arrive.
            time.sleep(2)
        finally:
            ann.disconnect()
            ben.disconnect()


def _cookie_header(session: requests.Session) -> str:
    return "; ".join(f"{cookie.name}={cookie.value}" for cookie in session.cookies)


# --- the run ---------------------------------------------------------------------------


def seed(database_url: str, mail_port: int, workdir: Path, requests_wanted: int) -> dict:
    """Members for the load: Ann and Ben matched (their chat), Hal with an
    offer, and open requests for Hal to answer. Written through the domain,
    in this process; its emails go to the rig's SMTP server like the rest."""
    from community import create_app
    from community.db import db
    from community.helping import offers
    from community.helping import requests as help_requests
    from tests.builders import make_match, skill_ids
    from tests.factories import UserFactory

    app = create_app(
        {
            "ENV_NAME": "production",
            "SECRET_KEY": SECRET,
            "BASE_URL": "http://127.0.0.1",
            "SQLALCHEMY_DATABASE_URI": database_url,
            "INSTANCE_PATH": str(workdir / "seed-instance"),
            "REDIS_URL": None,
            "SOCKETIO_MESSAGE_QUEUE": None,
            "RATELIMIT_STORAGE_URI": "memory://",
            "MAIL_SERVER": "127.0.0.1",
            "MAIL_PORT": mail_port,
            "MAIL_USE_TLS": False,
            "ARGON2_TIME_COST": 1,
            "ARGON2_MEMORY_COST": 1024,
        }
    )
    with app.app_context():
        ann = UserFactory(email="ann@example.com", display_name="Ann Author")
        ben = UserFactory(email="ben@example.com", display_name="Ben Beta")
        hal = UserFactory(email="hal@example.com", display_name="Hal Helper")
        db.session.commit()
        _, conversation = make_match(ann, ben)
        offers.save_offer(hal, offers.OfferInput(skill_ids("critique"), [], 5, "", False))
        request_ids = []
        for n in range(requests_wanted):
            asker = UserFactory(email=f"asker-{n}@example.com")
            request = help_requests.post_request(
                asker,
                help_requests.RequestInput(
                    title=f"Critique of chapter {n + 1}",
                    details="Ten pages of a mystery; is the opening hook strong enough?",
                    skill_ids=skill_ids("critique"),
                    genre_id=None,
                    format="written",
                    effort="an hour",
                    deadline=None,
                    helpers_wanted=1,
                ),
            )
            db.session.flush()
            request_ids.append(request.id)
        db.session.commit()
        seeded = {"conversation_id": conversation.id, "request_ids": request_ids}
        db.session.remove()
        db.engine.dispose()
    return seeded


@dataclass
class Report:
    timing: dict
    duration_seconds: float
    faults: list  # (seconds from start, what)
    seen: Observed
    database_window: tuple[float, float]
    emails_committed: int
    emails_sent: int
    emails_failed: dict  # address -> last_error
    emails_lost: list  # Message-IDs committed, settled, but never accepted
    emails_doubled: dict  # Message-ID -> times accepted
    emails_unknown: list  # accepted but not committed
    emails_pending_at_end: int
    messages_stored: Counter  # client_id -> rows
    messages_synced: set  # client_ids Ben gets on catch-up
    worker_alive: bool
    scheduler_alive: bool
    worker_restarts: int
    scheduler_restarts: int
    recovery_seconds: float
    web_errors: list = field(default_factory=list)  # the web log's unhandled errors

    def unexpected_server_errors(self) -> list:
        """5xx other than /healthz's 503 and the 503 page during the database restart."""
        start, end = self.database_window
        return [
            error
            for error in self.seen.server_errors
            if not (error[3] == 503 and error[2] == "/healthz")
            and not (error[3] == 503 and start - 1 <= error[0] <= end + 5)
        ]

    def summary(self) -> dict:
        acked = self.seen.chat_acked
        return {
            "load_seconds": round(self.duration_seconds, 1),
            "faults": [f"{t:5.1f} s  {what}" for t, what in self.faults],
            "responses_by_status": dict(sorted(self.seen.responses.items())),
            "responses_by_kind": dict(sorted(self.seen.by_kind.items())),
            "unexpected_5xx": len(self.unexpected_server_errors()),
            "web_unhandled_errors": self.web_errors,
            "emails_committed": self.emails_committed,
            "emails_sent_once": self.emails_sent - len(self.emails_doubled),
            "emails_failed": self.emails_failed,
            "emails_lost": len(self.emails_lost),
            "emails_doubled": len(self.emails_doubled),
            "emails_pending_at_end": self.emails_pending_at_end,
            "recovery_seconds": round(self.recovery_seconds, 1),
            "chat_acknowledged": len(acked),
            "chat_resends_before_ack": self.seen.chat_refused,
            "chat_stored_twice": sum(1 for c in acked if self.messages_stored[c] > 1),
            "chat_not_stored": sum(1 for c in acked if self.messages_stored[c] == 0),
            "chat_delivered_live_twice": sum(1 for c in acked if self.seen.chat_live[c] > 1),
            "chat_lost": sum(
                1 for c in acked if not self.seen.chat_live[c] and c not in self.messages_synced
            ),
            "worker_restarts": self.worker_restarts,
            "scheduler_restarts": self.scheduler_restarts,
            "worker_alive_at_end": self.worker_alive,
            "scheduler_alive_at_end": self.scheduler_alive,
        }


def run(timing: Timing | None = None, requests_wanted: int = 20, say=print) -> Report:
    """Start the layout, load it, break it, wait for recovery, count."""
    timing = timing or Timing()
    workdir = Path(tempfile.mkdtemp(prefix="kindred-chaos-"))
    postgres = Postgres()
    redis = RedisServer(workdir)
    handler = ChaosMailHandler()
    smtp = Controller(handler, hostname="127.0.0.1", port=free_port())
    layout: Layout | None = None
    load: Load | None = None
    try:
        postgres.start()
        redis.start()
        smtp.start()
        web_port = free_port()
        env = {
            **{k: v for k, v in os.environ.items() if not k.startswith(("KINDRED_", "FLASK_"))},
            "PATH": f"{VENV_BIN}{os.pathsep}{os.environ.get('PATH', '')}",
            "PYTHONPATH": str(ROOT),
            "PORT": str(web_port),
            "KINDRED_ENV": "production",
            "SECRET_KEY": SECRET,
            "BASE_URL": f"http://127.0.0.1:{web_port}",
            "DATABASE_URL": postgres.url,
            "REDIS_URL": redis.url,
            "SOCKETIO_MESSAGE_QUEUE": redis.url,
            "RQ_QUEUE": "kindred-chaos",
            "MAIL_SERVER": "127.0.0.1",
            "MAIL_PORT": str(smtp.port),
            "MAIL_USE_TLS": "0",
            "MAIL_TIMEOUT": "10",
            "EMAIL_LIMIT_PER_ADDRESS": "100000 per hour",
            "LOGIN_LIMIT_PER_ADDRESS": "100000 per hour",
            "LOGIN_LIMIT_PER_ACCOUNT": "100000 per hour",
            "CHAT_RATE_LIMIT": "100000 per minute",
            # The shared machine's CPU is for the load, not for password hashing.
            "ARGON2_TIME_COST": "1",
            "ARGON2_MEMORY_COST": "1024",
            **timing.env,
        }
        os.environ["OUTBOX_SWEEP_INTERVAL_SECONDS"] = timing.env["OUTBOX_SWEEP_INTERVAL_SECONDS"]
        layout = Layout(workdir, env)
        layout.run_release()
        seeded = seed(postgres.url, smtp.port, workdir, requests_wanted)
        for name in ("web", "worker", "scheduler"):
            layout.start(name)
        url = f"http://127.0.0.1:{web_port}"
        connection = Redis.from_url(redis.url)
        wait_for(lambda: _healthy(url), 60, "the web process")
        wait_for(lambda: _workers(connection) > 0, 60, "the RQ worker")
        wait_for(lambda: layout.supervised_child("scheduler") is not None, 60, "rq cron")
        say("layout up: gunicorn, rq worker, rq cron, PostgreSQL, Redis, SMTP")

        seen = Observed()
        load = Load(url, seen, seeded["request_ids"], seeded["conversation_id"])
        started = time.monotonic()
        faults: list = []

        def fault(what: str) -> None:
            faults.append((time.monotonic() - started, what))
            say(f"{time.monotonic() - started:6.1f} s  {what}")

        load.start()
        time.sleep(4)
        fault("kill -9 redis-server")
        redis.kill()
        time.sleep(timing.redis_outage)
        redis.start()
        fault(f"redis-server started again (down {timing.redis_outage:.0f} s)")
        wait_for(lambda: _workers(connection) > 0, 60, "the RQ worker after Redis came back")
        fault("worker back")

        handler.holding.clear()
        handler.hold_seconds = 5.0
        handler.holding.wait(60)
        killed = layout.kill_child("worker")
        handler.hold_seconds = 0.0
        fault(f"kill -9 the worker mid-send (pid {killed}, with its work horse)")
        killed = layout.kill_child("scheduler")
        fault(f"kill -9 rq cron (pid {killed})")
        time.sleep(3)

        db_start = time.monotonic()
        fault("restart PostgreSQL (pg_ctl restart -m fast)")
        postgres.restart()
        db_end = time.monotonic()
        fault("PostgreSQL back")
        time.sleep(3)

        handler.transient_reply = "421 4.3.0 Service not available, try again later"
        fault(f"SMTP answers 421 for {timing.smtp_421:.0f} s")
        time.sleep(timing.smtp_421)
        handler.transient_reply = None
        handler.refuse[BOUNCE] = "550 5.1.1 No such user here"
        fault(f"SMTP accepts again, but answers 550 for {BOUNCE}")
        load.signup(BOUNCE)
        time.sleep(timing.load_after_faults)
        load.finish()
        duration = time.monotonic() - started
        fault("load stopped")

        recovery_start = time.monotonic()
        deadline = recovery_start + timing.recovery_deadline
        pending = _pending_emails(postgres.url)
        while pending and time.monotonic() < deadline:
            time.sleep(1)
            pending = _pending_emails(postgres.url)
        recovery = time.monotonic() - recovery_start
        fault(f"outbox settled ({pending} left pending)")

        rows = _outbox(postgres.url)
        committed = {row[0]: row for row in rows}  # message_id -> (mid, to, status, error)
        sent = [mid for mid, row in committed.items() if row[2] == "sent"]
        failed = {row[1]: row[3] for row in rows if row[2] == "failed"}
        report = Report(
            timing={
                "redis_outage": timing.redis_outage,
                "smtp_421": timing.smtp_421,
                **timing.env,
            },
            duration_seconds=duration,
            faults=faults,
            seen=seen,
            database_window=(db_start, db_end),
            emails_committed=len(committed),
            emails_sent=len(sent),
            emails_failed=failed,
            emails_lost=[
                mid
                for mid, row in committed.items()
                # Marked sent (or given up on without a 5xx) yet never accepted.
                if row[2] not in {"pending", "sending"}
                and not handler.accepted[mid]
                and row[1] != BOUNCE
            ],
            emails_doubled={mid: n for mid, n in handler.accepted.items() if n > 1},
            emails_unknown=[mid for mid in handler.accepted if mid not in committed],
            emails_pending_at_end=pending,
            messages_stored=_stored_messages(postgres.url, seeded["conversation_id"]),
            messages_synced=_synced(url, seeded["conversation_id"]),
            worker_alive=_workers(connection) > 0 and layout.supervised_child("worker") is not None,
            scheduler_alive=layout.supervised_child("scheduler") is not None,
            worker_restarts=0,
            scheduler_restarts=0,
            recovery_seconds=recovery,
        )
        report.web_errors = _unhandled_errors(layout.log_tail("web", 100000))
        # Each restart is a line of the supervisor's log.
        report.worker_restarts = layout.log_tail("worker", 100000).count("restarting in")
        report.scheduler_restarts = layout.log_tail("scheduler", 100000).count("restarting in")
        connection.close()
        return report
    finally:
        if load is not None:
            load.stop.set()
        if layout is not None:
            layout.stop()
        redis.kill()
        smtp.stop()
        postgres.stop()
        shutil.rmtree(workdir, ignore_errors=True)


def _healthy(url: str) -> bool:
    try:
        return requests.get(f"{url}/healthz", timeout=5).status_code == 200
    except requests.RequestException:
        return False


def _workers(connection: Redis) -> int:
    try:
        return len(Worker.all(connection=connection))
    except Exception:
        return 0


def _query(database_url: str, sql: str, **params):
    import sqlalchemy as sa

    engine = sa.create_engine(database_url, poolclass=sa.pool.NullPool)
    try:
        with engine.connect() as connection:
            return connection.execute(sa.text(sql), params).all()
    finally:
        engine.dispose()


def _pending_emails(database_url: str) -> int:
    try:
        rows = _query(
            database_url,
            "SELECT count(*) FROM outbox_emails WHERE status IN ('pending', 'sending')",
        )
    except Exception:
        return -1  # the database is not answering yet: not settled
    return rows[0][0]


def _outbox(database_url: str) -> list:
    return _query(
        database_url, "SELECT message_id, to_address, status, last_error FROM outbox_emails"
    )


def _stored_messages(database_url: str, conversation_id: int) -> Counter:
    rows = _query(
        database_url,
        "SELECT client_id, count(*) FROM messages WHERE conversation_id = :c GROUP BY client_id",
        c=conversation_id,
    )
    return Counter({client_id: n for client_id, n in rows})


def _synced(url: str, conversation_id: int) -> set:
    """What Ben's page would catch up on after a reconnect (the app's own sync)."""
    session = browser()
    token = csrf_token(session, f"{url}/login")
    session.post(
        f"{url}/login",
        data={"email": "ben@example.com", "password": PASSWORD, "csrf_token": token or ""},
        allow_redirects=False,
        timeout=30,
    )
    client = socketio.Client()
    client.connect(url, headers={"Cookie": _cookie_header(session)}, transports=["websocket"],
                   wait_timeout=30)  # fmt: skip
    found: set = set()
    try:
        last = 0
        while True:
            reply = client.call("sync", {"conversations": {str(conversation_id): last}}, timeout=30)
            messages = reply["messages"].get(str(conversation_id), [])
            found.update(m["client_id"] for m in messages)
            if not messages or str(conversation_id) not in [str(c) for c in reply.get("more", [])]:
                return found
            last = messages[-1]["seq"]
    finally:
        client.disconnect()


def _unhandled_errors(log: str) -> list[str]:
    """For each "unhandled error" in the web log (and each "Exception on", Flask's
    line for what escaped the error handlers): where, and the exception's last line."""
    found = []
    lines = log.splitlines()
    for n, line in enumerate(lines):
        # Lines read "[time] ERROR in errors: unhandled error on ..." (or "in app").
        if " ERROR in " in line and ("unhandled error" in line or "Exception on" in line):
            tail = [x for x in lines[n + 1 : n + 200] if x and not x.startswith((" ", "Trace"))]
            found.append(f"{line}: {' | '.join(tail[:3])}")
    return found
