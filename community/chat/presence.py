"""Who is connected: live sockets per member and per login session.

Two stores behind one interface: in this process's memory for the embedded
default (one web process), and in Redis when ``REDIS_URL`` is set, so that
every web process sees every connection. Each socket is recorded with the
time it was last confirmed; a web process confirms its own sockets every
:data:`HEARTBEAT_SECONDS`, so the sockets of a process that died (kill -9)
fade out after :data:`STALE_SECONDS` instead of showing a member online
for ever.

Redis going down must not break a chat: :class:`FallbackPresence` answers
from this process's memory while Redis cannot be reached (a member shows
online only to members on the same process meanwhile), and goes back to
Redis when it answers again; the heartbeat re-registers live sockets there.
"""

from __future__ import annotations

import logging
import threading
import time
from dataclasses import dataclass

from redis import Redis
from redis.exceptions import RedisError

log = logging.getLogger(__name__)

HEARTBEAT_SECONDS = 30
STALE_SECONDS = 90


@dataclass(frozen=True)
class Connection:
    sid: str
    user_id: int
    login_session_id: int


class MemoryPresence:
    """One process's view (no Redis): enough for ``make run``."""

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._seen: dict[str, tuple[Connection, float]] = {}

    def add(self, connection: Connection) -> bool:
        """Record a socket; True if it is the member's first live one."""
        with self._lock:
            first = not self._live_sids(connection.user_id)
            self._seen[connection.sid] = (connection, time.time())
            return first

    def remove(self, sid: str) -> tuple[Connection | None, bool]:
        """Forget a socket; returns it and whether its member is now offline."""
        with self._lock:
            entry = self._seen.pop(sid, None)
            if entry is None:
                return None, False
            connection = entry[0]
            return connection, not self._live_sids(connection.user_id)

    def refresh(self, sids: list[str]) -> None:
        now = time.time()
        with self._lock:
            for sid in sids:
                if sid in self._seen:
                    self._seen[sid] = (self._seen[sid][0], now)

    def sids_of_user(self, user_id: int) -> list[str]:
        with self._lock:
            return self._live_sids(user_id)

    def connections(self, sids: list[str]) -> list[Connection]:
        with self._lock:
            return [self._seen[sid][0] for sid in sids if sid in self._seen]

    def sids_of_sessions(self, login_session_ids: list[int]) -> list[str]:
        wanted = set(login_session_ids)
        with self._lock:
            return [
                sid
                for sid, (connection, _) in self._seen.items()
                if connection.login_session_id in wanted
            ]

    def online(self, user_ids: list[int]) -> set[int]:
        with self._lock:
            return {user_id for user_id in user_ids if self._live_sids(user_id)}

    def _live_sids(self, user_id: int) -> list[str]:
        cutoff = time.time() - STALE_SECONDS
        return [
            sid
            for sid, (connection, seen) in self._seen.items()
            if connection.user_id == user_id and seen >= cutoff
        ]


