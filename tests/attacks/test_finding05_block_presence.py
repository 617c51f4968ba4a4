"""Finding 5: a block must stop presence, typing and read receipts both ways.

Before: after Ann blocked Ben, Ben's socket could still ask for Ann's
presence and received her online/offline pushes and her read receipts.
Real server, real python-socketio clients (see tests/chat/conftest.py).
"""

from __future__ import annotations

import pytest

from community import blocking
from community.db import db


def _block(pair, blocker: str):
    db.session.rollback()
    a, b = (pair.ann, pair.ben) if blocker == "ann" else (pair.ben, pair.ann)
    blocking.block(a, b)
    db.session.commit()


@pytest.mark.parametrize("blocker", ["ann", "ben"])
def test_no_presence_typing_or_read_crosses_a_block(server, pair, member, blocker):
    ann = member("ann@example.com")
    ben = member("ben@example.com", connect=False)
    assert ann.send(pair.conversation.id, "before the block")["ok"]
    _block(pair, blocker)
    ann.next("blocked")

    # Asking is refused, either side.
    for browser in (ann,):
        reply = browser.call("presence", {"conversation_id": pair.conversation.id})
        assert reply["ok"] is False and reply["error"]["code"] == "refused"
    ben.connect()
    reply = ben.call("presence", {"conversation_id": pair.conversation.id})
    assert reply["ok"] is False and reply["error"]["code"] == "refused"

    # Ben reading Ann's message sends her no receipt; typing is refused.
    assert ben.call("read", {"conversation_id": pair.conversation.id})["ok"]
    assert ben.call("typing", {"conversation_id": pair.conversation.id})["ok"] is False
    ben.close()
    # Ann neither saw Ben come online or go, nor a receipt, nor typing.
    assert ann.nothing("presence")
    assert ann.nothing("read", within=0.1)
    assert ann.nothing("typing", within=0.1)

    # And the other way round.
    ben.connect()
    assert ann.call("read", {"conversation_id": pair.conversation.id})["ok"]
    ann.close()
    assert ben.nothing("presence")
    assert ben.nothing("read", within=0.1)


def test_the_chat_page_hides_last_seen_and_seen_across_a_block(server, pair, member):
    from tests.chat.conftest import login

    db.session.rollback()
    pair.ben.last_seen_at = pair.ben.created_at
    db.session.commit()
    ann = login(server.url, "ann@example.com")
    page = ann.get(f"{server.url}/chats/{pair.conversation.id}").text
    assert "last seen" in page
    _block(pair, "ben")
    page = ann.get(f"{server.url}/chats/{pair.conversation.id}").text
    assert "last seen" not in page
