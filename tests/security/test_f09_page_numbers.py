"""Finding 9: huge or hostile numbers in the query string never give a 500,
and a deep feed page does not make every source load a million rows."""

from __future__ import annotations

import pytest

from community.network import feed, follows
from tests.accounts.helpers import login
from tests.chat.conftest import make_match

HOSTILE = ["99999999999999999999", "-99999999999999999999", "-1", "0", "2147483648", "abc", ""]


@pytest.fixture
def member(app, make_user):
    ann = make_user(email="ann@example.com", display_name="Ann Author")
    ben = make_user(email="ben@example.com", display_name="Ben Beta")
    _, conversation = make_match(ann, ben)
    follows.follow(ben, ann)
    follows.follow(ann, ben)
    from community.db import db

    db.session.commit()
    return {"ann": ann.id, "ben": ben.id, "conversation": conversation.id}


@pytest.mark.parametrize("value", HOSTILE)
def test_hostile_page_numbers_are_clamped_not_500(app, client, member, value):
    assert login(client, "ann@example.com").status_code == 302
    paths = [
        f"/notifications/?page={value}",
        f"/members/{member['ann']}/followers?page={value}",
        f"/members/{member['ann']}/following?page={value}",
        f"/feed?page={value}",
        f"/members?page={value}",
        f"/requests?page={value}",
        f"/chats/{member['conversation']}?before={value}",
    ]
    for path in paths:
        response = client.get(path)
        assert response.status_code in (200, 404), (path, response.status_code)


def test_a_deep_feed_page_loads_a_bounded_number_of_rows(app, member):
    from community.network import feed as feed_module

    asked = []
    original = list(feed_module.SOURCES)

    def spy(source):
        def wrapped(user_id, limit):
            asked.append(limit)
            return source(user_id, limit)

        return wrapped

    feed_module.SOURCES[:] = [spy(s) for s in original]
    try:
        items, has_next = feed.feed_page(member["ann"], 50_000)
    finally:
        feed_module.SOURCES[:] = original
    assert items == [] and not has_next
    assert all(limit <= feed.PAGE_MAX * feed.PAGE_SIZE + 1 for limit in asked)
