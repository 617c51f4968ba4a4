"""Helpers for the accounts (and site) tests: links from emails, cookies,
logging in through the forms, reading what is committed."""

from __future__ import annotations

import re
from urllib.parse import urlsplit

from tests.conftest import FreshContextClient  # noqa: F401  (re-exported)
from tests.factories import PASSWORD

BASE_URL = "http://kindred.test"
SESSION_COOKIE = "kindred_session"
REMEMBER_COOKIE = "kindred_remember"
NEW_PASSWORD = "a new and long passphrase"


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


def login(client, email, password=PASSWORD, remember=False, **kwargs):
    data = {"email": email, "password": password}
    if remember:
        data["remember"] = "y"
    return client.post("/login", data=data, **kwargs)


def logout(client):
    return client.post("/logout")


def is_logged_in(client) -> bool:
    """Whether ``client``'s cookies open the account page (else: sent to log in)."""
    response = client.get("/account")
    if response.status_code == 302:
        assert response.headers["Location"].startswith("/login"), response.headers["Location"]
        return False
    assert response.status_code == 200, response.status_code
    return True


def current(model, **where):
    """Rows as committed now: the test's own session may hold an old snapshot."""
    from sqlalchemy import select

    from community.db import db

    db.session.rollback()
    return db.session.scalars(select(model).filter_by(**where)).all()


def one(model, **where):
    rows = current(model, **where)
    assert len(rows) == 1, rows
    return rows[0]
