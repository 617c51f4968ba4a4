"""The request board: full-text search (FTS5 on SQLite, tsvector on PostgreSQL)
behind one interface, filters combined with it, pagination, and hostile input.

Only what both databases do is asserted: both stem English words the same way
for the cases below, neither matches prefixes, and PostgreSQL (not FTS5) drops
stop words, so no assertion depends on a stop word.
"""

from __future__ import annotations

import pytest
from sqlalchemy import event, select

from community.db import db
from community.helping import requests, search
from community.helping.models import HelpRequest
from community.helping.requests import BoardFilters
from community.kindness.service import complete_match
from tests.builders import accept, answer, reload


def titles(q: str = "", page: int = 1, per_page: int = 20, **filters) -> list[str]:
    board = requests.board_page(BoardFilters(q=q, **filters), page=page, per_page=per_page)
    return [r.title for r in board.items]


@pytest.fixture
def board(make_user, make_request):
    """Four open requests, oldest first."""
    ann, bea = make_user(), make_user()
    make_request(
        ann,
        "beta-reading",
        title="Read my lighthouse novel",
        details="An epic fantasy about a keeper and her daughters, told in letters.",
        genre="fantasy",
        format="written",
    )
    make_request(
        bea,
        "critique",
        title="Critique of a submarine thriller",
        details="Chapter one of a techno-thriller set aboard a submarine in 1962.",
        genre="thriller",
        format="live_chat",
    )
    make_request(
        ann,
        "beta-reading",
        "critique",
        title="Beta readers for a café romance",
        details="A slow-burn romance in a Paris café; looking for readers who love banter.",
        genre="romance",
        format="call",
    )
    make_request(
        bea,
        "query-letters",
        title="Query letter for my lighthouse memoir",
        details="Twenty years keeping a real lighthouse, now a memoir seeking an agent.",
        genre="memoir",
        format="written",
    )


ALL = [
    "Query letter for my lighthouse memoir",
    "Beta readers for a café romance",
    "Critique of a submarine thriller",
    "Read my lighthouse novel",
]


def test_the_board_is_newest_first(app, board):
    assert titles() == ALL


@pytest.mark.parametrize(
    ("q", "expected"),
    [
        ("lighthouse", ["Query letter for my lighthouse memoir", "Read my lighthouse novel"]),
        ("LIGHTHOUSE", ["Query letter for my lighthouse memoir", "Read my lighthouse novel"]),
        ("submarine", ["Critique of a submarine thriller"]),  # title and details
        ("1962", ["Critique of a submarine thriller"]),  # a word of the details only
        ("banter", ["Beta readers for a café romance"]),
        ("lighthouse memoir", ["Query letter for my lighthouse memoir"]),  # every word
        ("lighthouse submarine", []),
        ("café", ["Beta readers for a café romance"]),
        # Stemming both databases share: plural and -ing forms find the stem.
        ("novels", ["Read my lighthouse novel"]),
        ("daughter", ["Read my lighthouse novel"]),
        ("reading", ["Read my lighthouse novel"]),
        ("keeping", ["Query letter for my lighthouse memoir"]),
        ("letters", ["Query letter for my lighthouse memoir", "Read my lighthouse novel"]),
        # Neither matches a prefix of a word.
        ("light", []),
        ("sub", []),
        ("dragon", []),
    ],
)
def test_search_finds_words_of_title_and_details(app, board, q, expected):
    assert titles(q) == expected


def test_filters_alone(app, board):
    assert titles(skill="critique") == [
        "Beta readers for a café romance",
        "Critique of a submarine thriller",
    ]
    assert titles(genre="memoir") == ["Query letter for my lighthouse memoir"]
    assert titles(format="written") == [
        "Query letter for my lighthouse memoir",
        "Read my lighthouse novel",
    ]
    assert titles(skill="no-such-skill") == []
    assert titles(genre="no-such-genre") == []
    assert titles(format="telepathy") == []


