"""The front page as a visitor sees it: the community's figures (as the database
has them), the kinds of help asked for, public thank-yous only, a few members."""

from __future__ import annotations

import re

import pytest
from sqlalchemy import distinct, func, select

from community.accounts.models import User
from community.accounts.service import delete_account
from community.db import db
from community.kindness import privacy
from community.kindness import service as kindness
from community.kindness.models import CameBack, HelpAct
from community.moderation import service as moderation
from community.site import cache, front_page
from tests.builders import make_match, make_request
from tests.factories import PASSWORD

PUBLIC = "Thank you, your notes on my opening changed everything."
PRIVATE = "A private thank-you: you got me through a hard week."
HIDDEN_HELPER = "Thanks for the synopsis notes, they were spot on."


@pytest.fixture(autouse=True)
def fresh_cache(app):
    """The shared part is cached for a minute, in the app that the tests share:
    each test starts from its own community."""
    cache.forget(front_page.CACHE_KEY)


def figure(html: str, label: str) -> int:
    found = re.search(rf"<dt>[^<]*{label}[^<]*</dt><dd>(\d+)</dd>", html)
    assert found, f"no figure for {label}"
    return int(found[1])


def community(make_user):
    ann = make_user(display_name="Ann Asker", profile__about="I write mysteries set in Cornwall.")
    ben = make_user(display_name="Ben Beta", profile__about="Retired teacher, keen beta reader.")
    cat = make_user(display_name="Cat Private", profile__about="I keep my kindness quiet.")
    dee = make_user(display_name="Dee Demure")
    first, _ = make_match(ann, ben)
    kindness.complete_match(ann, first, PUBLIC)
    second, _ = make_match(dee, ben)
    kindness.complete_match(dee, second, PRIVATE, keep_private=True)
    third, _ = make_match(ann, cat)
    kindness.complete_match(ann, third, HIDDEN_HELPER)
    privacy.set_ripples_private(cat, True)
    make_request(ann, "critique", title="Critique of my first chapter")
    make_request(dee, "critique", title="Another critique, please")
    db.session.commit()
    return ann, ben, cat, dee


def test_a_visitor_sees_the_community_and_nothing_private(app, client, make_user):
    community(make_user)
    html = client.get("/").get_data(as_text=True)

    members = db.session.scalar(select(func.count(User.id)))
    assert figure(html, "members") == members == 4
    assert figure(html, "acts of help this month") == db.session.scalar(
        select(func.count(HelpAct.id))
    )
    assert figure(html, "reached by help") == db.session.scalar(
        select(func.count(distinct(HelpAct.helped_id)))
    )
    assert figure(html, "kindness came back") == db.session.scalar(select(func.count(CameBack.id)))
    assert "<strong>2</strong> open requests for critique" in html
    # Requests stay members-only: counts, never titles.
    assert "Critique of my first chapter" not in html
    # Only the thank-you both sides let show.
    assert PUBLIC in html
    assert PRIVATE not in html
    assert HIDDEN_HELPER not in html  # its helper keeps their acts of help off public pages
    assert "I write mysteries set in Cornwall." in html
    # It works without JavaScript: no script at all for a visitor.
    assert "<script" not in html


def test_a_privacy_switch_shows_at_once_though_the_figures_are_cached(app, client, make_user):
    ann, ben, _, _ = community(make_user)
    assert PUBLIC in client.get("/").get_data(as_text=True)
    thanks = front_page.public_thanks()[0]
    kindness.set_thanks_private(ben, thanks, True)
    db.session.commit()
    assert PUBLIC not in client.get("/").get_data(as_text=True)
    kindness.set_thanks_private(ben, thanks, False)
    privacy.set_ripples_private(ann, True)
    db.session.commit()
    assert PUBLIC not in client.get("/").get_data(as_text=True)


def test_the_front_page_takes_a_fixed_number_of_queries(app, client, make_user, count_queries):
    community(make_user)
    client.get("/")  # fills the figures' cache
    with count_queries() as few:
        assert client.get("/").status_code == 200
    for index in range(6):
        other = make_user(display_name=f"Member {index}", profile__about="Writing.")
        match, _ = make_match(other, make_user())
        kindness.complete_match(other, match, f"Thank you for everything, number {index}.")
    db.session.commit()
    with count_queries() as many:
        assert client.get("/").status_code == 200
    assert many.count == few.count
    # The figures and the candidates come from the cache: the thank-yous and
    # the members shown are read by id, one query each.
    assert few.count <= 3


def test_a_deletion_a_suspension_and_a_hidden_item_show_at_once_though_cached(
    app, client, make_user
):
    ann, ben, cat, _ = community(make_user)
    mo = make_user(display_name="Mo Moderator", is_moderator=True)
    html = client.get("/").get_data(as_text=True)  # fills the cache
    assert PUBLIC in html and "I keep my kindness quiet." in html
    thanks = front_page.public_thanks()[0]
    moderation.hide_item(mo, ann, "thanks", thanks.id, "Names a third person.")
    db.session.commit()
    assert PUBLIC not in client.get("/").get_data(as_text=True)

    moderation.suspend_member(mo, cat, 7, "Spam.")
    db.session.commit()
    assert "I keep my kindness quiet." not in client.get("/").get_data(as_text=True)

    assert "Retired teacher, keen beta reader." in client.get("/").get_data(as_text=True)
    delete_account(ben, PASSWORD)
    db.session.commit()
    html = client.get("/").get_data(as_text=True)
    assert "Retired teacher, keen beta reader." not in html and "Ben Beta" not in html


def test_the_shared_part_is_computed_once_for_every_visitor(app, make_user, count_queries):
    community(make_user)
    cache.forget(front_page.CACHE_KEY)
    first = app.test_client()
    assert first.get("/").status_code == 200
    with count_queries() as second_visitor:
        assert app.test_client().get("/").status_code == 200
    # No aggregate is computed again: no count() and no directory query.
    assert not [sql for sql in second_visitor.statements if "count(" in sql.lower()]


def test_members_go_to_their_feed(app, client, make_user, auth):
    make_user(email="ann@example.com")
    auth.login("ann@example.com")
    assert client.get("/").headers["Location"] == "/feed"
