"""Live chat: latency, fan-out, the Redis message queue, connections, durability.

    .venv/bin/python bench/chat.py                       # everything, about 8 minutes
    .venv/bin/python bench/chat.py --only echo,fanout    # some parts
    .venv/bin/python bench/chat.py --pairs 20 --messages 50 --steps 250,500 --durable-messages 300

In one run on this machine, the site served as the Procfile serves it
(``gunicorn -w 1 --threads N wsgi:app``, threading) against a private
PostgreSQL database (``kindred_bench_chat``, recreated and migrated each run,
as production would use), and a bare python-socketio server in the same async
mode (bench/chat_server.py) served by the same gunicorn line, both on
127.0.0.1. Clients are python-socketio's threaded clients over WebSocket,
logged in through the real login form for the site.

1. ``echo``: send-to-acknowledge latency, one client sending one message at
   a time; the site and the bare server interleaved; p50 and p99.
2. ``fanout``: ``--pairs`` conversations at once, each sender sending
   ``--messages`` messages one after the other (waiting for each
   acknowledgement); end-to-end latency (send -> the other member's
   ``message`` event) p50/p99 and delivered messages per second; the site
   (which stores each message) against the bare server.
3. ``queue``: the same fan-out with the Redis message queue
   (``SOCKETIO_MESSAGE_QUEUE``, python-socketio's RedisManager) on both.
4. ``connections``: idle connections opened in steps (``--steps``) from
   ``--client-processes`` processes, and at each step a probe pair measures
   send-to-ack and end-to-end p50; held = the largest step with every
   connection up and p50 within 2x of the step with none. Served with
   ``--threads`` raised to the largest step: in threading mode each
   WebSocket holds one gunicorn thread for its whole life.
5. ``durability``: ``--durable-pairs`` pairs exchange messages (both members
   send ``--durable-messages`` each) while (a) the web process is killed with
   SIGKILL and restarted, (b) Redis (a private redis-server on its own port,
   carrying the message queue, presence and jobs) is killed and restarted.
   Clients resend unacknowledged messages with the same client id after
   reconnecting, and ask ``sync`` for everything after the last number they
   hold in order (after a reconnect, or a gap seen for ``GAP_SYNC_AFTER``
   seconds, and once at the end). Then what was sent, acknowledged, stored
   (the database) and delivered is compared: lost, duplicated, reordered.

Prints a table and writes ``bench/results/chat.json`` (with the machine).
Servers' logs: ``bench/results/chat-*.log``. Everything listens on the
loopback address only, every wait is bounded, and the bench stops only the
processes it started, by their ids.
"""

from __future__ import annotations

import argparse
import contextlib
import itertools
import math
import multiprocessing
import os
import signal
import socket
import subprocess
import threading
import time
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field
from pathlib import Path

import requests
import socketio
from common import (
    BENCH_PASSWORD,
    PG_SERVER,
    RESULTS,
    ROOT,
    check_bench_url,
    fmt_seconds,
    make_app,
    save_results,
)
from harness import HOST, free_port, gunicorn_command, login_cookie, site_env

DATABASE = "kindred_bench_chat"
WAIT = 10.0  # seconds any single call may wait
GAP_SYNC_AFTER = 0.5  # seconds a gap in the numbers may last before the client asks sync


# --- small helpers ---------------------------------------------------------------------


def percentile(values: list[float], q: float) -> float:
    """Nearest-rank percentile (q in 0..100)."""
    if not values:
        return float("nan")
    ordered = sorted(values)
    return ordered[max(0, math.ceil(q / 100 * len(ordered)) - 1)]


def summary(values: list[float]) -> dict:
    return {
        "count": len(values),
        "p50": percentile(values, 50),
        "p90": percentile(values, 90),
        "p99": percentile(values, 99),
        "max": max(values) if values else float("nan"),
    }


def ms(seconds: float) -> str:
    return "-" if seconds != seconds else fmt_seconds(seconds)


# --- the processes this bench starts -----------------------------------------------------


class Process:
    """A server this bench starts in its own process group, and stops by that id."""

    def __init__(self, name: str, command: list[str], env: dict, port: int, cwd=ROOT):
        self.name, self.command, self.env, self.port, self.cwd = name, command, env, port, cwd
        self.process: subprocess.Popen | None = None
        self.log = None
        self.starts = 0

    def start(self) -> None:
        RESULTS.mkdir(parents=True, exist_ok=True)
        if self.log is not None:
            self.log.close()
        self.log = open(RESULTS / f"chat-{self.name}.log", "a")  # noqa: SIM115  (closed in stop)
        self.process = subprocess.Popen(
            self.command,
            cwd=self.cwd,
            env={**os.environ, **self.env},
            stdout=self.log,
            stderr=subprocess.STDOUT,
            start_new_session=True,  # its own group: killing it kills its workers too
        )
        self.starts += 1

    def kill9(self) -> None:
        """SIGKILL the process and its children (its process group)."""
        if self.process is None:
            return
        with contextlib.suppress(ProcessLookupError):
            os.killpg(self.process.pid, signal.SIGKILL)
        self.process.wait(timeout=20)
        self.process = None

    def stop(self) -> None:
        if self.process is not None:
            try:
                os.killpg(self.process.pid, signal.SIGTERM)
                self.process.wait(timeout=20)
            except ProcessLookupError:
                pass
            except subprocess.TimeoutExpired:
                self.kill9()
            self.process = None
        if self.log is not None:
            self.log.close()
            self.log = None


