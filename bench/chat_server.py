"""The baseline of the chat benchmark: a bare python-socketio server.

Same async mode as the site (threading), served by the same gunicorn line
(``gunicorn -w 1 --threads N --chdir bench chat_server:app``), with no login,
no database and no templates: what Socket.IO itself costs on this machine.

It speaks the site's chat protocol closely enough to be driven by the same
client code (see bench/chat.py):

- connect with ``auth={"user_id": id, "conversations": {conversation_id: [member ids]}}``:
  the socket joins ``user:<id>`` (as the site does) and the server learns who
  is in each conversation (the site reads that from the database);
- ``send`` {conversation_id, client_id, body} acknowledges
  ``{"ok": true, "message": {...}}`` with a payload shaped like the site's
  (a number from an in-memory counter per conversation), then emits
  ``message`` to ``user:<id>`` of each member, as the site does;
- ``sync`` answers ``{"ok": true, "messages": {}, "more": []}`` (nothing is kept).

``CHAT_BENCH_MESSAGE_QUEUE=redis://...`` puts python-socketio's RedisManager
behind it, as ``SOCKETIO_MESSAGE_QUEUE`` does for the site.
"""

from __future__ import annotations

import itertools
import os
import threading
from datetime import UTC, datetime

import socketio

queue_url = os.environ.get("CHAT_BENCH_MESSAGE_QUEUE") or None
sio = socketio.Server(
    async_mode="threading",
    client_manager=socketio.RedisManager(queue_url) if queue_url else None,
    max_http_buffer_size=32 * 1024,
)
app = socketio.WSGIApp(sio)

_lock = threading.Lock()
_members: dict[int, list[int]] = {}
_last_seq: dict[int, int] = {}
_ids = itertools.count(1)


@sio.event
def connect(sid, environ, auth=None):
    auth = auth or {}
    user_id = int(auth.get("user_id", 0))
    with _lock:
        for conversation_id, members in (auth.get("conversations") or {}).items():
            _members[int(conversation_id)] = [int(m) for m in members]
    sio.save_session(sid, {"user_id": user_id})
    sio.enter_room(sid, f"user:{user_id}")


@sio.on("send")
def send(sid, data):
    if not isinstance(data, dict):
        return {"ok": False, "error": {"code": "invalid", "message": "Send an object."}}
    user_id = sio.get_session(sid)["user_id"]
    conversation_id = int(data.get("conversation_id", 0))
    with _lock:
        seq = _last_seq.get(conversation_id, 0) + 1
        _last_seq[conversation_id] = seq
        message_id = next(_ids)
        members = list(_members.get(conversation_id, [user_id]))
    body = str(data.get("body", ""))
    payload = {
        "id": message_id,
        "conversation_id": conversation_id,
        "seq": seq,
        "client_id": data.get("client_id"),
        "sender_id": user_id,
        "sender_name": f"member {user_id}",
        "body": body,
        "html": body,
        "created_at": datetime.now(UTC).isoformat(),
    }
    for member in members:
        sio.emit("message", payload, to=f"user:{member}")
    return {"ok": True, "message": payload, "duplicate": False}


@sio.on("sync")
def sync(sid, data):
    return {"ok": True, "messages": {}, "more": [], "errors": {}}
