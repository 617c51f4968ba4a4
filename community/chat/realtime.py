"""Socket.IO: the live side of chat, a thin adapter over :mod:`community.chat.service`.

A connection is accepted only from a signed-in member (the login session in
the handshake's cookie) and from the site's own origin (``create_app`` sets
``cors_allowed_origins``). The server, never the client, decides where a
connection listens: it joins one room, ``user:<id>``, and everything for the
member (messages of all their conversations, read receipts, typing,
presence, blocks) is emitted there. A conversation's participants are
looked up per event, so a block or a cancelled match takes effect at once:
with a block either way no presence, typing or read receipt crosses between
the two members, and asking for the other's presence is refused.

Connections are gated before the upgrade (login, Origin, caps per member
and per address: :mod:`community.chat.handshake`), and ``typing``,
``read``, ``sync`` and ``history`` are limited per connection
(``SOCKET_EVENT_LIMITS``; over it: ``rate_limited``).

Every event re-reads the member from their login session, so a socket whose
session ended (logout, password change, "sign out everywhere", deletion)
can do nothing more; :func:`community.chat.push.disconnect_sessions` also
closes it at once.

This module only answers events; what the server pushes on its own (new
messages, read receipts, blocks) goes through the publisher,
:mod:`community.chat.push`, which the domain calls after commit.

Events from the client (each answers through its acknowledgement, always
``{"ok": true, ...}`` or ``{"ok": false, "error": {"code", "message"}}``):

``send``     {conversation_id, client_id, body}  -> {message}
``sync``     {conversations: {id: last seq held}} -> {messages: {id: [...]}, more: [ids]}
``history``  {conversation_id, before_seq}        -> {messages: [...]}
``read``     {conversation_id, seq}               -> {seq}
``typing``   {conversation_id}                    -> {}
``presence`` {conversation_id}                    -> {online, last_seen}

Events to the client: ``message``, ``read``, ``typing``, ``unread``,
``presence``, ``blocked``.
"""

from __future__ import annotations

import functools
import logging
import threading
from typing import Any

from flask import Flask, current_app, request
from flask_login import current_user
from flask_socketio import disconnect, join_room
from limits import parse as parse_limit
from limits.storage import MemoryStorage
from limits.strategies import MovingWindowRateLimiter
from sqlalchemy import and_, select
from sqlalchemy.orm import aliased

from community import blocks
from community.accounts.models import User
from community.chat import service
from community.chat.handshake import AddressCounts
from community.chat.models import Conversation, ConversationMember
from community.chat.presence import (
    HEARTBEAT_SECONDS,
    Connection,
    FallbackPresence,
    MemoryPresence,
)
from community.chat.push import presence, user_room
from community.db import ID_MAX, after_commit, db, utcnow
from community.errors import KindredError
from community.extensions import socketio
from community.network_address import client_address
from community.site.actions import acknowledge, attempt

log = logging.getLogger(__name__)

SYNC_MAX_CONVERSATIONS = 100


def init_app(app: Flask) -> None:
    redis = app.extensions.get("kindred_redis")
    app.extensions["kindred_presence"] = FallbackPresence(redis) if redis else MemoryPresence()
    app.extensions["kindred_local_sids"] = set()
    app.extensions["kindred_heartbeat"] = threading.Lock()
    app.extensions["kindred_socket_addresses"] = AddressCounts()
    # Per-connection event budgets: a connection lives in one process, so its
    # counters do too (no need to share them through Redis).
    app.extensions["kindred_event_limiter"] = MovingWindowRateLimiter(MemoryStorage())
    app.extensions["kindred_event_limits"] = {
        event: parse_limit(value) for event, value in app.config["SOCKET_EVENT_LIMITS"].items()
    }


# --- connecting ---------------------------------------------------------------------