class Web(Process):
    """``gunicorn -w 1 --threads N`` (the Procfile's web line) on the loopback."""

    def __init__(
        self,
        name: str,
        spec: str,
        env: dict,
        *,
        threads: int,
        connections: int | None = None,
        chdir=ROOT,
    ):
        port = free_port()
        command = gunicorn_command(
            spec, port, threads=threads, chdir=chdir, connections=connections
        )
        super().__init__(name, command, env, port)
        self.url = f"http://{HOST}:{port}"
        self.threads = threads

    def worker_memory(self) -> dict:
        """The gunicorn worker's resident memory and thread count (from /proc)."""
        try:
            pid = self.process.pid
            children = Path(f"/proc/{pid}/task/{pid}/children").read_text().split()
            status = Path(f"/proc/{children[0]}/status").read_text()
            fields = dict(line.split(":", 1) for line in status.splitlines() if ":" in line)
            return {
                "worker_rss_mb": round(int(fields["VmRSS"].split()[0]) / 1024),
                "worker_threads": int(fields["Threads"]),
            }
        except (OSError, IndexError, KeyError, ValueError, AttributeError):
            return {}

    def start(self, timeout: float = 60) -> None:
        super().start()
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            if self.process.poll() is not None:
                raise SystemExit(f"{self.name} exited: see bench/results/chat-{self.name}.log")
            try:
                # The Engine.IO handshake answers once the worker has loaded the app.
                response = requests.get(f"{self.url}/socket.io/?EIO=4&transport=polling", timeout=2)
                if response.status_code in (200, 400, 401):
                    return
            except requests.RequestException:
                pass
            time.sleep(0.1)
        raise SystemExit(f"{self.name} did not answer within {timeout} s")


class Redis(Process):
    """A private redis-server on its own port, so the shared one is never disturbed."""

    def __init__(self, port: int):
        command = [
            "redis-server",
            "--port",
            str(port),
            "--bind",
            HOST,
            "--save",
            "",
            "--appendonly",
            "no",
            "--daemonize",
            "no",
        ]
        super().__init__("redis", command, {}, port)
        self.url = f"redis://{HOST}:{port}/0"

    def start(self, timeout: float = 10) -> None:
        super().start()
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            try:
                with socket.create_connection((HOST, self.port), timeout=1) as connection:
                    connection.sendall(b"PING\r\n")
                    if connection.recv(16).startswith(b"+PONG"):
                        return
            except OSError:
                time.sleep(0.05)
        raise SystemExit(f"redis-server did not answer on port {self.port}")


def bare_env(message_queue: str | None) -> dict:
    return {"CHAT_BENCH_MESSAGE_QUEUE": message_queue or ""}


# --- the database: members in matched pairs -----------------------------------------------


@dataclass
class Person:
    id: int
    email: str
    cookie: str = ""


@dataclass
class Pair:
    requester: Person
    helper: Person
    conversation_id: int

    @property
    def members(self) -> list[int]:
        return [self.requester.id, self.helper.id]


def recreate(url: str) -> None:
    import psycopg

    check_bench_url(url)
    server, name = url.rsplit("/", 1)
    plain = server.replace("postgresql+psycopg://", "postgresql://")
    with psycopg.connect(f"{plain}/postgres", autocommit=True) as connection:
        connection.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
        connection.execute(f'CREATE DATABASE "{name}"')


def seed(url: str, pair_count: int, idle_count: int) -> tuple[list[Pair], list[Person]]:
    """A fresh, migrated database with ``pair_count`` matched pairs (one request
    each, through the domain, so each has its conversation) and ``idle_count``
    members who only connect."""
    from flask_migrate import upgrade
    from sqlalchemy import select

    from community.accounts.models import User
    from community.accounts.passwords import hash_password
    from community.chat.models import Conversation
    from community.db import db, utcnow
    from community.helping import answers, matches, offers
    from community.helping import requests as help_requests
    from community.helping.models import Skill
    from community.profiles.models import Profile

    recreate(url)
    app = make_app(url, ARGON2_TIME_COST=1, ARGON2_MEMORY_COST=1024, REDIS_URL=None)
    pairs, idle = [], []
    with app.app_context():
        upgrade()
        password_hash = hash_password(BENCH_PASSWORD)
        skill = db.session.scalar(select(Skill.id).where(Skill.slug == "beta-reading"))

        def member(email: str, name: str) -> User:
            user = User(
                email=email,
                display_name=name,
                password_hash=password_hash,
                email_verified_at=utcnow(),
            )
            db.session.add(user)
            db.session.add(Profile(user=user, about="", stage="drafting", timezone="UTC"))
            db.session.flush()
            return user

        for index in range(pair_count):
            requester = member(f"author{index}@bench.example", f"Author {index}")
            helper = member(f"helper{index}@bench.example", f"Helper {index}")
            offers.save_offer(helper, offers.OfferInput([skill], [], 5, "", False))
            request = help_requests.post_request(
                requester,
                help_requests.RequestInput(
                    title=f"Beta readers for novel {index}",
                    details="A 90k-word fantasy; I would love notes on the pacing of the middle.",
                    skill_ids=[skill],
                    genre_id=None,
                    format="written",
                    effort="about 6 hours",
                    deadline=None,
                    helpers_wanted=1,
                ),
            )
            answer = answers.answer_request(helper, request, "I would love to read it.")
            match = matches.accept_answer(requester, answer)
            db.session.commit()
            conversation = db.session.scalar(
                select(Conversation.id).where(Conversation.match_id == match.id)
            )
            pairs.append(
                Pair(
                    Person(requester.id, requester.email),
                    Person(helper.id, helper.email),
                    conversation,
                )
            )
        for index in range(idle_count):
            user = member(f"idle{index}@bench.example", f"Idle {index}")
            idle.append(Person(user.id, user.email))
        db.session.commit()
        db.session.remove()
        db.engine.dispose()
    return pairs, idle