def test_filters_combine_with_the_search(app, board):
    assert titles("lighthouse", skill="beta-reading") == ["Read my lighthouse novel"]
    assert titles("lighthouse", genre="memoir") == ["Query letter for my lighthouse memoir"]
    assert titles("lighthouse", format="written") == [
        "Query letter for my lighthouse memoir",
        "Read my lighthouse novel",
    ]
    assert titles("lighthouse", skill="beta-reading", genre="fantasy", format="written") == [
        "Read my lighthouse novel"
    ]
    assert titles("lighthouse", skill="critique") == []
    assert titles("romance", skill="critique", genre="romance", format="call") == [
        "Beta readers for a café romance"
    ]


def test_only_open_requests_are_listed(app, board, make_user, make_volunteer, make_request):
    ann = make_user()
    vic = make_volunteer("Vic", "beta-reading")
    closed = make_request(ann, title="A closed lighthouse request")
    requests.close_request(ann, closed)
    expired = make_request(ann, title="An expired lighthouse request")
    expired.status = "expired"
    completed = make_request(ann, title="A completed lighthouse request")
    db.session.commit()
    complete_match(ann, accept(ann, answer(vic, completed)), "Thank you for the careful notes!")
    matched = make_request(ann, title="A matched lighthouse request")
    accept(ann, answer(vic, matched))
    db.session.commit()

    for q in ("", "lighthouse", "request"):
        listed = titles(q)
        assert not any(title.endswith("lighthouse request") for title in listed)
    assert titles("request") == []

    requests.reopen_request(ann, reload(closed))
    db.session.commit()
    assert titles("request") == ["A closed lighthouse request"]  # open again: listed again


def test_pagination(app, make_user, make_request):
    ann = make_user()
    for number in range(1, 8):
        make_request(ann, title=f"Lighthouse novel number {number}")
    make_request(
        ann,
        title="Something else entirely",
        details="A cookbook of winter soups, twenty recipes in all.",
    )

    first = requests.board_page(BoardFilters(q="lighthouse"), page=1, per_page=3)
    assert [r.title[-1] for r in first.items] == ["7", "6", "5"]
    assert (first.page, first.has_prev, first.has_next) == (1, False, True)
    second = requests.board_page(BoardFilters(q="lighthouse"), page=2, per_page=3)
    assert [r.title[-1] for r in second.items] == ["4", "3", "2"]
    assert (second.has_prev, second.has_next) == (True, True)
    last = requests.board_page(BoardFilters(q="lighthouse"), page=3, per_page=3)
    assert [r.title[-1] for r in last.items] == ["1"]
    assert (last.has_prev, last.has_next) == (True, False)
    beyond = requests.board_page(BoardFilters(q="lighthouse"), page=9, per_page=3)
    assert beyond.items == [] and not beyond.has_next and beyond.has_prev

    exact = requests.board_page(BoardFilters(), page=1, per_page=8)
    assert len(exact.items) == 8 and not exact.has_next  # exactly a page: no next
    assert requests.board_page(BoardFilters(), page=0).page == 1  # page < 1 is page 1
    assert requests.board_page(BoardFilters(), page=-5).items[0].title == "Something else entirely"


def test_a_board_page_takes_a_fixed_number_of_queries(app, make_user, make_request, count_queries):
    ann = make_user()
    for number in range(12):
        make_request(ann, "beta-reading", "critique", title=f"Lighthouse novel {number}")
    db.session.expire_all()
    with count_queries() as few:
        requests.board_page(BoardFilters(q="lighthouse", skill="critique"), per_page=2)
    db.session.expire_all()
    with count_queries() as many:
        page = requests.board_page(BoardFilters(q="lighthouse", skill="critique"), per_page=10)
        for request in page.items:
            assert request.requester.id and [s.slug for s in request.skills]
            assert request.genre.slug == "fantasy"
    assert many.count == few.count


def test_the_index_follows_the_text(app, make_user, make_request):
    ann = make_user()
    request = make_request(
        ann,
        title="Read my lighthouse novel",
        details="An epic fantasy about a keeper and her daughters.",
    )
    search.index_request(request.id, "Read my windmill novel", request.details)
    db.session.commit()
    assert titles("windmill") == ["Read my lighthouse novel"]
    assert titles("lighthouse") == []  # rewritten, not added to