@socketio.on("connect")
def on_connect(auth=None):
    if not current_user.is_authenticated:
        raise ConnectionRefusedError("Please log in to chat.")
    user = current_user._get_current_object()
    join_room(user_room(user.id))
    connection = Connection(request.sid, user.id, user.current_login_session.id)
    first = presence().add(connection)
    current_app.extensions["kindred_local_sids"].add(request.sid)
    current_app.extensions["kindred_socket_addresses"].add(request.sid, client_address())
    _start_heartbeat(current_app._get_current_object())
    db.session.rollback()
    if first:
        _tell_partners(user.id, {"user_id": user.id, "online": True, "last_seen": None})


@socketio.on("disconnect")
def on_disconnect(reason=None):
    current_app.extensions["kindred_local_sids"].discard(request.sid)
    current_app.extensions["kindred_socket_addresses"].remove(request.sid)
    connection, offline = presence().remove(request.sid)
    if connection is None or not offline:
        return
    now = utcnow()
    seen, _ = attempt(_record_last_seen, connection.user_id, now)
    # A member moving from page to page reconnects at once: the new page's
    # "online" may have gone out while this handler wrote last_seen, and an
    # "offline" sent now would arrive after it and show them gone.
    if seen and not presence().online([connection.user_id]):
        _tell_partners(
            connection.user_id,
            {"user_id": connection.user_id, "online": False, "last_seen": now.isoformat()},
        )


def _record_last_seen(user_id: int, now) -> bool:
    """The member's last connection closed at ``now``; False for a member gone."""
    user = db.session.get(User, user_id)
    if user is None:
        return False
    user.last_seen_at = now
    return True


def _start_heartbeat(app: Flask) -> None:
    """Confirm this process's sockets in the presence store, in the background."""
    lock = app.extensions["kindred_heartbeat"]
    if not lock.acquire(blocking=False):
        return  # already running in this process

    def beat() -> None:
        while True:
            socketio.sleep(HEARTBEAT_SECONDS)
            try:
                app.extensions["kindred_presence"].refresh(
                    list(app.extensions["kindred_local_sids"])
                )
            except Exception:
                log.exception("presence heartbeat failed")

    socketio.start_background_task(beat)


def _partner_ids(user_id: int) -> list[int]:
    other = aliased(ConversationMember)
    return list(
        db.session.scalars(
            select(other.user_id)
            .join(
                ConversationMember,
                and_(
                    ConversationMember.conversation_id == other.conversation_id,
                    ConversationMember.user_id == user_id,
                ),
            )
            .where(other.user_id != user_id)
            .distinct()
        )
    )


def _tell_partners(user_id: int, payload: dict) -> None:
    # A block either way hides whether the other is online: no push crosses it.
    partners = set(_partner_ids(user_id)) - blocks.blocked_ids(user_id)
    db.session.rollback()
    for partner_id in sorted(partners):
        socketio.emit("presence", payload, to=user_room(partner_id))


# --- the events ----------------------------------------------------------------------


def _error(code: str, message: str) -> dict[str, Any]:
    return {"ok": False, "error": {"code": code, "message": message}}


def member_event(handler):
    """Run ``handler(user, data)`` for a signed-in member through
    :func:`community.site.actions.acknowledge` (which commits once, after the
    handler, or rolls back); every refusal becomes a structured error, never
    an exception into the socket."""

    @functools.wraps(handler)
    def wrapper(data=None):
        if not current_user.is_authenticated:
            # The login session ended since the handshake: this socket is done.
            disconnect()
            return _error("unauthorized", "Please log in again.")
        if not _within_budget(handler.__name__.removeprefix("on_")):
            return _error("rate_limited", "That was a lot in a short time. Please slow down.")
        if not isinstance(data, dict):
            return _error("invalid", "Send an object with the event's fields.")
        try:
            return acknowledge(handler, current_user._get_current_object(), data)
        except Exception:
            log.exception("chat event %s failed", handler.__name__)
            return _error("server_error", "Something went wrong on our side. Please try again.")

    return wrapper


def _within_budget(event: str) -> bool:
    """Whether this connection may send ``event`` now (SOCKET_EVENT_LIMITS).
    Events without a limit (``send`` has its own, per member) always may."""
    limit = current_app.extensions["kindred_event_limits"].get(event)
    if limit is None:
        return True
    return current_app.extensions["kindred_event_limiter"].hit(limit, "socket", request.sid, event)