class RedisPresence:
    """Every web process's view, in Redis.

    ``<prefix>:user:<id>`` and ``<prefix>:session:<id>`` are sorted sets of
    sids scored by the time they were last confirmed.
    """

    def __init__(self, redis: Redis, prefix: str = "kindred:presence") -> None:
        self.redis = redis
        self.prefix = prefix

    def _user_key(self, user_id: int) -> str:
        return f"{self.prefix}:user:{user_id}"

    def _session_key(self, login_session_id: int) -> str:
        return f"{self.prefix}:session:{login_session_id}"

    def _sid_key(self, sid: str) -> str:
        return f"{self.prefix}:sid:{sid}"

    def add(self, connection: Connection) -> bool:
        now = time.time()
        user_key = self._user_key(connection.user_id)
        pipe = self.redis.pipeline()
        pipe.zremrangebyscore(user_key, 0, now - STALE_SECONDS)
        pipe.zcard(user_key)
        pipe.zadd(user_key, {connection.sid: now})
        pipe.expire(user_key, STALE_SECONDS * 2)
        pipe.zadd(self._session_key(connection.login_session_id), {connection.sid: now})
        pipe.expire(self._session_key(connection.login_session_id), STALE_SECONDS * 2)
        pipe.set(
            self._sid_key(connection.sid),
            f"{connection.user_id}:{connection.login_session_id}",
            ex=STALE_SECONDS * 2,
        )
        results = pipe.execute()
        return results[1] == 0

    def remove(self, sid: str) -> tuple[Connection | None, bool]:
        value = self.redis.getdel(self._sid_key(sid))
        if value is None:
            return None, False
        user_id, _, login_session_id = value.decode().partition(":")
        connection = Connection(sid, int(user_id), int(login_session_id))
        user_key = self._user_key(connection.user_id)
        pipe = self.redis.pipeline()
        pipe.zrem(user_key, sid)
        pipe.zrem(self._session_key(connection.login_session_id), sid)
        pipe.zremrangebyscore(user_key, 0, time.time() - STALE_SECONDS)
        pipe.zcard(user_key)
        results = pipe.execute()
        return connection, results[3] == 0

    def refresh(self, sids: list[str]) -> None:
        if not sids:
            return
        now = time.time()
        values = self.redis.mget([self._sid_key(sid) for sid in sids])
        pipe = self.redis.pipeline()
        for sid, value in zip(sids, values, strict=True):
            if value is None:
                continue
            user_id, _, login_session_id = value.decode().partition(":")
            for key in (self._user_key(int(user_id)), self._session_key(int(login_session_id))):
                pipe.zadd(key, {sid: now})
                pipe.expire(key, STALE_SECONDS * 2)
            pipe.expire(self._sid_key(sid), STALE_SECONDS * 2)
        pipe.execute()

    def sids_of_user(self, user_id: int) -> list[str]:
        return self._live(self._user_key(user_id))

    def sids_of_sessions(self, login_session_ids: list[int]) -> list[str]:
        sids: list[str] = []
        for login_session_id in login_session_ids:
            sids.extend(self._live(self._session_key(login_session_id)))
        return sids

    def online(self, user_ids: list[int]) -> set[int]:
        cutoff = time.time() - STALE_SECONDS
        pipe = self.redis.pipeline()
        for user_id in user_ids:
            pipe.zcount(self._user_key(user_id), cutoff, "+inf")
        return {user_id for user_id, n in zip(user_ids, pipe.execute(), strict=True) if n}

    def _live(self, key: str) -> list[str]:
        cutoff = time.time() - STALE_SECONDS
        return [sid.decode() for sid in self.redis.zrangebyscore(key, cutoff, "+inf")]


class FallbackPresence:
    """Redis presence that degrades to this process's memory while Redis is down.

    Every socket is recorded in both stores, so that a socket connected
    during the outage is known to Redis again once it answers (the
    heartbeat's refresh re-adds it).
    """

    def __init__(self, redis: Redis) -> None:
        self.shared = RedisPresence(redis)
        self.local = MemoryPresence()
        self._down = False

    def _try(self, method: str, *args):
        try:
            result = getattr(self.shared, method)(*args)
        except (RedisError, OSError) as error:
            if not self._down:
                log.warning("presence: Redis unreachable (%s); using this process's memory", error)
            self._down = True
            return None, False
        if self._down:
            log.warning("presence: Redis answers again")
            self._down = False
        return result, True

    def add(self, connection: Connection) -> bool:
        first_here = self.local.add(connection)
        first, ok = self._try("add", connection)
        return first if ok else first_here

    def remove(self, sid: str) -> tuple[Connection | None, bool]:
        here = self.local.remove(sid)
        result, ok = self._try("remove", sid)
        if ok and result[0] is not None:
            return result
        return here

    def refresh(self, sids: list[str]) -> None:
        self.local.refresh(sids)
        if not sids:
            return
        was_down = self._down
        _, ok = self._try("refresh", sids)
        if ok and was_down:
            # Sockets connected while Redis was down (or that it lost when it
            # restarted empty) are known to it again.
            for connection in self.local.connections(sids):
                self._try("add", connection)

    def sids_of_user(self, user_id: int) -> list[str]:
        result, ok = self._try("sids_of_user", user_id)
        return result if ok else self.local.sids_of_user(user_id)

    def sids_of_sessions(self, login_session_ids: list[int]) -> list[str]:
        result, ok = self._try("sids_of_sessions", login_session_ids)
        return result if ok else self.local.sids_of_sessions(login_session_ids)

    def online(self, user_ids: list[int]) -> set[int]:
        result, ok = self._try("online", user_ids)
        return result if ok else self.local.online(user_ids)
