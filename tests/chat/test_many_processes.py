"""Two web processes (gunicorn, as in the Procfile) sharing Redis as the
Socket.IO message queue: members connected to different processes chat, a
logout in one process closes a socket held by the other, and a job process
emits to a member's browser."""

from __future__ import annotations

import json
import os
import socket
import subprocess
import sys
import time
from pathlib import Path

import pytest
import requests

from community import ROOT
from tests.chat.conftest import WAIT, Member, csrf_post, login

# Socket.IO's Redis channel is shared by every Redis db: one xdist worker runs these.
pytestmark = [pytest.mark.redis, pytest.mark.xdist_group("socketio-redis")]


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def environment(app, redis_url: str, tmp_path: Path) -> dict:
    return {
        **os.environ,
        "KINDRED_ENV": "development",
        "DATABASE_URL": app.config["SQLALCHEMY_DATABASE_URI"],
        "SECRET_KEY": app.config["SECRET_KEY"],
        "REDIS_URL": redis_url,
        "SOCKETIO_MESSAGE_QUEUE": redis_url,
        "BASE_URL": "http://kindred.test",
        "INSTANCE_PATH": str(tmp_path / "instance"),
        "MAIL_FILE_DIR": str(tmp_path / "mail"),
        "IN_PROCESS_SCHEDULER": "false",
        "PYTHONPATH": str(ROOT),
    }


@pytest.fixture
def web_processes(app, redis_url, tmp_path):
    env = environment(app, redis_url, tmp_path)
    gunicorn = str(Path(sys.executable).with_name("gunicorn"))
    servers = []
    for _ in range(2):
        port = free_port()
        process = subprocess.Popen(
            [gunicorn, "-w", "1", "--threads", "20", "-b", f"127.0.0.1:{port}", "wsgi:app"],
            cwd=ROOT,
            env=env,
            stdout=subprocess.DEVNULL,
            stderr=subprocess.PIPE,
        )
        servers.append((process, f"http://127.0.0.1:{port}"))
    try:
        for process, url in servers:
            deadline = time.monotonic() + 30
            while True:
                try:
                    if requests.get(f"{url}/healthz", timeout=5).ok:
                        break
                except requests.RequestException:
                    pass
                if process.poll() is not None or time.monotonic() > deadline:
                    raise RuntimeError(f"gunicorn did not start: {process.stderr.read()!r}")
                time.sleep(0.2)
        yield [url for _, url in servers], env
    finally:
        for process, _ in servers:
            process.terminate()
        for process, _ in servers:
            process.wait(timeout=15)


@pytest.fixture
def browsers(web_processes, pair):
    _urls, _ = web_processes
    made = []

    def open_on(url: str, email: str) -> Member:
        browser = Member(url, login(url, email))
        browser.connect()
        made.append(browser)
        return browser

    yield open_on
    for browser in made:
        browser.close()


def test_members_on_two_processes_chat_both_ways(web_processes, browsers, pair):
    (one, two), _ = web_processes
    ann, ben = browsers(one, "ann@example.com"), browsers(two, "ben@example.com")
    sent = ann.send(pair.conversation.id, "Hello from process one")
    assert sent["ok"], sent
    assert ben.next("message")["id"] == sent["message"]["id"]
    assert ann.next("message")["id"] == sent["message"]["id"]  # her own, echoed to her tabs
    answer = ben.send(pair.conversation.id, "And back from process two")
    assert answer["ok"], answer
    assert ann.next("message")["body"] == "And back from process two"
    # Presence and typing cross processes too.
    assert ann.call("presence", {"conversation_id": pair.conversation.id})["online"] is True
    assert ben.call("typing", {"conversation_id": pair.conversation.id})["ok"]
    assert ann.next("typing")["user_id"] == pair.ben.id


def test_a_logout_on_one_process_closes_the_socket_on_the_other(web_processes, pair):
    (one, two), _ = web_processes
    http = login(one, "ann@example.com")
    browser = Member(two, http)  # the same login session, its socket on process two
    browser.connect()
    try:
        response = csrf_post(http, one, "/logout")
        assert response.status_code == 302, response.text[:3000]
        assert browser.disconnected.wait(WAIT)
    finally:
        browser.close()


def test_a_job_process_can_emit_to_a_members_browser(web_processes, browsers, pair):
    (one, _), env = web_processes
    ben = browsers(one, "ben@example.com")
    payload = {"conversation_id": pair.conversation.id, "id": -1, "body": "from a job"}
    script = (
        "import json, sys\n"
        "from community.jobs import run_job\n"
        "run_job('community.chat.realtime:deliver', json.loads(sys.argv[1]), [int(sys.argv[2])])\n"
    )
    subprocess.run(
        [sys.executable, "-c", script, json.dumps(payload), str(pair.ben.id)],
        cwd=ROOT,
        env=env,
        check=True,
        timeout=60,
    )
    assert ben.next("message") == payload
