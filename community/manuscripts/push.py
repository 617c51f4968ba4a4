"""Pushing manuscript events to members' open pages, after commit.

Events go to the Socket.IO user room (``user:<id>``) that every signed-in
page joins (community/chat/realtime.py): ``manuscript_comment``,
``manuscript_reply``, ``manuscript_answer``, ``manuscript_progress`` to the
author; ``manuscript_reply``, ``manuscript_revoked`` and ``manuscript_gone``
to a reader. Payloads carry only what the recipient may already read.
"""

from __future__ import annotations

from community.chat.push import user_room
from community.extensions import socketio


def to_users(user_ids: list[int], event: str, payload: dict) -> None:
    for user_id in user_ids:
        socketio.emit(event, payload, to=user_room(user_id))
