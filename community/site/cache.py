"""A short-lived cache for what every visitor sees alike (the front page).

Rules:

- Only aggregates and ids go in here (counts; never a name, a text or
  anything a privacy switch, a block or a deletion hides): such things are
  read live, so that a switch takes effect at once everywhere. An id stored
  here names a *candidate* to show; the page reads its row live, with the
  rules that decide whether it may show, before showing anything of it.
- Entries live ``ttl`` seconds; a key carries the version of what is stored,
  so a deploy that changes the shape never reads an old entry.
- With Redis configured (production, many web processes) the entries are in
  Redis, shared; without it (the embedded one-process setup) they are kept on
  the application object, per process, never at module level. A Redis that
  does not answer costs a recomputation, never an error page.
"""

from __future__ import annotations

import json
import logging
import threading
import time
from collections.abc import Callable
from typing import Any

from flask import current_app

from community.jobs import redis_connection

log = logging.getLogger(__name__)
PREFIX = "kindred:cache:"


def remember(key: str, ttl: int, compute: Callable[[], Any]) -> Any:
    """``compute()``'s value (JSON-serialisable), from the cache when fresh."""
    connection = redis_connection()
    if connection is not None:
        try:
            stored = connection.get(PREFIX + key)
            if stored is not None:
                return json.loads(stored)
        except Exception:  # a cache that fails is a cache miss
            log.warning("cache: could not read %s", key, exc_info=True)
        value = compute()
        try:
            connection.set(PREFIX + key, json.dumps(value), ex=ttl)
        except Exception:
            log.warning("cache: could not store %s", key, exc_info=True)
        return value
    store, lock = _local_store()
    now = time.monotonic()
    with lock:
        entry = store.get(key)
        if entry is not None and entry[0] > now:
            return entry[1]
    value = compute()
    with lock:
        store[key] = (now + ttl, value)
    return value


def forget(key: str) -> None:
    connection = redis_connection()
    if connection is not None:
        try:
            connection.delete(PREFIX + key)
        except Exception:
            log.warning("cache: could not delete %s", key, exc_info=True)
        return
    store, lock = _local_store()
    with lock:
        store.pop(key, None)


def _local_store() -> tuple[dict[str, tuple[float, Any]], threading.Lock]:
    extensions = current_app.extensions
    if "kindred_cache" not in extensions:
        extensions.setdefault("kindred_cache", ({}, threading.Lock()))
    return extensions["kindred_cache"]
