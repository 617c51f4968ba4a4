"""Routes of the chat area: the list of conversations and a conversation's page.

The page renders the latest messages on the server and sends through a plain
form, so it reads and works without JavaScript; static/js/chat.js makes it
live over Socket.IO (see :mod:`community.chat.realtime`). Blocking and
unblocking from a conversation go through :mod:`community.blocking`.
"""

from __future__ import annotations

import uuid

from flask import Blueprint, abort, flash, redirect, render_template, request, url_for
from flask_login import current_user, login_required

from community import blocking, blocks
from community.accounts.forms import ConfirmForm
from community.accounts.models import User
from community.chat import service
from community.chat.forms import MessageForm
from community.chat.models import ConversationKind
from community.db import db
from community.network import welcomes
from community.site.actions import attempt, run
from community.site.paging import sequence_arg

bp = Blueprint("chat", __name__)


def _conversation(conversation_id: int):
    return service.access(current_user, conversation_id)  # NotFound: a 404 page


@bp.get("/chats")
@login_required
def index():
    return render_template("chat/index.html", chats=service.conversations_of(current_user))


@bp.route("/chats/<int:conversation_id>", methods=["GET", "POST"])
@login_required
def show(conversation_id: int):
    conversation = _conversation(conversation_id)
    form = MessageForm()
    status = 200
    if request.method == "POST":
        if form.validate_on_submit():
            _, error = run(
                service.send,
                current_user._get_current_object(),
                conversation.id,
                form.client_id.data,
                form.body.data,
            )
            if error is None:
                return redirect(url_for("chat.show", conversation_id=conversation.id) + "#latest")
            # Every refusal of a message shows under the message box.
            form.body.errors = [*form.body.errors, str(error)]
        status = 400
        conversation = _conversation(conversation_id)
    before = sequence_arg("before")
    if before is not None:
        messages = service.before(conversation, before)
    else:
        messages = service.latest(conversation)
        if request.method == "GET":
            before_read = service.membership(conversation, current_user.id).last_read_seq
            seq, _ = run(service.mark_read, current_user, conversation)
            conversation = _conversation(conversation_id)
            if seq > before_read:
                service.tell_read(conversation, current_user.id, seq)
    if not form.client_id.data or status == 200:
        form.client_id.data = uuid.uuid4().hex
    other = db.session.get(User, service.other_id(conversation, current_user.id))
    other_member = service.membership(conversation, other.id)
    # A block either way hides the other's presence and read receipts here too.
    blocked = blocks.is_blocked_between(current_user.id, other.id)
    return render_template(
        "chat/conversation.html",
        conversation=conversation,
        other=other,
        messages=messages,
        older=bool(messages) and messages[0].seq > 1,
        newer=before is not None and bool(messages) and messages[-1].seq < conversation.last_seq,
        seen_seq=0 if blocked else other_member.last_read_seq,
        hide_presence=blocked,
        refusal=service.talk_refusal(conversation, current_user),
        i_blocked=blocks.has_blocked(current_user.id, other.id),
        welcomes=(
            welcomes.between(current_user.id, other.id)
            if conversation.kind == ConversationKind.CONNECTION and not before
            else []
        ),
        form=form,
        confirm=ConfirmForm(),
    ), status


@bp.post("/members/<int:user_id>/chat")
@login_required
def start(user_id: int):
    """Open (or reopen) the conversation with a connected member."""
    other = db.session.get(User, user_id)
    if other is None or other.is_deleted:
        abort(404)
    if not ConfirmForm().validate_on_submit():
        abort(400)
    # attempt, not run: even "not found" (oneself) is told on the profile page.
    conversation, error = attempt(service.conversation_with, current_user, other)
    if error:
        flash(str(error), "error")
        return redirect(url_for("profiles.show", user_id=other.id))
    return redirect(url_for("chat.show", conversation_id=conversation.id))


@bp.post("/chats/<int:conversation_id>/block")
@login_required
def block(conversation_id: int):
    conversation = _conversation(conversation_id)
    if not ConfirmForm().validate_on_submit():
        abort(400)
    other = db.session.get(User, service.other_id(conversation, current_user.id))
    blocked, error = run(blocking.block, current_user, other)
    if error:
        flash(str(error), "error")
    elif blocked:
        flash(
            f"You have blocked {other.display_name}. Neither of you can write to the other, "
            "and any match between you has ended.",
            "info",
        )
    return redirect(url_for("chat.show", conversation_id=conversation.id))


@bp.post("/chats/<int:conversation_id>/unblock")
@login_required
def unblock(conversation_id: int):
    conversation = _conversation(conversation_id)
    if not ConfirmForm().validate_on_submit():
        abort(400)
    other = db.session.get(User, service.other_id(conversation, current_user.id))
    unblocked, _ = run(blocking.unblock, current_user, other)
    if unblocked:
        flash(f"You have unblocked {other.display_name}.", "info")
    return redirect(url_for("chat.show", conversation_id=conversation.id))
