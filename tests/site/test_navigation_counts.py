"""The member navigation's counts cost one query each per page, although the
layout shows them twice (in the wide and in the phone menu)."""

from __future__ import annotations

import re

import pytest

from community.db import db
from community.network.follows import follow


@pytest.mark.parametrize("path", ["/requests", "/account", "/members"])
def test_each_count_is_read_once_per_page(app, auth, client, make_user, count_queries, path):
    ann = make_user(email="ann@example.com")
    ben = make_user(email="ben@example.com")
    follow(ben, ann)  # Ann is told: one unread notification
    db.session.commit()
    auth.login("ann@example.com")
    with count_queries() as counted:
        page = client.get(path)
    assert page.status_code == 200
    html = page.get_data(as_text=True)
    assert html.count('aria-label="1 unread"') == 2  # wide and phone menus
    reads = [s for s in counted.statements if re.search(r"FROM notifications\b", s)]
    assert len(reads) == 1, reads
