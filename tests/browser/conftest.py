"""Browser tests: the real app served on loopback, driven in Debian's Chromium.

The server runs in a thread of the test process against a migrated SQLite
file, so the test can read the emails it writes (the file transport).
"""

from __future__ import annotations

import os
import threading
from pathlib import Path

import pytest
from werkzeug.serving import make_server

from community import create_app
from community.db import db
from tests.conftest import IN_CI, Mailbox, _migrate, base_config

CHROMIUM = os.environ.get("CHROMIUM_PATH", "/usr/bin/chromium")
CHROMIUM_ARGS = [
    "--no-sandbox",
    "--disable-gpu",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--no-first-run",
    "--disable-quic",
]


@pytest.fixture(scope="session")
def browser():
    if not Path(CHROMIUM).exists():
        message = f"Chromium not found at {CHROMIUM} (apt-get install chromium)"
        if IN_CI:
            pytest.fail(message)
        pytest.skip(message)
    from playwright.sync_api import sync_playwright

    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS)
        yield browser
        browser.close()


class LiveServer:
    def __init__(self, app, server):
        self.app = app
        self.server = server
        self.url = f"http://127.0.0.1:{server.server_port}"
        self.mailbox = Mailbox(Path(app.config["MAIL_FILE_DIR"]))


@pytest.fixture
def live_server(tmp_path):
    database = tmp_path / "live.sqlite3"
    _migrate(f"sqlite:///{database}", tmp_path)
    server = make_server("127.0.0.1", 0, None, threaded=True)
    config = base_config(tmp_path, f"sqlite:///{database}")
    config["BASE_URL"] = f"http://127.0.0.1:{server.server_port}"
    app = create_app(config)
    server.app = app
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    yield LiveServer(app, server)
    server.shutdown()
    thread.join(timeout=10)
    with app.app_context():
        db.engine.dispose()


@pytest.fixture
def page(browser, live_server):
    context = browser.new_context(base_url=live_server.url)
    context.set_default_timeout(15_000)
    page = context.new_page()
    errors: list[str] = []
    page.on("pageerror", lambda error: errors.append(str(error)))
    page.on(
        "console",
        lambda message: errors.append(message.text) if message.type == "error" else None,
    )
    yield page
    context.close()
    assert errors == [], f"the browser reported errors: {errors}"
