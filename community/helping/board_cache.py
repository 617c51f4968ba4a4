"""The board's list of request cards, rendered once and shared by every member.

The newest-first board shows every member the same cards for the same
filters and page (it filters nothing per viewer: no blocks, no "mine"), so
the rendered list is kept and reused, keyed by the filters and the page, and
tagged with a **version** that every change a card could show bumps: a
request posted, edited, answered, matched, closed or expired (its row, its
skills), a moderator hiding or restoring one, a requester renaming
themselves, leaving, or changing their profile's stage, a skill or genre
renamed. The changes are noticed in one place, the session (its flushes, and
its bulk UPDATE and DELETE statements on those tables), so a new code path
cannot forget to invalidate; the bump happens after the commit
(:func:`community.db.after_commit`), so a rolled-back change bumps nothing
and a reader never caches a version older than what it read.

What stays per member is rendered fresh around the list: the navigation and
its counts, "best for me".

Where things live:

* the version in Redis when it is configured (``INCR``: every process sees
  it), in this process otherwise (one web process, as without Redis);
* the rendered lists in this process (``ENTRIES`` of them, least recently
  used first out), each for at most ``TTL`` seconds: the cards say "asked
  three hours ago", and a change committed by another process that could not
  reach the version (a CLI job without Redis, a bump during a Redis outage)
  shows within that time.

If Redis cannot be reached the board is rendered as if there were no cache
(and Redis is not asked again for ``PAUSE_AFTER_FAILURE`` seconds): never an
error for that.
"""

from __future__ import annotations

import threading
import time
from collections import OrderedDict
from collections.abc import Callable
from itertools import count

from flask import current_app
from redis.exceptions import RedisError
from sqlalchemy import event, inspect
from sqlalchemy.orm import Session

from community.accounts.models import User
from community.db import after_commit, db
from community.helping.models import HelpRequest
from community.jobs import redis_connection
from community.moderation.models import HiddenItem
from community.profiles.models import Genre, Profile, Skill

TTL = 60.0  # seconds a rendered list is kept at most
ENTRIES = 256  # rendered lists kept per process
VERSION_KEY = "kindred:board-cards:version"

# What a card shows, by table: a change to any of these rows bumps the version.
WATCHED_TABLES = frozenset(
    {"help_requests", "request_skills", "hidden_items", "users", "profiles", "skills", "genres"}
)
# Of a member, only what a card shows (logging in writes last_seen_at).
USER_FIELDS = ("display_name", "deleted_at")
PROFILE_FIELDS = ("stage",)
_CHANGED = "board_cards_changed"
# After Redis fails, how long the board stops asking it (and renders): a
# Redis that does not answer would otherwise cost every load its timeout.
PAUSE_AFTER_FAILURE = 5.0

_lock = threading.Lock()
_entries: OrderedDict[tuple, tuple[float, str]] = OrderedDict()
_local_version = count(1)
_local_current = [0]
_redis_paused_until = [0.0]


def version() -> str | None:
    """The current version of the cards, or None when it cannot be read (no cache then)."""
    connection = redis_connection()
    if connection is None:
        return f"local-{_local_current[0]}"
    if time.monotonic() < _redis_paused_until[0]:
        return None
    try:
        value = connection.get(VERSION_KEY)
    except RedisError:
        _redis_paused_until[0] = time.monotonic() + PAUSE_AFTER_FAILURE
        return None
    return f"redis-{int(value or 0)}"


def bump() -> None:
    """Make every rendered list stale (after a commit that changed a card)."""
    with _lock:
        _local_current[0] = next(_local_version)
    connection = redis_connection()
    if connection is None:
        return
    try:
        connection.incr(VERSION_KEY)
    except RedisError:
        # Other processes keep their lists until TTL; this one starts over.
        with _lock:
            _entries.clear()
        current_app.logger.warning("could not bump the board's card version in Redis")


def cards(key: tuple, render: Callable[[], str]) -> str:
    """The rendered list for ``key`` (the filters and the page): kept, or
    rendered by ``render`` now and kept under the version read before it ran."""
    current = version()
    if current is None:
        return render()
    entry_key = (current, key)
    now = time.monotonic()
    with _lock:
        found = _entries.get(entry_key)
        if found is not None and now - found[0] < TTL:
            _entries.move_to_end(entry_key)
            return found[1]
    html = render()
    with _lock:
        _entries[entry_key] = (now, html)
        _entries.move_to_end(entry_key)
        while len(_entries) > ENTRIES:
            _entries.popitem(last=False)
    return html


def clear() -> None:
    """Forget every rendered list of this process (tests, a new app)."""
    with _lock:
        _entries.clear()


# --- noticing the changes ----------------------------------------------------------


def _shows_on_a_card(obj) -> bool:
    if isinstance(obj, HelpRequest | HiddenItem | Skill | Genre):
        return not isinstance(obj, HiddenItem) or obj.item_type == "request"
    if isinstance(obj, User | Profile):
        fields = USER_FIELDS if isinstance(obj, User) else PROFILE_FIELDS
        state = inspect(obj)
        if state.pending or state.deleted or obj in state.session.deleted:
            return True
        return any(state.attrs[name].history.has_changes() for name in fields)
    return False


def _mark(session: Session) -> None:
    if not session.info.get(_CHANGED):
        session.info[_CHANGED] = True
        after_commit(bump)


def _before_flush(session: Session, flush_context, instances) -> None:
    if session.info.get(_CHANGED):
        return
    if any(_shows_on_a_card(obj) for obj in (*session.new, *session.dirty, *session.deleted)):
        _mark(session)


def _bulk_statement(orm_execute_state) -> None:
    if not (orm_execute_state.is_update or orm_execute_state.is_delete):
        return
    table = getattr(orm_execute_state.statement, "table", None)
    if table is None or getattr(table, "name", None) not in WATCHED_TABLES:
        return
    if table.name == "users":
        values = getattr(orm_execute_state.statement, "_values", None) or {}
        keys = {getattr(column, "key", column) for column in values}
        if keys and not keys & set(USER_FIELDS) and orm_execute_state.is_update:
            return  # e.g. last_seen_at: not on a card
    _mark(orm_execute_state.session)


def _forget_mark(session: Session, *args) -> None:
    session.info.pop(_CHANGED, None)


def install() -> None:
    """Start with no rendered list (a new app may have another database), and
    watch the session class for changes to what cards show (idempotent)."""
    with _lock:
        _entries.clear()
        _local_current[0] = next(_local_version)
        _redis_paused_until[0] = 0.0
    session_class = db.session.session_factory.class_
    if event.contains(session_class, "before_flush", _before_flush):
        return
    event.listen(session_class, "before_flush", _before_flush)
    event.listen(session_class, "do_orm_execute", _bulk_statement)
    event.listen(session_class, "after_commit", _forget_mark)
    event.listen(session_class, "after_rollback", _forget_mark)
