"""Helpers for the accounts tests: sign-up through the form, links from emails,
copying a browser's cookies into another test client."""

from __future__ import annotations

import re
from urllib.parse import urlsplit

import pytest
from flask.testing import FlaskClient

from tests.factories import PASSWORD

BASE_URL = "http://kindred.test"
SESSION_COOKIE = "kindred_session"
REMEMBER_COOKIE = "kindred_remember"
NEW_PASSWORD = "a new and long passphrase"

__all__ = ["BASE_URL", "NEW_PASSWORD", "PASSWORD", "REMEMBER_COOKIE", "SESSION_COOKIE"]


def links_in(text: str) -> list[str]:
    """The site's links in an email's text, as paths for the test client."""
    found = re.findall(r"https?://[^\s<>\"']+", text)
    paths = []
    for url in found:
        parts = urlsplit(url)
        assert f"{parts.scheme}://{parts.netloc}" == BASE_URL, url
        paths.append(parts.path + (f"?{parts.query}" if parts.query else ""))
    return paths


def link_to(mailbox, message, prefix: str) -> str:
    """The one link in ``message`` whose path starts with ``prefix``."""
    matches = [p for p in links_in(mailbox.text(message)) if p.startswith(prefix)]
    assert len(matches) == 1, (prefix, mailbox.text(message))
    return matches[0]


def subjects(messages) -> list[str]:
    return [m["Subject"] for m in messages]


def copy_cookies(source, target, names=(SESSION_COOKIE, REMEMBER_COOKIE)) -> None:
    """Give ``target`` (a test client) copies of ``source``'s cookies."""
    for name in names:
        cookie = source.get_cookie(name)
        if cookie is not None:
            target.set_cookie(name, cookie.value, domain=cookie.domain, path=cookie.path)


class FreshContextClient(FlaskClient):
    """A test client whose every request runs in its own application context.

    The ``app`` fixture keeps an application context pushed for the whole
    test, and Flask reuses a pushed context for requests: ``g`` (where
    Flask-Login caches ``current_user``) and the database session would then
    be shared by every request of the test, and a logged-out or copied
    cookie would be judged by the previous request's user. Pushing a fresh
    context per request gives each request what it has in production.
    """

    def open(self, *args, **kwargs):
        with self.application.app_context():
            return super().open(*args, **kwargs)


@pytest.fixture
def client(app):
    app.test_client_class = FreshContextClient
    return app.test_client()


@pytest.fixture
def signup(client):
    """Sign up through the form: ``signup(email=..., name=..., password=...)``."""

    def do(email="new.author@example.com", name="Ada Writer", password=PASSWORD, c=None):
        return (c or client).post(
            "/signup", data={"email": email, "display_name": name, "password": password}
        )

    return do