# --- clients ---------------------------------------------------------------------------------


def connect(
    url: str,
    person: Person,
    *,
    bare: bool,
    conversations: dict | None = None,
    handlers: dict | None = None,
) -> socketio.Client:
    """A python-socketio client over WebSocket: the login cookie for the site; for the
    bare server, who it is and who is in its conversations (the site knows that)."""
    client = socketio.Client(reconnection=False)
    for event, handler in (handlers or {}).items():
        client.on(event, handler)
    if bare:
        auth = {
            "user_id": person.id,
            "conversations": {str(k): v for k, v in (conversations or {}).items()},
        }
        client.connect(url, auth=auth, transports=["websocket"], wait_timeout=WAIT)
    else:
        client.connect(
            url, headers={"Cookie": person.cookie}, transports=["websocket"], wait_timeout=WAIT
        )
    return client


def send(
    client: socketio.Client, conversation_id: int, client_id: str, body: str, timeout: float = WAIT
) -> dict:
    answer = client.call(
        "send",
        {"conversation_id": conversation_id, "client_id": client_id, "body": body},
        timeout=timeout,
    )
    if not answer or not answer.get("ok"):
        raise RuntimeError(f"send refused: {answer}")
    return answer


def close(clients) -> None:
    for client in clients:
        with contextlib.suppress(Exception):
            client.disconnect()


BODY = "Thanks for the notes on chapter three! I moved the storm scene earlier; see you soon."


# --- 1. echo ---------------------------------------------------------------------------------


