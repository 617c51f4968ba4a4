"""The member directory /members: who is listed, search, filters, pages, queries."""

from __future__ import annotations

import re
from datetime import timedelta

import pytest

from community.db import db, utcnow


def names(response) -> list[str]:
    """The member names listed on a directory page, in order."""
    assert response.status_code == 200
    return re.findall(
        r'<h2><a href="/members/\d+">([^<]*)</a></h2>', response.get_data(as_text=True)
    )


@pytest.fixture
def authors(make_member):
    make_member(
        display_name="Maya Okafor",
        about="Epic fantasy with maps. 100% committed.",
        stage="querying",
        genres=["fantasy"],
        offers=["critique"],
    )
    make_member(
        display_name="Tom Reyes",
        about="Memoir of a lighthouse_keeper.",
        stage="drafting",
        genres=["memoir"],
        offers=["marketing", "critique"],
    )
    make_member(
        display_name="Ana Lima",
        about="Cozy mystery, 100 pages in.",
        stage="published",
        genres=["mystery", "fantasy"],
        offers=["beta-reading"],
    )


def test_only_confirmed_current_members_are_listed(client, make_user):
    make_user(display_name="Listed Member")
    make_user(display_name="Not Confirmed", unverified=True)
    make_user(display_name="Gone Member", deleted_at=utcnow())
    assert names(client.get("/members")) == ["Listed Member"]


def test_a_row_shows_avatar_stage_excerpt_genres_and_offers(client, make_member):
    user = make_member(
        display_name="Maya Okafor",
        about="word " * 100,
        stage="self_published",
        genres=["fantasy"],
        offers=["cover-design"],
        wants=["marketing"],
    )
    html = client.get("/members").get_data(as_text=True)
    assert f'href="/members/{user.id}"' in html
    assert ">MO</span>" in html
    assert "Self-published" in html
    assert "word word" in html and "word " * 60 not in html  # an excerpt, not the text
    assert "<li>Fantasy</li>" in html and "<li>Cover design</li>" in html
    assert "<li>Marketing</li>" not in html  # wants belong on the profile page


def test_newest_members_come_first_or_by_name(client, make_user):
    now = utcnow()
    for days, name in ((3, "bea Old"), (1, "Cy Newest"), (2, "Abe Middle")):
        make_user(display_name=name, created_at=now - timedelta(days=days))
    assert names(client.get("/members")) == ["Cy Newest", "Abe Middle", "bea Old"]
    assert names(client.get("/members?order=name")) == ["Abe Middle", "bea Old", "Cy Newest"]


@pytest.mark.parametrize(
    ("query", "expected"),
    [
        ("q=maya", ["Maya Okafor"]),
        ("q=OKAFOR", ["Maya Okafor"]),
        ("q=lighthouse", ["Tom Reyes"]),
        ("q=fantasy+maps", ["Maya Okafor"]),  # every word must match
        ("q=100", ["Ana Lima", "Maya Okafor"]),
        ("q=%25", ["Maya Okafor"]),  # % is a character, not a wildcard
        ("q=_", ["Tom Reyes"]),  # so is _
        ("q=100%25", ["Maya Okafor"]),
        ("q=nobody+matches+this", []),
        ("genre=fantasy", ["Ana Lima", "Maya Okafor"]),
        ("offers=critique", ["Maya Okafor", "Tom Reyes"]),
        ("stage=drafting", ["Tom Reyes"]),
        ("genre=fantasy&offers=critique", ["Maya Okafor"]),
        ("genre=fantasy&stage=published&q=cozy", ["Ana Lima"]),
    ],
)
def test_search_and_filters(client, authors, query, expected):
    assert sorted(names(client.get(f"/members?{query}"))) == expected


@pytest.mark.parametrize(
    "query",
    [
        "genre=no-such-genre",
        "genre=Fantasy%00",
        "offers=%27%3B+DROP+TABLE+users",
        "stage=famous",
        "order=sideways",
        "q=%00",
        "q=" + "x" * 5000,
        "page=abc",
        "page=-4",
        "page=0",
        "page=1.5",
        "page=99999999999999999999999999",
        "genre=&offers=&stage=&q=",
    ],
)
def test_odd_parameters_fall_back_instead_of_failing(client, authors, query):
    response = client.get(f"/members?{query}")
    assert response.status_code == 200
    if "x" * 100 not in query and "q=%00" not in query:
        assert len(names(response)) == 3  # an unusable filter is dropped, not applied


def test_the_filter_form_is_a_labelled_get_form_that_keeps_the_search(client, authors):
    html = client.get("/members?q=maps&genre=fantasy&stage=querying&order=name").get_data(
        as_text=True
    )
    assert re.search(r'<form method="get" action="/members"', html)
    for name in ("q", "genre", "offers", "stage", "order"):
        assert f'<label for="{name}">' in html
    assert 'value="maps"' in html
    assert '<option selected value="fantasy">' in html
    assert '<option selected value="querying">' in html
    assert (
        'name="csrf_token"'
        not in html[html.find('aria-label="Find members"') : html.find("</form>")]
    )


def test_pages_of_twenty_keep_the_filters(client, make_member):
    now = utcnow()
    for n in range(45):
        make_member(
            display_name=f"Writer {n:02d}",
            genres=["poetry"],
            created_at=now - timedelta(minutes=n),
        )
    make_member(display_name="Not a poet", genres=["memoir"])

    first = client.get("/members?genre=poetry")
    assert names(first) == [f"Writer {n:02d}" for n in range(20)]
    html = first.get_data(as_text=True)
    assert "45 members match" in html and "Page 1 of 3" in html
    assert 'href="/members?page=2&amp;genre=poetry" rel="next"' in html

    assert names(client.get("/members?genre=poetry&page=2")) == [
        f"Writer {n:02d}" for n in range(20, 40)
    ]
    last = [f"Writer {n:02d}" for n in range(40, 45)]
    assert names(client.get("/members?genre=poetry&page=3")) == last
    assert names(client.get("/members?genre=poetry&page=4000")) == last  # past the end
    assert names(client.get("/members?genre=poetry&page=nope")) == names(first)


def test_an_empty_search_says_so(client, authors):
    html = client.get("/members?q=zzzz").get_data(as_text=True)
    assert "No member matches that search." in html


def _directory_queries(client, count_queries, path="/members") -> int:
    with count_queries() as counter:
        response = client.get(path)
    assert response.status_code == 200
    return counter.count


@pytest.mark.parametrize("logged_in", [False, True])
def test_the_number_of_queries_does_not_grow_with_members(
    client, auth, make_member, count_queries, logged_in
):
    def add_members(count: int) -> None:
        for _ in range(count):
            make_member(
                about="I love fantasy",
                genres=["fantasy", "horror"],
                offers=["critique", "marketing"],
                wants=["synopsis"],
            )

    add_members(5)
    if logged_in:
        auth.login(make_member(genres=["fantasy"]).email)
    paths = ["/members", "/members?q=fantasy&genre=fantasy&offers=critique&order=name"]
    with_five = [_directory_queries(client, count_queries, path) for path in paths]

    add_members(45)
    with_fifty = [_directory_queries(client, count_queries, path) for path in paths]

    assert len(names(client.get("/members"))) == 20
    assert with_five == with_fifty
    db.session.remove()