HOSTILE = [
    '"',
    '""',
    '"lighthouse',
    'lighthouse"',
    '"lighthouse novel"',
    "lighthouse*",
    "*",
    "-lighthouse",
    "lighthouse -novel",
    "lighthouse OR submarine",
    "lighthouse AND",
    "NOT lighthouse",
    "NEAR(lighthouse novel)",
    "NEAR(lighthouse novel, 2)",
    "title:lighthouse",
    "{title details}: lighthouse",
    "^lighthouse",
    "(lighthouse",
    "lighthouse)",
    "((((",
    "))))",
    "lighthouse & submarine | !thriller",
    "lighthouse:*",
    "<->",
    "a <-> b",
    "'lighthouse'",
    "\\",
    "lighthouse\\",
    "%",
    "_",
    "___ lighthouse",
    "'; DROP TABLE help_requests; --",
    "café crème brûlée",
    "Ünïcödé ñandú",
    "日本語の小説",
    "😀📚",
    "ﬁction",  # a ligature
    "e\u0301",  # a combining accent
    "\u200b",  # a zero-width space
    "\t\n\r",
    "lighthouse\x00novel",
    "x" * 500,
    " ".join(["lighthouse"] * 100),
    ("lighthouse OR " * 40)[:500],
    ('"a" NEAR ' * 60)[:500],
    "-" * 500,
]


def test_member_input_never_breaks_the_search(app, board):
    for q in HOSTILE:
        page = requests.board_page(BoardFilters(q=q, skill="beta-reading"), per_page=5)
        assert all(item.status == "open" for item in page.items), q
        assert all(isinstance(item, HelpRequest) for item in page.items), q
        # The session is still usable afterwards (no failed transaction left behind).
        assert len(titles()) == 4, q


def test_syntax_is_taken_as_words(app, board):
    # Operators and quotes are dropped and the words kept: each of these
    # means "lighthouse novel".
    for q in ('"lighthouse novel"', "lighthouse* novel", "(lighthouse) -novel", "novel:lighthouse"):
        assert titles(q) == ["Read my lighthouse novel"], q
    assert titles("-lighthouse") == titles("lighthouse")  # no negation
    assert titles("lighthouse OR submarine") == []  # OR is a word, not an operator


def test_a_query_without_words_is_no_search(app, board):
    for q in ("", "   ", "!!!", "*", '"', "😀"):
        assert titles(q) == ALL


def test_search_terms():
    assert search.search_terms('NEAR("light house"*) OR -café') == [
        "NEAR",
        "light",
        "house",
        "OR",
        "café",
    ]
    assert len(search.search_terms("word " * 100)) == search.MAX_TERMS
    assert search.search_terms(None) == []


def test_among_matches_is_a_condition_on_the_callers_scan(app, board):
    assert search.among_matches(HelpRequest.id, "  !! ") is None
    found = search.among_matches(HelpRequest.id, "lighthouse")
    titles_found = db.session.scalars(
        select(HelpRequest.title).where(found).order_by(HelpRequest.id)
    ).all()
    assert titles_found == [title for title in reversed(ALL) if "lighthouse" in title.lower()]


def test_the_searched_board_walks_the_open_requests_newest_first(app, board):
    """The plan P3 of issue 17 asks for: the board's index walk probes the hits,
    instead of every hit being looked up and the lot sorted (bench/board.py)."""
    if db.session.get_bind().dialect.name != "sqlite":
        pytest.skip("PostgreSQL's plan follows its statistics; measured in bench/board.py")
    statements = []

    def keep(conn, cursor, statement, parameters, context, executemany):
        if "search_hits" in statement:
            statements.append((statement, parameters))

    engine = db.session.get_bind()
    event.listen(engine, "before_cursor_execute", keep)
    try:
        requests.board_page(BoardFilters(q="lighthouse", skill="beta-reading"))
    finally:
        event.remove(engine, "before_cursor_execute", keep)
    [(statement, parameters)] = statements
    plan = [
        row[3]
        for row in db.session.connection().exec_driver_sql(
            "EXPLAIN QUERY PLAN " + statement, parameters
        )
    ]
    assert any("USING INDEX ix_help_requests_status_created" in step for step in plan), plan
    assert not any("TEMP B-TREE FOR ORDER BY" in step for step in plan), plan