def _conversation_id(data: dict) -> int:
    value = data.get("conversation_id")
    if isinstance(value, bool) or not isinstance(value, int | str):
        raise service.NotFound()
    try:
        number = int(value)
    except ValueError:
        raise service.NotFound() from None
    if not 0 < number <= ID_MAX:
        raise service.NotFound()
    return number


def _number(value, default: int = 0) -> int:
    if isinstance(value, bool):
        raise service.ChatError("Expected a number.")
    if value is None:
        return default
    try:
        number = int(value)
    except (TypeError, ValueError):
        raise service.ChatError("Expected a number.") from None
    if number < 0 or number > ID_MAX:
        raise service.ChatError("That number is out of range.")
    return number


@socketio.on("send")
@member_event
def on_send(user: User, data: dict):
    sent = service.send(user, _conversation_id(data), data.get("client_id"), data.get("body"))
    payload = service.message_payload(sent.message)
    return {"message": payload, "duplicate": not sent.created}


@socketio.on("sync")
@member_event
def on_sync(user: User, data: dict):
    wanted = data.get("conversations")
    if not isinstance(wanted, dict) or len(wanted) > SYNC_MAX_CONVERSATIONS:
        raise service.ChatError(
            f"Send up to {SYNC_MAX_CONVERSATIONS} conversations, each with the last number held."
        )
    messages: dict[str, list] = {}
    more: list[str] = []
    errors: dict[str, dict] = {}
    for key, last_seq in wanted.items():
        try:
            conversation = service.access(user, _conversation_id({"conversation_id": key}))
            missed = service.after(conversation, _number(last_seq))
        except KindredError as error:  # one conversation's refusal, not the event's
            errors[str(key)] = error.as_dict()
            continue
        messages[str(conversation.id)] = [service.message_payload(m) for m in missed]
        if len(missed) == service.CATCH_UP_MAX:
            more.append(str(conversation.id))
    db.session.rollback()
    return {"messages": messages, "more": more, "errors": errors}


@socketio.on("history")
@member_event
def on_history(user: User, data: dict):
    conversation = service.access(user, _conversation_id(data))
    older = service.before(conversation, _number(data.get("before_seq"), ID_MAX))
    db.session.rollback()
    return {"messages": [service.message_payload(m) for m in older]}


@socketio.on("read")
@member_event
def on_read(user: User, data: dict):
    conversation = service.access(user, _conversation_id(data))
    seq = service.mark_read(user, conversation, _number(data.get("seq"), conversation.last_seq))
    conversation_id, user_id = conversation.id, user.id
    # After the commit, in a fresh session: the receipt tells only what stayed.
    after_commit(
        lambda: service.tell_read(db.session.get(Conversation, conversation_id), user_id, seq)
    )
    return {"seq": seq}


@socketio.on("typing")
@member_event
def on_typing(user: User, data: dict):
    conversation = service.access(user, _conversation_id(data))
    reason = service.talk_refusal(conversation, user)
    if reason:
        raise service.Refused(reason)
    others = [uid for uid in service.member_ids(conversation) if uid != user.id]
    db.session.rollback()
    payload = {"conversation_id": conversation.id, "user_id": user.id, "name": user.display_name}
    for other in others:
        socketio.emit("typing", payload, to=user_room(other))
    return {}


@socketio.on("presence")
@member_event
def on_presence(user: User, data: dict):
    conversation = service.access(user, _conversation_id(data))
    other = db.session.get(User, service.other_id(conversation, user.id))
    if blocks.is_blocked_between(user.id, other.id):
        raise service.Refused("You cannot see whether this member is online.")
    db.session.rollback()
    online = other.id in presence().online([other.id])
    last_seen = other.last_seen_at.isoformat() if other.last_seen_at else None
    return {"user_id": other.id, "online": online, "last_seen": last_seen}
