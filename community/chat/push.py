"""The publisher: what the server pushes to members' open pages.

Domain code (chat, blocking, sessions) calls these after a commit, usually
through ``db.after_commit``; it never imports the Socket.IO event handlers
(:mod:`community.chat.realtime`), which sit above the domain and use this
module too. Everything for a member goes to their one room, ``user:<id>``,
whatever web process their sockets are on (the Socket.IO message queue fans
out across processes).

Events pushed: ``message``, ``message_hidden``, ``read``, ``unread``,
``blocked``, and (from the
handlers) ``typing`` and ``presence``.
"""

from __future__ import annotations

import logging

from flask import current_app
from sqlalchemy import select
from sqlalchemy.orm import aliased

from community.chat.models import ConversationMember
from community.db import db
from community.extensions import socketio

log = logging.getLogger(__name__)


def user_room(user_id: int) -> str:
    return f"user:{user_id}"


def presence():
    """This app's presence store (in memory, or Redis when configured)."""
    return current_app.extensions["kindred_presence"]


def deliver(payload: dict, recipients: list[int]) -> None:
    """Push a committed message to every connection of its conversation's members."""
    for user_id in recipients:
        socketio.emit("message", payload, to=user_room(user_id))


def tell_hidden(payload: dict, recipients: list[int]) -> None:
    """A moderator hid (or restored) a committed message: open pages replace its text."""
    for user_id in recipients:
        socketio.emit("message_hidden", payload, to=user_room(user_id))


def tell_read(
    conversation_id: int, user_id: int, seq: int, member_ids: list[int], counts: dict[int, int]
) -> None:
    """After a read is committed: the other members see "seen", and the reader's
    other tabs their new unread counts (``counts``: the reader's, per conversation)."""
    receipt = {"conversation_id": conversation_id, "user_id": user_id, "seq": seq}
    for other in member_ids:
        if other != user_id:
            socketio.emit("read", receipt, to=user_room(other))
    socketio.emit(
        "unread",
        {
            "conversation_id": conversation_id,
            "count": counts.get(conversation_id, 0),
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
