"""Socket.IO: the live side of chat, a thin adapter over :mod:`community.chat.service`.

A connection is accepted only from a signed-in member (the login session in
the handshake's cookie) and from the site's own origin (``create_app`` sets
``cors_allowed_origins``). The server, never the client, decides where a
connection listens: it joins one room, ``user:<id>``, and everything for the
member (messages of all their conversations, read receipts, typing,
presence, blocks) is emitted there. A conversation's participants are
looked up per event, so a block or a cancelled match takes effect at once.

Every event re-reads the member from their login session, so a socket whose
session ended (logout, password change, "sign out everywhere", deletion)
can do nothing more; :func:`disconnect_sessions` also closes it at once.

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
from sqlalchemy import and_, select
from sqlalchemy.orm import aliased

from community.accounts.models import User
from community.chat import service
from community.chat.models import ConversationMember
from community.chat.presence import HEARTBEAT_SECONDS, Connection, MemoryPresence, RedisPresence
from community.db import ID_MAX, db, utcnow
from community.extensions import socketio

log = logging.getLogger(__name__)

SYNC_MAX_CONVERSATIONS = 100


def init_app(app: Flask) -> None:
    redis = app.extensions.get("kindred_redis")
    app.extensions["kindred_presence"] = RedisPresence(redis) if redis else MemoryPresence()
    app.extensions["kindred_local_sids"] = set()
    app.extensions["kindred_heartbeat"] = threading.Lock()


def presence():
    return current_app.extensions["kindred_presence"]


def user_room(user_id: int) -> str:
    return f"user:{user_id}"


# --- connecting ---------------------------------------------------------------------


@socketio.on("connect")
def on_connect(auth=None):
    if not current_user.is_authenticated:
        raise ConnectionRefusedError("Please log in to chat.")
    user = current_user._get_current_object()
    from flask_socketio import join_room

    join_room(user_room(user.id))
    connection = Connection(request.sid, user.id, user.current_login_session.id)
    first = presence().add(connection)
    current_app.extensions["kindred_local_sids"].add(request.sid)
    _start_heartbeat(current_app._get_current_object())
    db.session.rollback()
    if first:
        _tell_partners(user.id, {"user_id": user.id, "online": True, "last_seen": None})


@socketio.on("disconnect")
def on_disconnect(reason=None):
    current_app.extensions["kindred_local_sids"].discard(request.sid)
    connection, offline = presence().remove(request.sid)
    if connection is None or not offline:
        return
    now = utcnow()
    user = db.session.get(User, connection.user_id)
    if user is not None:
        user.last_seen_at = now
        db.session.commit()
        _tell_partners(
            connection.user_id,
            {"user_id": connection.user_id, "online": False, "last_seen": now.isoformat()},
        )


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
    for partner_id in _partner_ids(user_id):
        socketio.emit("presence", payload, to=user_room(partner_id))


# --- the events ----------------------------------------------------------------------


def _error(code: str, message: str) -> dict[str, Any]:
    return {"ok": False, "error": {"code": code, "message": message}}


def member_event(handler):
    """Run ``handler(user, data)`` for a signed-in member; turn every refusal
    into a structured error (never an exception into the socket)."""

    @functools.wraps(handler)
    def wrapper(data=None):
        if not current_user.is_authenticated:
            # The login session ended since the handshake: this socket is done.
            from flask_socketio import disconnect

            disconnect()
            return _error("unauthorized", "Please log in again.")
        if not isinstance(data, dict):
            return _error("invalid", "Send an object with the event's fields.")
        try:
            result = handler(current_user._get_current_object(), data)
        except service.ChatError as error:
            db.session.rollback()
            return {"ok": False, "error": error.as_dict()}
        except Exception:
            db.session.rollback()
            log.exception("chat event %s failed", handler.__name__)
            return _error("server_error", "Something went wrong on our side. Please try again.")
        return {"ok": True, **(result or {})}

    return wrapper


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
    db.session.commit()
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
        except service.ChatError as error:
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
    db.session.commit()
    tell_read(conversation, user.id, seq)
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
    db.session.rollback()
    online = other.id in presence().online([other.id])
    last_seen = other.last_seen_at.isoformat() if other.last_seen_at else None
    return {"user_id": other.id, "online": online, "last_seen": last_seen}


# --- pushing from the server ----------------------------------------------------------


def deliver(payload: dict, recipients: list[int]) -> None:
    """Push a committed message to every connection of its conversation's members."""
    for user_id in recipients:
        socketio.emit("message", payload, to=user_room(user_id))


def tell_hidden(payload: dict, recipients: list[int]) -> None:
    """A moderator hid (or restored) a message: open pages replace its text."""
    for user_id in recipients:
        socketio.emit("message_hidden", payload, to=user_room(user_id))


def tell_read(conversation, user_id: int, seq: int) -> None:
    """After a read is committed: the other member sees "seen", and the reader's
    other tabs their new unread counts."""
    counts = service.unread_counts(user_id)
    receipt = {"conversation_id": conversation.id, "user_id": user_id, "seq": seq}
    for other in service.member_ids(conversation):
        if other != user_id:
            socketio.emit("read", receipt, to=user_room(other))
    socketio.emit(
        "unread",
        {
            "conversation_id": conversation.id,
            "count": counts.get(conversation.id, 0),
            "total": sum(counts.values()),
        },
        to=user_room(user_id),
    )


def tell_blocked(pair: tuple[int, int], *, blocked: bool) -> None:
    """Tell both members' connections that writing between them stopped (or may resume)."""
    a_id, b_id = pair
    mine = aliased(ConversationMember)
    conversation_ids = list(
        db.session.scalars(
            select(ConversationMember.conversation_id)
            .join(mine, mine.conversation_id == ConversationMember.conversation_id)
            .where(ConversationMember.user_id == a_id, mine.user_id == b_id)
        )
    )
    db.session.rollback()
    for user_id in pair:
        socketio.emit(
            "blocked",
            {"conversation_ids": conversation_ids, "blocked": blocked, "by": a_id},
            to=user_room(user_id),
        )


def disconnect_sessions(login_session_ids: list[int]) -> int:
    """Close every live socket of these login sessions, in any web process."""
    sids = presence().sids_of_sessions(login_session_ids)
    for sid in sids:
        try:
            socketio.server.disconnect(sid, namespace="/")
        except Exception:
            log.exception("could not disconnect socket %s", sid)
    return len(sids)
