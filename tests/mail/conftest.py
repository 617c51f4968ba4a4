"""Fixtures of the mail tests: a real SMTP server (aiosmtpd) on a free port."""

from __future__ import annotations

import pytest

from tests.support_smtp import SmtpServer


@pytest.fixture
def smtp_server():
    server = SmtpServer().start()
    yield server
    server.stop()
