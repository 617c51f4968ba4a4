"""Full-text search over help requests, one interface on SQLite and PostgreSQL.

SQLite keeps an FTS5 table (``help_request_fts``, rowid = request id);
PostgreSQL keeps a GIN-indexed ``tsvector`` per request
(``help_request_search``). Both are created by migration 0002 and written by
:func:`index_request` whenever a request's text changes. Only requests that
can be on the board (open or matched) are in the index: the lifecycle
functions in community.helping.requests call :func:`unindex_request` when a
request ends and :func:`index_request` when it opens again. Neither is an ORM
model: their column types exist on one database only.

:func:`matching_ids` returns the ids that match as a materialized CTE, so
the caller joins and filters *after* the match set is chosen. Putting the
MATCH beside joins and filters in one WHERE lets the planner scan requests
and test each against the index, which at scale is seconds instead of
milliseconds.

:func:`among_matches` is the board's form: a condition that a request id is
in that match set, written so that neither planner can start from the hits.
The board's order (open requests, newest first) is an index walk that stops
after one page; started from the hits, a common word's every hit is looked
up and sorted first (bench/board.py, docs/BENCHMARKS.md "Performance round
2").
"""

from __future__ import annotations

import re

from sqlalchemy import CTE, ColumnElement, literal_column, select, table, text, true

from community.db import db

_WORD = re.compile(r"\w+", re.UNICODE)
MAX_TERMS = 12


def _dialect() -> str:
    return db.session.get_bind().dialect.name


def search_terms(query: str | None) -> list[str]:
    """The words of a member's query; punctuation and operators are dropped."""
    return _WORD.findall(query or "")[:MAX_TERMS]


def index_request(request_id: int, title: str, details: str) -> None:
    """Write (or rewrite) the search entry of one request, in this transaction."""
    if _dialect() == "postgresql":
        db.session.execute(
            text(
                "INSERT INTO help_request_search (request_id, document) "
                "VALUES (:id, setweight(to_tsvector('english', :title), 'A') || "
                "to_tsvector('english', :details)) "
                "ON CONFLICT (request_id) DO UPDATE SET document = EXCLUDED.document"
            ),
            {"id": request_id, "title": title, "details": details},
        )
    else:
        db.session.execute(
            text("DELETE FROM help_request_fts WHERE rowid = :id"), {"id": request_id}
        )
        db.session.execute(
            text(
                "INSERT INTO help_request_fts (rowid, title, details) "
                "VALUES (:id, :title, :details)"
            ),
            {"id": request_id, "title": title, "details": details},
        )


def unindex_request(request_id: int) -> None:
    """Drop a request from the index: it has ended and can never be on the board.

    Keeping only live requests indexed keeps a common word's match set small
    (bench/: on 200k requests, 4% live, a common word went from 3.6x to 1.5x
    the plain board on SQLite, 5.0x to 1.6x on PostgreSQL).
    """
    if _dialect() == "postgresql":
        db.session.execute(
            text("DELETE FROM help_request_search WHERE request_id = :id"), {"id": request_id}
        )
    else:
        db.session.execute(
            text("DELETE FROM help_request_fts WHERE rowid = :id"), {"id": request_id}
        )


def matching_ids(query: str) -> CTE | None:
    """A materialized CTE with one column, ``request_id``, of the requests matching
    every word of ``query``; None when the query has no words."""
    terms = search_terms(query)
    if not terms:
        return None
    if _dialect() == "postgresql":
        # plainto_tsquery ANDs the words and never fails on what a member types.
        statement = (
            select(literal_column("request_id").label("request_id"))
            .select_from(table("help_request_search"))
            .where(text("document @@ plainto_tsquery('english', :q)").bindparams(q=" ".join(terms)))
        )
    else:
        # Each word quoted: FTS5 syntax (AND, NEAR, *, column filters) is never
        # interpreted from member input. Adjacent strings mean AND.
        fts_query = " ".join('"' + term.replace('"', '""') + '"' for term in terms)
        statement = (
            select(literal_column("rowid").label("request_id"))
            .select_from(table("help_request_fts"))
            .where(text("help_request_fts MATCH :q").bindparams(q=fts_query))
        )
    return statement.cte("search_hits").prefix_with("MATERIALIZED")


def among_matches(request_id: ColumnElement[int], query: str) -> ColumnElement[bool] | None:
    """A condition for a WHERE: ``request_id`` is one of the requests matching
    every word of ``query``; None when the query has no words.

    The hits are materialized once and probed from the caller's own scan, so
    that the planner keeps walking the caller's index (the board's open
    requests, newest first) and stops after a page, instead of starting from
    the hits and sorting them all. Two spellings hold both planners to it:
    the id is compared as ``request_id + 0``, an expression no index answers
    (SQLite would otherwise drive from the hits by primary key), and the test
    is wrapped in ``IS TRUE`` (same meaning in a WHERE), which PostgreSQL does
    not turn into a join (a nested loop that scans every hit for every
    request) but keeps as a hashed subplan: one hash of the hits, one probe
    per request walked.
    """
    hits = matching_ids(query)
    if hits is None:
        return None
    return (request_id + 0).in_(select(hits.c.request_id)).is_(true())