def echo(servers: dict, pair: Pair, count: int, warmup: int, rounds: int = 2) -> dict:
    """Send-to-ack, one client, one message at a time; the targets interleaved."""
    times: dict[str, list[float]] = {name: [] for name in servers}
    clients = {}
    for name, (url, bare) in servers.items():
        conversations = {pair.conversation_id: pair.members}
        sender = connect(url, pair.requester, bare=bare, conversations=conversations)
        partner = connect(url, pair.helper, bare=bare, conversations=conversations)
        clients[name] = (sender, partner)
        for index in range(warmup):
            send(sender, pair.conversation_id, f"echo-w-{name}-{index}", BODY)
    for round_ in range(rounds):
        for name in servers:
            sender = clients[name][0]
            for index in range(count // rounds):
                client_id = f"echo-{name}-{round_}-{index}"
                begin = time.perf_counter()
                send(sender, pair.conversation_id, client_id, BODY)
                times[name].append(time.perf_counter() - begin)
    for pair_of_clients in clients.values():
        close(pair_of_clients)
    return {name: summary(values) for name, values in times.items()}


# --- 2 and 3. fan-out ----------------------------------------------------------------------


def fanout(url: str, bare: bool, pairs: list[Pair], messages: int, tag: str) -> dict:
    """Every pair at once: the requester sends ``messages`` one after the other (each
    after the last one's ack), the helper receives; end-to-end latency and rate."""
    lock = threading.Lock()
    sent_at: dict[str, float] = {}
    received_at: dict[str, float] = {}
    expected = len(pairs) * messages
    everything = threading.Event()

    def receiver(me: int):
        def on_message(payload):
            now = time.perf_counter()
            if payload.get("sender_id") == me:
                return
            with lock:
                received_at.setdefault(payload["client_id"], now)
                if len(received_at) >= expected:
                    everything.set()

        return on_message

    senders, receivers = [], []
    for pair in pairs:
        conversations = {pair.conversation_id: pair.members}
        receivers.append(
            connect(
                url,
                pair.helper,
                bare=bare,
                conversations=conversations,
                handlers={"message": receiver(pair.helper.id)},
            )
        )
        senders.append(connect(url, pair.requester, bare=bare, conversations=conversations))
    for sender, pair in zip(senders, pairs, strict=True):  # warm-up, not counted
        send(sender, pair.conversation_id, f"{tag}-warm-{pair.conversation_id}", BODY)
    time.sleep(0.5)
    with lock:
        received_at.clear()
    start = threading.Barrier(len(pairs) + 1)
    errors: list[str] = []

    def run(sender: socketio.Client, pair: Pair) -> None:
        start.wait()
        for index in range(messages):
            client_id = f"{tag}-{pair.conversation_id}-{index}"
            with lock:
                sent_at[client_id] = time.perf_counter()
            try:
                send(sender, pair.conversation_id, client_id, BODY, timeout=30)
            except Exception as error:
                errors.append(repr(error))
                return

    threads = [
        threading.Thread(target=run, args=(sender, pair), daemon=True)
        for sender, pair in zip(senders, pairs, strict=True)
    ]
    for thread in threads:
        thread.start()
    start.wait()
    began = time.perf_counter()
    for thread in threads:
        thread.join(timeout=300)
    everything.wait(timeout=30)
    with lock:
        latencies = [received_at[c] - sent_at[c] for c in received_at if c in sent_at]
        last = max(received_at.values(), default=began)
    close(senders + receivers)
    elapsed = last - began
    return {
        "pairs": len(pairs),
        "messages_per_sender": messages,
        "sent": len(sent_at),
        "delivered": len(latencies),
        "errors": errors[:5],
        "seconds": elapsed,
        "messages_per_second": len(latencies) / elapsed if elapsed > 0 else 0.0,
        "latency": summary(latencies),
    }


# --- 4. connections ------------------------------------------------------------------------


def idle_worker(pipe, url: str, people: list[tuple[int, str]], bare: bool) -> None:
    """In a client process: open idle connections on demand; keep them until told."""
    clients: list[socketio.Client] = []
    opened = 0

    def one(index: int):
        user_id, cookie = people[index % len(people)]
        try:
            return connect(url, Person(user_id, "", cookie), bare=bare)
        except Exception:
            return None

    while True:
        command, argument = pipe.recv()
        if command == "open":
            with ThreadPoolExecutor(8) as pool:
                made = list(pool.map(one, range(opened, opened + argument)))
            opened += argument
            clients += [client for client in made if client is not None]
            pipe.send({"connected": sum(client.connected for client in clients)})
        elif command == "count":
            pipe.send({"connected": sum(client.connected for client in clients)})
        else:
            pipe.send({"closing": len(clients)})
            os._exit(0)  # the server sees every socket close at once


def probe(url: str, pair: Pair, bare: bool, count: int) -> dict:
    """Send-to-ack and end-to-end latency of one pair, one message at a time."""
    arrived: dict[str, float] = {}
    got = threading.Event()

    def on_message(payload):
        if payload.get("sender_id") != pair.helper.id:
            arrived[payload["client_id"]] = time.perf_counter()
            got.set()

    conversations = {pair.conversation_id: pair.members}
    receiver = connect(
        url, pair.helper, bare=bare, conversations=conversations, handlers={"message": on_message}
    )
    sender = connect(url, pair.requester, bare=bare, conversations=conversations)
    acks, ends = [], []
    stamp = time.monotonic_ns()
    for index in range(count + 10):
        client_id = f"probe-{stamp}-{index}"
        got.clear()
        begin = time.perf_counter()
        send(sender, pair.conversation_id, client_id, BODY)
        acked = time.perf_counter()
        got.wait(timeout=WAIT)
        if index >= 10:  # the first ten warm up
            acks.append(acked - begin)
            if client_id in arrived:
                ends.append(arrived[client_id] - begin)
    close([sender, receiver])
    return {"ack": summary(acks), "end_to_end": summary(ends)}


def connections(
    web: Web,
    pair: Pair,
    idle: list[Person],
    steps: list[int],
    processes: int,
    count: int,
    bare: bool,
) -> dict:
    context = multiprocessing.get_context("spawn")
    people = [(person.id, person.cookie) for person in idle]
    pipes, workers = [], []
    for _ in range(processes):
        parent, child = context.Pipe()
        worker = context.Process(
            target=idle_worker, args=(child, web.url, people, bare), daemon=True
        )
        worker.start()
        pipes.append(parent)
        workers.append(worker)
    rows = []
    held = 0
    opened = 0
    try:
        for step in [0, *steps]:
            started = time.perf_counter()
            want = step - opened
            shares = [
                want // processes + (1 if i < want % processes else 0) for i in range(processes)
            ]
            for pipe, share in zip(pipes, shares, strict=True):
                pipe.send(("open", share))
            connected = sum(pipe.recv()["connected"] for pipe in pipes)
            opened = step
            open_seconds = time.perf_counter() - started
            time.sleep(1)
            result = probe(web.url, pair, bare, count)
            for pipe in pipes:
                pipe.send(("count", 0))
            still = sum(pipe.recv()["connected"] for pipe in pipes)
            base = rows[0]["ack"]["p50"] if rows else result["ack"]["p50"]
            memory = web.worker_memory()
            row = {
                "idle_connections": step,
                "connected": connected,
                "still_connected": still,
                "open_seconds": open_seconds,
                **result,
                "ack_p50_vs_none": result["ack"]["p50"] / base,
                **memory,
            }
            rows.append(row)
            ok = still >= step and row["ack_p50_vs_none"] <= 2.0
            print(
                f"    {step:5} idle: {still:5} connected, ack p50 {ms(result['ack']['p50'])}"
                f" ({row['ack_p50_vs_none']:.2f}x), end-to-end p50 "
                f"{ms(result['end_to_end']['p50'])}, opened in {open_seconds:.1f} s; "
                f"worker {memory.get('worker_rss_mb', '?')} MB, "
                f"{memory.get('worker_threads', '?')} threads",
                flush=True,
            )
            if not ok:
                break
            held = step
    finally:
        for pipe in pipes:
            try:
                pipe.send(("close", 0))
                pipe.recv()
            except (OSError, EOFError):
                pass
        for worker in workers:
            worker.join(timeout=10)
            if worker.is_alive():
                worker.kill()
    return {"threads": web.threads, "processes": processes, "steps": rows, "held": held}


# --- 5. durability ---------------------------------------------------------------------------


@dataclass
class DurableMember:
    """A member's client that never loses track: resend with the same client id until
    acknowledged, and catch up with ``sync`` from the last number held in order."""

    url: str
    person: Person
    conversation_id: int
    messages: int
    tag: str
    timeline: dict[int, dict] = field(default_factory=dict)  # seq -> payload held
    contiguous: int = 0  # every seq up to this one is held
    highest: int = 0
    acked: dict[str, int] = field(default_factory=dict)  # client id -> seq
    attempts: int = 0
    retries: int = 0
    refusals: int = 0
    already_stored: int = 0  # a resend the server recognised (stored before the ack was lost)
    reconnects: int = 0
    syncs: int = 0
    gap_syncs: int = 0
    live_repeats: int = 0  # a message event for a seq already held (ignored)
    conflicts: int = 0  # the same seq with another client id: must never happen
    live: int = 0  # messages first held from a live event
    synced: int = 0  # messages first held from sync
    gap_since: float | None = None
    client: socketio.Client | None = None
    lock: threading.Lock = field(default_factory=threading.Lock)
    done: bool = False
    error: str | None = None

    def client_id(self, index: int) -> str:
        return f"{self.tag}-{self.person.id}-{index}"

    def hold(self, payload: dict, source: str) -> None:
        if payload.get("conversation_id") != self.conversation_id:
            return
        with self.lock:
            seq = payload["seq"]
            if seq in self.timeline:
                if self.timeline[seq]["client_id"] != payload["client_id"]:
                    self.conflicts += 1
                if source == "live":
                    self.live_repeats += 1
                return
            self.timeline[seq] = payload
            if source == "live":
                self.live += 1
            elif source == "sync":
                self.synced += 1
            self.highest = max(self.highest, seq)
            while self.contiguous + 1 in self.timeline:
                self.contiguous += 1
            if self.highest <= self.contiguous:
                self.gap_since = None
            elif self.gap_since is None:
                self.gap_since = time.monotonic()  # a number is missing: wait, then sync

    def connect(self, deadline: float) -> None:
        while time.monotonic() < deadline:
            try:
                self.client = connect(
                    self.url,
                    self.person,
                    bare=False,
                    handlers={"message": lambda payload: self.hold(payload, "live")},
                )
                self.sync()
                return
            except Exception:
                time.sleep(0.2)
        raise RuntimeError(f"{self.person.email} could not reconnect")

    def sync(self) -> None:
        while True:
            answer = self.client.call(
                "sync",
                {"conversations": {str(self.conversation_id): self.contiguous}},
                timeout=WAIT,
            )
            if not answer or not answer.get("ok"):
                raise RuntimeError(f"sync refused: {answer}")
            self.syncs += 1
            for payload in answer["messages"].get(str(self.conversation_id), []):
                self.hold(payload, "sync")
            if str(self.conversation_id) not in answer.get("more", []):
                return

    def run(self, deadline: float) -> None:
        try:
            self.connect(deadline)
            for index in range(self.messages):
                client_id = self.client_id(index)
                while client_id not in self.acked:
                    if time.monotonic() > deadline:
                        raise RuntimeError("out of time")
                    if self.client is None or not self.client.connected:
                        self.reconnects += 1
                        self.connect(deadline)
                    try:
                        if self.gap_since and time.monotonic() - self.gap_since > GAP_SYNC_AFTER:
                            self.gap_syncs += 1
                            self.sync()
                        self.attempts += 1
                        answer = self.client.call(
                            "send",
                            {
                                "conversation_id": self.conversation_id,
                                "client_id": client_id,
                                "body": f"{BODY} #{index}",
                            },
                            timeout=3,
                        )
                    except Exception:
                        self.retries += 1
                        if self.client is not None and self.client.connected:
                            time.sleep(0.05)
                        continue
                    if answer and answer.get("ok"):
                        self.acked[client_id] = answer["message"]["seq"]
                        self.already_stored += bool(answer.get("duplicate"))
                        self.hold(answer["message"], "ack")
                    else:
                        self.refusals += 1  # e.g. the database or Redis is away: try again
                        time.sleep(0.1)
        except Exception as error:
            self.error = repr(error)
        finally:
            self.done = True

    def final_sync(self, deadline: float) -> None:
        if self.client is None or not self.client.connected:
            self.connect(deadline)
        self.sync()


def stored_messages(url: str, conversation_ids: list[int]) -> list[tuple]:
    import psycopg

    plain = url.replace("postgresql+psycopg://", "postgresql://")
    with psycopg.connect(plain) as connection:
        return connection.execute(
            "SELECT conversation_id, seq, sender_id, client_id FROM messages"
            " WHERE conversation_id = ANY(%s) ORDER BY conversation_id, seq",
            (conversation_ids,),
        ).fetchall()


def durability(
    webs: tuple[Web, Web],
    url: str,
    pairs: list[Pair],
    messages: int,
    fault,
    label: str,
    fault_at: float = 0.33,
) -> dict:
    """Both members of every pair send ``messages`` each while ``fault()`` happens once
    (after ``fault_at`` of the messages are acknowledged); then compare. Requesters
    connect to ``webs[0]``, helpers to ``webs[1]`` (the same process or another)."""
    deadline = time.monotonic() + 240
    members = [
        DurableMember(web.url, person, pair.conversation_id, messages, label)
        for pair in pairs
        for person, web in ((pair.requester, webs[0]), (pair.helper, webs[1]))
    ]
    threads = [threading.Thread(target=m.run, args=(deadline,), daemon=True) for m in members]
    began = time.perf_counter()
    for thread in threads:
        thread.start()
    total = messages * len(members)
    fault_info = {}
    while time.monotonic() < deadline:
        acked = sum(len(m.acked) for m in members)
        if acked >= total * fault_at:
            fault_info = {"acked_before_fault": acked, **fault()}
            break
        if all(m.done for m in members):
            break
        time.sleep(0.01)
    for thread in threads:
        thread.join(timeout=max(1.0, deadline - time.monotonic()))
    elapsed = time.perf_counter() - began
    time.sleep(1.0)  # let the last live events arrive
    before_final = {m.person.id: set(m.timeline) for m in members}
    for member in members:
        try:
            member.final_sync(deadline)
        except Exception as error:
            member.error = member.error or f"final sync: {error!r}"
    close([m.client for m in members if m.client is not None])

    rows = stored_messages(url, [pair.conversation_id for pair in pairs])
    stored: dict[str, list[tuple]] = {}
    for conversation_id, seq, sender_id, client_id in rows:
        stored.setdefault(client_id, []).append((conversation_id, seq, sender_id))
    sent_ids = {m.client_id(i): m for m in members for i in range(m.messages)}
    acked_ids = {cid for m in members for cid in m.acked}
    lost_stored = sorted(cid for cid in acked_ids if cid not in stored)
    duplicated_stored = sum(len(v) - 1 for cid, v in stored.items() if cid in sent_ids)
    # Gaps in the conversation's numbers (none may exist: seq is taken under a row lock).
    gaps = 0
    by_conversation: dict[int, list[int]] = {}
    for conversation_id, seq, _, _ in rows:
        by_conversation.setdefault(conversation_id, []).append(seq)
    for seqs in by_conversation.values():
        gaps += (max(seqs) - len(seqs)) if seqs else 0
    # Order: each sender's messages must be numbered in the order they were sent.
    reordered_stored = 0
    for member in members:
        seqs = [
            stored[member.client_id(i)][0][1]
            for i in range(member.messages)
            if member.client_id(i) in stored
        ]
        reordered_stored += sum(1 for a, b in itertools.pairwise(seqs) if b <= a)
    # Delivered: every stored message held by the other member (and by its sender).
    lost_delivery = 0
    delivered_before_final = 0
    duplicated_delivered = 0
    reordered_delivered = 0
    for member in members:
        mine = [cid for cid, v in stored.items() if v[0][0] == member.conversation_id]
        held_ids = {p["client_id"] for p in member.timeline.values()}
        lost_delivery += sum(1 for cid in mine if cid not in held_ids)
        others = [
            cid for cid in mine if cid in sent_ids and sent_ids[cid].person.id != member.person.id
        ]
        delivered_before_final += sum(
            1 for cid in others if stored[cid][0][1] in before_final[member.person.id]
        )
        counts: dict[str, int] = {}
        for payload in member.timeline.values():
            counts[payload["client_id"]] = counts.get(payload["client_id"], 0) + 1
        duplicated_delivered += sum(c - 1 for c in counts.values())
        # In the member's timeline (seq order), each sender's messages in sending order.
        last_index: dict[int, int] = {}
        for seq in sorted(member.timeline):
            payload = member.timeline[seq]
            index = int(payload["client_id"].rsplit("-", 1)[1])
            sender = payload["sender_id"]
            if index <= last_index.get(sender, -1):
                reordered_delivered += 1
            last_index[sender] = index
    result = {
        "pairs": len(pairs),
        "messages_per_member": messages,
        "seconds": elapsed,
        "fault": fault_info,
        "sent": len(sent_ids),
        "attempts": sum(m.attempts for m in members),
        "retries": sum(m.retries for m in members),
        "refused": sum(m.refusals for m in members),
        "resends_found_stored": sum(m.already_stored for m in members),
        "reconnects": sum(m.reconnects for m in members),
        "acknowledged": len(acked_ids),
        "stored": sum(len(v) for cid, v in stored.items() if cid in sent_ids),
        "delivered_to_partner_before_final_sync": delivered_before_final,
        "delivered_live": sum(m.live for m in members),
        "caught_up_by_sync": sum(m.synced for m in members),
        "gap_syncs": sum(m.gap_syncs for m in members),
        "live_repeats_ignored": sum(m.live_repeats for m in members),
        "lost": len(lost_stored) + lost_delivery,
        "lost_acked_not_stored": len(lost_stored),
        "lost_stored_not_delivered": lost_delivery,
        "duplicated": duplicated_stored + duplicated_delivered,
        "duplicated_stored": duplicated_stored,
        "duplicated_delivered": duplicated_delivered,
        "reordered": reordered_stored + reordered_delivered,
        "seq_gaps": gaps,
        "seq_conflicts": sum(m.conflicts for m in members),
        "client_errors": [m.error for m in members if m.error],
    }
    return result


# --- the run ---------------------------------------------------------------------------------


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument(
        "--only",
        default="echo,fanout,queue,connections,durability",
        help="parts to run (comma-separated)",
    )
    parser.add_argument("--threads", type=int, default=200, help="gunicorn --threads")
    parser.add_argument("--echo", type=int, default=1000, help="echo messages per target")
    parser.add_argument("--pairs", type=int, default=50, help="fan-out: concurrent pairs")
    parser.add_argument("--messages", type=int, default=100, help="fan-out: messages per sender")
    parser.add_argument("--steps", default="250,500,1000,1500", help="idle connections, ramped")
    parser.add_argument("--client-processes", type=int, default=4)
    parser.add_argument("--probe", type=int, default=200, help="probe messages per step")
    parser.add_argument("--durable-pairs", type=int, default=2)
    parser.add_argument(
        "--durable-messages",
        type=int,
        default=1000,
        help="messages each member sends in each durability run",
    )
    parser.add_argument(
        "--down", type=float, default=1.0, help="seconds the web process / Redis stays down"
    )
    parser.add_argument("--name", default="chat", help="results file bench/results/<name>.json")
    parser.add_argument("--redis-port", type=int, default=0, help="private redis (0: a free port)")
    args = parser.parse_args()
    parts = set(args.only.split(","))
    steps = [int(s) for s in args.steps.split(",") if s]
    url = f"{PG_SERVER}/{DATABASE}"
    check_bench_url(url)
    os.environ.pop("REDIS_URL", None)
    started = time.perf_counter()

    print(f"seeding {DATABASE} (PostgreSQL) ...", flush=True)
    pair_count = args.pairs + 1 + 2 * args.durable_pairs
    pairs, idle = seed(url, pair_count, idle_count=10)
    probe_pair = pairs[0]
    fan_pairs = pairs[1 : 1 + args.pairs]
    durable_web = pairs[1 + args.pairs : 1 + args.pairs + args.durable_pairs]
    durable_redis = pairs[1 + args.pairs + args.durable_pairs :]

    redis = Redis(args.redis_port or free_port())
    redis.start()
    results: dict = {
        "database": f"PostgreSQL, {DATABASE}",
        "threads": args.threads,
        "async_mode": "threading",
        "redis": "private redis-server on the loopback (no persistence)",
    }
    servers: list[Process] = [redis]
    try:
        site = Web(
            "site",
            "wsgi:app",
            site_env(url, redis_url=redis.url, message_queue=None),
            threads=args.threads,
        )
        bare = Web(
            "bare", "chat_server:app", bare_env(None), threads=args.threads, chdir=ROOT / "bench"
        )
        servers += [site, bare]
        site.start()
        bare.start()
        for person in [p for pair in pairs for p in (pair.requester, pair.helper)] + idle:
            person.cookie = login_cookie(site.url, person.email)
        print(
            f"  {len(pairs)} pairs and {len(idle)} idle members, logged in "
            f"({time.perf_counter() - started:.0f} s)",
            flush=True,
        )

        if "echo" in parts:
            print("echo: send-to-ack, one client", flush=True)
            results["echo"] = echo(
                {"site": (site.url, False), "bare": (bare.url, True)},
                probe_pair,
                args.echo,
                warmup=50,
            )
            for name, row in results["echo"].items():
                print(f"    {name:5} p50 {ms(row['p50'])}  p99 {ms(row['p99'])}", flush=True)

        if "fanout" in parts:
            print(f"fanout: {args.pairs} pairs x {args.messages} messages", flush=True)
            results["fanout"] = {}
            for name, target, is_bare in (("site", site, False), ("bare", bare, True)):
                row = fanout(target.url, is_bare, fan_pairs, args.messages, f"fan-{name}")
                results["fanout"][name] = row
                print(
                    f"    {name:5} p50 {ms(row['latency']['p50'])}  p99 "
                    f"{ms(row['latency']['p99'])}  {row['messages_per_second']:.0f} msg/s"
                    f"  ({row['delivered']}/{row['sent']} delivered)",
                    flush=True,
                )

        if "queue" in parts:
            print(f"queue: the same fan-out through Redis ({redis.url})", flush=True)
            site_q = Web(
                "site-queue",
                "wsgi:app",
                site_env(url, redis_url=redis.url, message_queue=redis.url),
                threads=args.threads,
            )
            bare_q = Web(
                "bare-queue",
                "chat_server:app",
                bare_env(redis.url),
                threads=args.threads,
                chdir=ROOT / "bench",
            )
            servers += [site_q, bare_q]
            site_q.start()
            bare_q.start()
            results["queue"] = {}
            for name, target, is_bare in (("site", site_q, False), ("bare", bare_q, True)):
                row = fanout(target.url, is_bare, fan_pairs, args.messages, f"fanq-{name}")
                results["queue"][name] = row
                print(
                    f"    {name:5} p50 {ms(row['latency']['p50'])}  p99 "
                    f"{ms(row['latency']['p99'])}  {row['messages_per_second']:.0f} msg/s"
                    f"  ({row['delivered']}/{row['sent']} delivered)",
                    flush=True,
                )
            site_q.stop()
            bare_q.stop()

        if "connections" in parts and steps:
            most = max(steps)
            threads = most + 200
            print(f"connections: idle sockets {steps}, --threads {threads}", flush=True)
            site.stop()
            bare.stop()
            site_c = Web(
                "site-connections",
                "wsgi:app",
                site_env(url, redis_url=redis.url, message_queue=None),
                threads=threads,
                connections=threads + 100,
            )
            servers.append(site_c)
            site_c.start()
            results["connections"] = connections(
                site_c, probe_pair, idle, steps, args.client_processes, args.probe, bare=False
            )
            site_c.stop()
            print(f"    held: {results['connections']['held']}", flush=True)

        if "durability" in parts:
            site.stop()
            bare.stop()
            dur = Web(
                "site-durability",
                "wsgi:app",
                site_env(url, redis_url=redis.url, message_queue=redis.url),
                threads=args.threads,
            )
            # A second web process for the Redis run: with one process python-socketio
            # delivers its own emits without Redis, so only members on different
            # processes show what a Redis outage does to live delivery.
            dur_b = Web(
                "site-durability-b",
                "wsgi:app",
                site_env(url, redis_url=redis.url, message_queue=redis.url),
                threads=args.threads,
            )
            servers += [dur, dur_b]
            dur.start()
            dur_b.start()
            results["durability"] = {}

            def kill_web() -> dict:
                begin = time.perf_counter()
                dur.kill9()
                time.sleep(args.down)
                dur.start()
                return {
                    "what": "web process SIGKILL, restarted",
                    "down_seconds": time.perf_counter() - begin,
                }

            def kill_redis() -> dict:
                begin = time.perf_counter()
                redis.kill9()
                time.sleep(args.down)
                redis.start()
                return {
                    "what": "redis-server SIGKILL, restarted empty",
                    "down_seconds": time.perf_counter() - begin,
                }

            for name, chosen, webs, fault in (
                ("web", durable_web, (dur, dur), kill_web),
                ("redis", durable_redis, (dur, dur_b), kill_redis),
            ):
                print(
                    f"durability: {name} fault, {len(chosen)} pairs x 2 members x "
                    f"{args.durable_messages} messages",
                    flush=True,
                )
                row = durability(webs, url, chosen, args.durable_messages, fault, f"dur{name}")
                row["web_processes"] = len(set(webs))
                results["durability"][name] = row
                print(
                    f"    sent {row['sent']}, acked {row['acknowledged']}, stored "
                    f"{row['stored']}, lost {row['lost']}, duplicated {row['duplicated']}, "
                    f"reordered {row['reordered']} (retries {row['retries']}, reconnects "
                    f"{row['reconnects']}, resends found stored {row['resends_found_stored']}, "
                    f"caught up by sync {row['caught_up_by_sync']}; "
                    f"{row['seconds']:.1f} s)",
                    flush=True,
                )
                if row["client_errors"]:
                    print(f"    client errors: {row['client_errors']}", flush=True)
            dur.stop()
            dur_b.stop()
    finally:
        for server in reversed(servers):
            server.stop()

    results["ratios"] = ratios(results)
    results["seconds"] = time.perf_counter() - started
    table(results, args)
    print(f"results: {save_results(args.name, {'args': vars(args), **results})}")


def ratios(results: dict) -> dict:
    out = {}
    if "echo" in results:
        echo_ = results["echo"]
        out["echo_p50"] = echo_["site"]["p50"] / echo_["bare"]["p50"]
        out["echo_p99"] = echo_["site"]["p99"] / echo_["bare"]["p99"]
    if "fanout" in results:
        fan = results["fanout"]
        out["fanout_p99"] = fan["site"]["latency"]["p99"] / fan["bare"]["latency"]["p99"]
        out["fanout_rate"] = fan["site"]["messages_per_second"] / fan["bare"]["messages_per_second"]
    if "queue" in results and "fanout" in results:
        out["queue_p99_site"] = (
            results["queue"]["site"]["latency"]["p99"] / results["fanout"]["site"]["latency"]["p99"]
        )
        out["queue_p99_bare"] = (
            results["queue"]["bare"]["latency"]["p99"] / results["fanout"]["bare"]["latency"]["p99"]
        )
    return out


def table(results: dict, args) -> None:
    r = results.get("ratios", {})

    def verdict(ok: bool) -> str:
        return "met" if ok else "NOT met"

    print()
    print(f"{'measure':58} {'site':>10} {'bare':>10} {'ratio':>7}  target")
    if "echo" in results:
        e = results["echo"]
        print(
            f"{'send->ack p50, 1 client, ' + str(args.echo) + ' msgs':58} "
            f"{ms(e['site']['p50']):>10} {ms(e['bare']['p50']):>10} {r['echo_p50']:7.2f}  "
            f"<= 1.25x {verdict(r['echo_p50'] <= 1.25)}"
        )
        print(
            f"{'send->ack p99':58} {ms(e['site']['p99']):>10} {ms(e['bare']['p99']):>10} "
            f"{r['echo_p99']:7.2f}  <= 1.5x {verdict(r['echo_p99'] <= 1.5)}"
        )
    if "fanout" in results:
        f = results["fanout"]
        label = f"fan-out {args.pairs} pairs x {args.messages}: end-to-end p50"
        print(
            f"{label:58} {ms(f['site']['latency']['p50']):>10} "
            f"{ms(f['bare']['latency']['p50']):>10}"
        )
        print(
            f"{'fan-out end-to-end p99':58} {ms(f['site']['latency']['p99']):>10} "
            f"{ms(f['bare']['latency']['p99']):>10} {r['fanout_p99']:7.2f}  <= 2x "
            f"{verdict(r['fanout_p99'] <= 2)}"
        )
        print(
            f"{'fan-out messages/s':58} {f['site']['messages_per_second']:10.0f} "
            f"{f['bare']['messages_per_second']:10.0f} {r['fanout_rate']:7.2f}  >= 0.5x "
            f"{verdict(r['fanout_rate'] >= 0.5)}"
        )
    if "queue" in results:
        q = results["queue"]
        print(
            f"{'with Redis queue: fan-out end-to-end p99':58} "
            f"{ms(q['site']['latency']['p99']):>10} {ms(q['bare']['latency']['p99']):>10}"
        )
        print(
            f"{'with Redis queue: messages/s':58} {q['site']['messages_per_second']:10.0f} "
            f"{q['bare']['messages_per_second']:10.0f}"
        )
        if "queue_p99_site" in r:
            print(
                f"{'queue p99 / no-queue p99 (site; bare in its column)':58} "
                f"{r['queue_p99_site']:10.2f} {r['queue_p99_bare']:10.2f} "
                f"{'':7}  site <= 1.3x {verdict(r['queue_p99_site'] <= 1.3)}"
            )
    if "connections" in results:
        c = results["connections"]
        for row in c["steps"]:
            label = f"{row['idle_connections']} idle sockets: probe ack p50 / e2e p50"
            print(
                f"{label:58} {ms(row['ack']['p50']):>10} {ms(row['end_to_end']['p50']):>10} "
                f"{row['ack_p50_vs_none']:7.2f}  ({row['still_connected']} up)"
            )
        print(
            f"{'connections held within 2x (--threads ' + str(c['threads']) + ')':58} "
            f"{c['held']:10}  {'':18}>= 1000 {verdict(c['held'] >= 1000)}"
        )
    if "durability" in results:
        for name, d in results["durability"].items():
            print(
                f"durability ({name}): sent {d['sent']} acked {d['acknowledged']} stored "
                f"{d['stored']} delivered-before-final-sync "
                f"{d['delivered_to_partner_before_final_sync']}/{d['stored']}"
                f" | lost {d['lost']} duplicated {d['duplicated']} reordered "
                f"{d['reordered']} | retries {d['retries']} reconnects {d['reconnects']}"
                f" synced {d['caught_up_by_sync']}  "
                f"{verdict(d['lost'] == 0 and d['duplicated'] == 0 and d['reordered'] == 0)}"
            )
    print(f"total {results['seconds']:.0f} s")


if __name__ == "__main__":
    main()
