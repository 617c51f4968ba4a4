"""Routes of the helping area (placeholder signatures; the real views replace these)."""

from flask import Blueprint, abort

bp = Blueprint("helping", __name__)


def _todo(*args, **kwargs):
    abort(404)


ROUTES = [
    ("/requests", "board", ["GET"]),
    ("/requests/mine", "my_requests", ["GET"]),
    ("/requests/new", "new_request", ["GET", "POST"]),
    ("/requests/<int:request_id>", "show_request", ["GET"]),
    ("/requests/<int:request_id>/edit", "edit_request", ["GET", "POST"]),
    ("/requests/<int:request_id>/close", "close_request", ["POST"]),
    ("/requests/<int:request_id>/reopen", "reopen_request", ["POST"]),
    ("/requests/<int:request_id>/complete", "complete_request", ["POST"]),
    ("/requests/<int:request_id>/answer", "answer_request", ["POST"]),
    ("/requests/<int:request_id>/invite/<int:user_id>", "invite", ["POST"]),
    ("/requests/keep-open/<token>", "keep_open", ["GET", "POST"]),
    ("/answers/<int:answer_id>/comments", "comment", ["POST"]),
    ("/answers/<int:answer_id>/accept", "accept_answer", ["POST"]),
    ("/answers/<int:answer_id>/decline", "decline_answer", ["POST"]),
    ("/answers/<int:answer_id>/withdraw", "withdraw_answer", ["POST"]),
    ("/matches", "my_matches", ["GET"]),
    ("/matches/<int:match_id>", "show_match", ["GET"]),
    ("/matches/<int:match_id>/cancel", "cancel_match", ["POST"]),
    ("/offer", "edit_offer", ["GET", "POST"]),
]
for rule, endpoint, methods in ROUTES:
    bp.add_url_rule(rule, endpoint, _todo, methods=methods)
